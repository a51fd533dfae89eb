"""Lava (lava-nc 0.10, Loihi2SimCfg on the CPU) against the numba engine on the same
networks, and the Loihi 2 resource estimate of the paper's Table VI network.

    .venv/bin/python bench/lava.py                 # N = 200, 1000 (about 1-2 minutes)
    .venv/bin/python bench/lava.py --sizes 200 --steps 500
    .venv/bin/python bench/lava.py --json bench/out/lava.json

Workload: one core population of N neurons, density rho (default 0.05), J_D = 0 and
no field, so that the synchronous dynamics does not settle and every step of the run
is a real step (steps actually simulated are reported). Lava runs one sample in a
worker process: a 5-step warm-up run compiles the graph and spawns its processes,
then ``--steps`` steps are timed (best of ``--reps`` runs on the same graph, runtime
start excluded). numba: ``neurosim.relax`` with batch 1 and the same steps (best of a
few runs, Python wrapper included). Both see the same machine load, measured
interleaved per size.

On-chip learning rows (``--learning-sizes``, default 50,200; ``--learning-d`` inputs):
relax-and-learn rounds of ``OnChipLearner`` in floating point with J only (lam_x
W_in x in the bias) and with J + W_in (Eq. 85 on chip), the two learners side by side
with their rounds interleaved; the ratio is printed.
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

from common import best_of, best_of_interleaved, load_average, log, machine_info, markdown_table, si  # noqa: E402


def lava_steps_per_s(spec, steps, reps, timeout):
    """(best steps/s, compile+first-run seconds) of ``steps`` Lava steps on a warm graph."""
    from neurosim.hw.lava import LavaWorker
    with LavaWorker(timeout=timeout) as w:
        t0 = time.perf_counter()
        w.call("build", spec=spec, record=0)
        w.call("run", steps=5)
        warm = time.perf_counter() - t0
        best = min(w.call("run", steps=steps)["seconds"] for _ in range(reps))
        w.call("stop")
    return steps / best, warm


def lava_learning_steps_per_s(cn, steps, reps, timeout):
    """Steps/s of relax-and-learn rounds (``steps`` + 1 steps each; best of ``reps``,
    warm) on the dual-rail LearningSparse graph (learning engine evaluated every step,
    t_epoch = 1): (J only, with lam_x W_in x in the bias; J + W_in, the input on
    LearningSparse synapses). The two learners run side by side, their rounds
    interleaved, so that both see the same machine load."""
    from contextlib import ExitStack
    from neurosim.hw.lava import OnChipLearner
    rng = np.random.default_rng(0)
    s0 = rng.choice([-1.0, 1.0], cn.n)
    x = rng.choice([-1.0, 1.0], cn.input_dim)
    with ExitStack() as stack:
        rounds = []
        for eta_in, kw in ((None, dict(field=cn.field(x=x)[0])), (2.0 ** -8, dict(x=x))):
            L = stack.enter_context(OnChipLearner(cn, kappa=0.5, eta=2.0 ** -8, eta_in=eta_in, timeout=timeout))
            L.round(s0, steps=3, **kw)
            rounds.append(lambda L=L, kw=kw: L.round(s0, steps=steps, **kw))
        best = best_of_interleaved(rounds, min_reps=reps, max_reps=reps, budget_s=0.0)
    return [(steps + 1) / b[0] for b in best]


def relaxations(n, rho, steps, reps, timeout):
    """Relaxations/s on a warm graph: set s(0) and the bias, run ``steps`` steps, read
    the state (Lava: no early stop, so every relaxation costs ``steps`` steps), against
    ``neurosim.relax`` with batch 1 (stops at the fixed point)."""
    import neurosim as ns
    from neurosim import topologies
    from neurosim.hw.lava import HostAssistedLearner
    cn = ns.compile(topologies.core(n, rho=rho, j_d=0.5, seed=1))
    rng = np.random.default_rng(3)
    s0 = rng.choice([-1.0, 1.0], (reps, n))
    b = 0.5 * rng.normal(size=(reps, n))
    with HostAssistedLearner(cn, kappa=0.0, eta=1.0, timeout=timeout) as L:
        L.relax(s0[0], b[0], 2)
        t0 = time.perf_counter()
        lava = [L.relax(s0[k], b[k], steps) for k in range(reps)]
        dt_lava = (time.perf_counter() - t0) / reps
    ns.relax(cn, s0=s0[:1], field=b[:1], max_steps=2)
    t0 = time.perf_counter()
    res = [ns.relax(cn, s0=s0[k:k + 1], field=b[k:k + 1], max_steps=steps) for k in range(reps)]
    dt_nb = (time.perf_counter() - t0) / reps
    same = all(np.array_equal(lava[k], res[k].states[0]) or not res[k].converged[0] for k in range(reps))
    return dict(n=n, steps=steps, reps=reps, lava_relax_per_s=1 / dt_lava, numba_relax_per_s=1 / dt_nb,
                numba_mean_steps=float(np.mean([r.steps[0] for r in res])), same_end_states=bool(same))


def numba_steps_per_s(cn, s0, steps, mode, p):
    import neurosim as ns
    ns.relax(cn, s0=s0, mode=mode, p=p, max_steps=3, seed=1)
    dt, reps, res = best_of(lambda: ns.relax(cn, s0=s0, mode=mode, p=p, max_steps=steps, seed=1),
                            min_reps=3, max_reps=10, budget_s=3.0)
    return int(res.steps[0]) / dt, int(res.steps[0]), bool(res.converged[0]), res.flips[0] / max(1, res.steps[0])


def network(n, rho, seed=0, input_dim=None):
    import neurosim as ns
    from neurosim import topologies
    cn = ns.compile(topologies.core(n, rho=rho, j_d=0.0, seed=seed, input_dim=input_dim))
    # dyadic values keep Lava floating point order-independent (as in the tests)
    J = cn.learnable()
    J.data = np.round(J.data * 1024) / 1024
    J.data[J.data == 0] = 2.0 ** -10
    w_in = np.round(cn.w_in * 1024) / 1024
    w_in[cn.w_in_mask & (w_in == 0)] = 2.0 ** -10
    return cn.with_couplings(learnable=J, w_in=w_in)


def table_vi_estimate():
    import neurosim as ns
    from neurosim import topologies
    from neurosim.hw import estimate
    cn = ns.compile(topologies.core(1600, rho=0.01, j_d=0.5, seed=0, input_dim=100, rho_in=0.1, n_classes=10))
    rows = []
    for label, kw in (("dual rail, input neurons on chip (learning-ready)", dict(wire="dual")),
                      ("graded, input folded into the bias", dict(wire="graded", input_on_chip=False)),
                      ("dual rail, input and readout on chip", dict(wire="dual", readout_on_chip=True))):
        e = estimate(cn, **kw)
        rows.append((label, e))
    return cn, rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="200,1000")
    ap.add_argument("--rho", type=float, default=0.05)
    ap.add_argument("--steps", type=int, default=0, help="timed steps (default: 2000 at N <= 200, else 1000)")
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--learning-sizes", default="50,200", help="N of the on-chip learning rows ('': skip)")
    ap.add_argument("--learning-d", type=int, default=50, help="input dimension D of the learning rows")
    ap.add_argument("--learning-steps", type=int, default=200)
    ap.add_argument("--timeout", type=float, default=300.0)
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    from neurosim.hw import quantize
    from neurosim.hw.lava import make_spec

    load0 = load_average()
    results = []
    for n in [int(v) for v in args.sizes.split(",")]:
        steps = args.steps or (2000 if n <= 200 else 1000)
        cn = network(n, args.rho)
        s0 = np.random.default_rng(n).choice([-1, 1], (1, n))
        qn = quantize(cn)
        cases = [
            ("sync", "float, graded", make_spec(cn, s0=s0, mode="sync"), cn),
            ("sync", "float, dual rail", make_spec(cn, s0=s0, mode="sync", wire="dual"), cn),
            ("sync", "fixed, dual rail", make_spec(qn, s0=s0, mode="sync"), qn.network),
            ("prob", "float, graded", make_spec(cn, s0=s0, mode="prob", p=0.5, seed=1), cn),
        ]
        for mode, label, spec, ref in cases:
            log(f"N = {n}: Lava {mode} {label} ...")
            lava, warm = lava_steps_per_s(spec, steps, args.reps, args.timeout)
            nb, nb_steps, conv, fps = numba_steps_per_s(ref, s0, steps, mode, 0.5)
            results.append(dict(n=n, mode=mode, lava=label, steps=steps, lava_steps_per_s=lava,
                                lava_compile_s=warm, numba_steps_per_s=nb, numba_steps=nb_steps,
                                numba_converged=conv, flips_per_step=float(fps), ratio=nb / lava))
    relax_rows = []
    for n in [int(v) for v in args.sizes.split(",")]:
        log(f"N = {n}: relaxations on a warm graph ...")
        relax_rows.append(relaxations(n, args.rho, 20, 10, args.timeout))
    learn = []
    for n in [int(v) for v in args.learning_sizes.split(",") if v]:
        log(f"N = {n}: on-chip learning rounds, J only and J + W_in ...")
        cn = network(n, args.rho, input_dim=args.learning_d)
        rates = lava_learning_steps_per_s(cn, args.learning_steps, args.reps + 1, args.timeout)
        learn.append(dict(n=n, d=args.learning_d, steps=args.learning_steps, j_steps_per_s=rates[0],
                          j_w_in_steps_per_s=rates[1], ratio=rates[0] / rates[1],
                          learnable_j=cn.learnable().nnz, learnable_w_in=int((cn.w_in_mask & cn.a_in[:, None]).sum())))
    log("Table VI resource estimate ...")
    tcn, est = table_vi_estimate()
    load1 = load_average()

    print("## Lava vs numba\n")
    given = " ".join(sys.argv[1:] if argv is None else argv)
    print(f"Command: `.venv/bin/python bench/lava.py{' ' + given if given else ''}`")
    print(f"\nMachine: {machine_info()}, lava-nc 0.10.0. Load average {load0} at the start, {load1} at the end.\n")
    rows = [(r["n"], r["mode"], r["lava"], r["steps"], si(r["lava_steps_per_s"]), f"{r['lava_compile_s']:.2f} s",
             si(r["numba_steps_per_s"]), f"{r['numba_steps']}{'' if not r['numba_converged'] else ' (conv.)'}",
             f"{r['flips_per_step']:.0f}", f"{r['ratio']:.1f}x") for r in results]
    print(markdown_table(["N", "mode", "Lava model", "steps", "Lava steps/s", "Lava build+first run",
                          "numba steps/s", "numba steps", "flips/step", "numba / Lava"], rows, align="rllrrrrrrr"))
    print("\nWhole relaxations (J_D = 0.5, field 0.5 N(0, 1), 20 steps at most; Lava on a warm graph: set "
          "s(0) and the bias, run all 20 steps, read the state; numba: `relax` batch 1, stops at the fixed point):\n")
    rrows = [(r["n"], si(r["lava_relax_per_s"]), si(r["numba_relax_per_s"]), f"{r['numba_mean_steps']:.1f}",
              f"{r['numba_relax_per_s'] / r['lava_relax_per_s']:.0f}x", "yes" if r["same_end_states"] else "NO")
             for r in relax_rows]
    print(markdown_table(["N", "Lava relax/s", "numba relax/s", "numba mean steps", "numba / Lava",
                          "same end states"], rrows))
    if learn:
        print("\nOn-chip learning (`OnChipLearner`, floating point): one round of relaxation plus the learning "
              "step, warm; the learning engine runs every step (t_epoch = 1). J only: lam_x W_in x in the bias. "
              "J + W_in: the input on dual-rail LearningSparse synapses (Eq. 85 on chip). Same run, same network:\n")
        lrows = [(r["n"], r["d"], r["learnable_j"], r["learnable_w_in"], r["steps"] + 1, si(r["j_steps_per_s"]),
                  si(r["j_w_in_steps_per_s"]), f"{r['ratio']:.2f}x") for r in learn]
        print(markdown_table(["N", "D", "learnable J", "learnable W_in", "steps", "J only steps/s",
                              "J + W_in steps/s", "J only / J + W_in"], lrows))
    print("\n## Table VI network on Loihi 2 (resource estimate)\n")
    print(f"core, N = {tcn.n}, rho = 0.01, input dim 100, rho_in = 0.1, 10 classes "
          f"({tcn.learnable().nnz} learnable couplings).\n")
    erow = []
    for label, e in est:
        erow.append((label, e.neurons, e.synapses["total"], e.synapses_stored, e.max_fan_in,
                     f"{e.synapse_memory_bytes / 1024:.1f} KiB", e.cores, f"{e.max_core_memory_bytes / 1024:.1f} KiB",
                     e.chips, "; ".join(e.does_not_fit) or "nothing"))
    print(markdown_table(["placement", "neurons", "synapses", "stored", "max fan-in", "synapse memory", "cores",
                          "fullest core", "chips", "does not fit"], erow, align="lrrrrrrrrl"))
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump({"runs": results, "relaxations": relax_rows, "learning": learn,
                       "table_vi": [(label, e.as_dict()) for label, e in est],
                       "machine": machine_info(), "load": [load0, load1]}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
