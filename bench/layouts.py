"""Where a coupling map should be stored dense: the crossover density of
``neurosim.couplings.DENSE_THRESHOLD``, measured.

For N in ``--sizes`` and densities rho of J from 0.02 to 1 (J_ij ~ N(0, 1/(rho N)),
J_D = 0.5, Table VI's input field lambda_x W_in x of Entangled-MNIST), the same
network is compiled with every map in CSC and with every map dense, and both run
the same work, interleaved: ``relax`` of a batch of 16 samples from the neutral
state (sync, 10 steps at most) and a ``Trainer.train_batch`` (Table VI rates in the
coupling scale). The states are equal; the ratio CSC / dense of CPU time says which
layout is faster at that density.

Run:  .venv/bin/python bench/layouts.py [--sizes 1000,2000] [--json FILE]
"""
import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import neurosim as ns  # noqa: E402
from neurosim import datasets, topologies  # noqa: E402
from neurosim.learning import Trainer, TrainConfig  # noqa: E402

from common import load_average, log, machine_info, markdown_table  # noqa: E402

DENSITIES = (0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0)
CONFIG = TrainConfig(eta_units="fan-in", kappa_j=1.4, max_steps=5)


def cpu(fn, reps):
    """Best CPU time of ``reps`` calls (all threads of the process)."""
    best = float("inf")
    for _ in range(reps):
        c0 = time.process_time()
        out = fn()
        best = min(best, time.process_time() - c0)
    return best, out


def measure(n, rho, data, reps):
    net = topologies.core(n, rho=rho, j_d=0.5, seed=0, input_dim=100, n_classes=10, lam_x=2.0, lam_y=0.9)
    nets = {layout: ns.compile(net, dense_threshold=0.0 if layout == "dense" else 2.0) for layout in ("csc", "dense")}
    x = np.asarray(data.x_train[:16], dtype=np.float64)
    y01 = np.eye(10)[data.y_train[:16]]
    y_pm = 2 * y01 - 1
    out = {"n": n, "rho": rho}
    relaxed = {}
    for layout, cn in nets.items():
        b = cn.field(x=x)
        ns.relax(cn, field=b, max_steps=10)  # JIT
        out[f"relax_{layout}"], relaxed[layout] = cpu(lambda: ns.relax(cn, field=b, max_steps=10).states, reps)
        trainers = [Trainer(cn.copy(), CONFIG) for _ in range(reps + 1)]
        trainers[0].train_batch(x, y01, y_pm)

        def one():
            return trainers.pop().train_batch(x, y01, y_pm)
        out[f"train_{layout}"] = cpu(one, reps)[0]
    out["same_states"] = bool(np.array_equal(relaxed["csc"], relaxed["dense"]))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1000,2000")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    data = datasets.load("entangled-mnist")
    rows, results = [], []
    load = load_average()
    for n in (int(v) for v in args.sizes.split(",")):
        for rho in DENSITIES:
            log(f"N = {n}, rho = {rho}")
            r = measure(n, rho, data, args.reps)
            results.append(r)
            rows.append([n, rho, f"{r['relax_csc'] * 1e3:.2f}", f"{r['relax_dense'] * 1e3:.2f}",
                         f"**{r['relax_csc'] / r['relax_dense']:.2f}**", f"{r['train_csc'] * 1e3:.2f}",
                         f"{r['train_dense'] * 1e3:.2f}", f"**{r['train_csc'] / r['train_dense']:.2f}**",
                         "yes" if r["same_states"] else "NO"])
    print("## Coupling storage: CSC against a dense block\n")
    print(f"{machine_info()}; load average {load} before, {load_average()} after; best of {args.reps}, CPU ms\n")
    print(markdown_table(["N", "rho_J", "relax CSC", "relax dense", "CSC / dense", "train_batch CSC",
                          "train_batch dense", "CSC / dense", "same states"], rows))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
