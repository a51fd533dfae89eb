"""Cost of per-projection learning rules: one Eq. 89 update of J with every
projection on the rule's own eta, kappa and decay (the default path: BLAS on a
dense map, the pattern kernel on a sparse one) against the same update with
each projection given its own values (``MarginRule.projections``: one kernel
over the pattern, each entry with its projection's rate, gate and decay), both
measured in one run, interleaved.

Workload: a 2-layer chain of ``--width`` neurons per layer (learnable J inside
each layer at density ``--rho``, fixed chain couplings between them), a batch
of B = 16 random states and fields, kappa = 1.4, eta = 0.005; the per-projection
rule gives layer 1 eta = 0.001, kappa = 1.0 and decay 0.1.

Run:  .venv/bin/python bench/projections.py [--widths 400,800,2000] [--rhos 0.01,1]
"""
import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import best_of_interleaved, load_average, machine_info, markdown_table  # noqa: E402

import neurosim as ns  # noqa: E402
from neurosim import topologies  # noqa: E402
from neurosim.learning import rules  # noqa: E402


def measure(width, rho, batch=16):
    cn = ns.compile(topologies.chain(2, width, rho=rho, j_d=0.5, lam=0.5, seed=0))
    rng = np.random.default_rng(1)
    s = rng.choice(np.array([-1, 1], dtype=np.int8), size=(batch, cn.n))
    h = rng.normal(0.0, 1.5, size=(batch, cn.n))
    uniform = rules.MarginRule(kappa=1.4, eta=0.005)
    own = rules.MarginRule(kappa=1.4, eta=0.005, projections=(("layer1<-layer1", 0.001, 1.0, 0.1),))
    a, b = cn.copy(), cn.copy()
    uniform.apply(a, s, h), own.apply(b, s, h)          # compile the kernels
    (tu, _, _), (tp, _, _) = best_of_interleaved([lambda: uniform.apply(a, s, h), lambda: own.apply(b, s, h)],
                                                 min_reps=3, max_reps=20, budget_s=4.0)
    return [cn.n, rho, cn.j.layout, f"{1e3 * tu:.2f}", f"{1e3 * tp:.2f}", f"{tp / tu:.2f}"]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--widths", default="400,800,2000")
    ap.add_argument("--rhos", default="0.01,1")
    args = ap.parse_args(argv)
    print(f"{machine_info()}, load {load_average()}\n")
    rows = [measure(int(w), float(r)) for r in args.rhos.split(",") for w in args.widths.split(",")]
    print(markdown_table(["N", "rho", "J layout", "uniform rule (ms)", "per-projection rule (ms)", "ratio"], rows))


if __name__ == "__main__":
    main()
