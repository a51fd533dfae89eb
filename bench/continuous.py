"""Continuous-time backend benchmark (neurosim.continuous), in one process:

1. speed: simulated tau per CPU-second of the hard-sign and tanh ODEs (explicit
   Euler, dt = 0.05 tau, B = 1) at N = 1000 and 5000, native numba vs every
   Brian2 target that works here (numpy, cython, cpp_standalone), with Brian2's
   build and compile time shown separately, plus the exact event-driven
   integrator; every Brian2 run is checked against the native trajectory end.
2. Brian2 learning: seconds per sample of one-run() epochs (batch size 1) vs the
   native ContinuousTrainer on the same schedule, and the weight difference.
3. accuracy: continuous-time vs discrete-time training on Entangled-MNIST at
   N = 1000 with the Table VI hyperparameters (reduced epochs / samples, stated).

    .venv/bin/python bench/continuous.py                    # everything (about 5 min on 2 loaded cores)
    .venv/bin/python bench/continuous.py --epochs 5 --train-size 0   # accuracy on the full training set (about 20 min)
    .venv/bin/python bench/continuous.py --skip-accuracy    # parts 1-2 only
    .venv/bin/python bench/continuous.py --targets numpy --sizes 1000 --epochs 1 --train-size 5000

Progress goes to stderr, the markdown report to stdout (``--json`` also writes the numbers).
"""
import argparse
import dataclasses
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import load_average, log, machine_info, markdown_table  # noqa: E402

import neurosim as ns  # noqa: E402
from neurosim import datasets, topologies  # noqa: E402
from neurosim.continuous import ContinuousConfig, ContinuousTrainer, integrate  # noqa: E402
from neurosim.learning import TrainConfig, Trainer  # noqa: E402


def speed_case(n, rho, j_d, lam, seed=0):
    cn = ns.compile(topologies.core(n, rho=rho, j_d=j_d, seed=seed))
    rng = np.random.default_rng(seed)
    I = lam * rng.standard_normal((1, n))
    s0 = rng.choice([-1, 1], size=(1, n))
    return cn, I, s0


def native_full(cn, I, s0, variant, t_max, dt, beta):
    """Native Euler over the whole horizon: recording only the two end frames
    turns off the closed-form finish of a settled hard-sign run, so the numbers
    are the per-step cost, comparable to Brian2's fixed-length run."""
    n_steps = int(round(t_max / dt))
    return integrate(cn, I, s0=s0, variant=variant, t_max=t_max, dt=dt, beta=beta, stop_on_settle=False,
                     record=True, record_every=n_steps)


def cpu_time(fn):
    c0, w0 = time.process_time(), time.perf_counter()
    out = fn()
    return time.process_time() - c0, time.perf_counter() - w0, out


def bench_speed(sizes, targets, t_max, dt, rho, j_d, lam, beta, reps):
    from neurosim.continuous import brian2 as nb2
    import brian2
    rows, raw = [], []
    cython_cache = tempfile.mkdtemp(prefix="neurosim_cython_")   # cold cache: the real compile time
    brian2.prefs.codegen.runtime.cython.cache_dir = cython_cache
    for n in sizes:
        cn, I, s0 = speed_case(n, rho, j_d, lam)
        nnz = (cn.learnable() + cn.fixed()).nnz
        for variant in ("hard", "tanh"):
            native_full(cn, I, s0, variant, dt, dt, beta)   # JIT
            best = None
            for _ in range(reps):
                cpu, wall, ref = cpu_time(lambda: native_full(cn, I, s0, variant, t_max, dt, beta))
                best = (cpu, wall) if best is None or cpu < best[0] else best
            cpu, wall = best
            info = f"{ref.flips[0]} flips, settled {bool(ref.settled[0])}"
            rows.append([n, nnz, variant, "numba Euler", "-", "-", f"{cpu:.3f}", f"{wall:.3f}",
                         f"{t_max / cpu:.1f}", "-", info])
            raw.append(dict(n=n, variant=variant, backend="numba-euler", cpu_s=cpu, wall_s=wall,
                            tau_per_cpu_s=t_max / cpu, flips=int(ref.flips[0])))
            log(f"N={n} {variant} numba Euler: {t_max / cpu:.1f} tau/CPU-s")
            if variant == "hard":
                integrate(cn, I, s0=s0, method="event", t_max=dt)
                cpu_e, wall_e, ev = cpu_time(lambda: integrate(cn, I, s0=s0, method="event", t_max=t_max))
                cpu_e = max(cpu_e, 1e-6)
                rows.append([n, nnz, variant, "numba event-driven (exact)", "-", "-", f"{cpu_e:.4f}",
                             f"{wall_e:.4f}", f"{t_max / cpu_e:.0f}", "-",
                             f"{ev.flips[0]} flips, settled {bool(ev.settled[0])} at {ev.times[0]:.2f}"])
                raw.append(dict(n=n, variant=variant, backend="numba-event", cpu_s=cpu_e, wall_s=wall_e,
                                tau_per_cpu_s=t_max / cpu_e, flips=int(ev.flips[0])))
            for target in targets:
                log(f"N={n} {variant} brian2 {target} ...")
                tm = {}
                try:
                    res = nb2.export(cn, I, s0=s0, variant=variant, dt=dt, t_max=t_max, beta=beta, target=target,
                                     timings=tm)
                except Exception as exc:  # a target that does not work here is reported, not fatal
                    rows.append([n, nnz, variant, f"Brian2 {target}", "-", "-", "-", "-", "-", "-",
                                 f"failed: {type(exc).__name__}: {str(exc)[:60]}"])
                    continue
                err = float(np.abs(res.u - ref.u).max())
                rows.append([n, nnz, variant, f"Brian2 {target}", f"{tm['build_s']:.2f}", f"{tm['compile_s']:.2f}",
                             f"{tm['run_cpu_s']:.3f}", f"{tm['run_s']:.3f}", f"{t_max / tm['run_cpu_s']:.1f}",
                             f"{err:.1e}", ""])
                raw.append(dict(n=n, variant=variant, backend=f"brian2-{target}", **tm,
                                tau_per_cpu_s=t_max / tm["run_cpu_s"], max_abs_du_vs_numba=err))
                log(f"  {t_max / tm['run_cpu_s']:.1f} tau/CPU-s, compile {tm['compile_s']:.1f} s, |du| {err:.1e}")
    header = ["N", "synapses", "variant", "backend", "build s", "compile s", "run CPU s", "run wall s",
              "tau / CPU-s", "max |u - u_numba|", "note"]
    return markdown_table(header, rows), raw


def bench_brian2_learning(n, samples, target="numpy"):
    from neurosim.continuous import brian2 as nb2
    data = datasets.load("entangled-mnist")
    net = topologies.core(n, rho=0.01, j_d=0.5, seed=0, input_dim=data.dim, n_classes=data.n_classes,
                          rho_in=0.1, lam_x=2.0, lam_y=0.9)
    cn = ns.compile(net).copy()
    cfg = TrainConfig(batch_size=1, kappa_j=1.4, lam_x=2.0, lam_y=0.9)
    cc = ContinuousConfig(variant="hard", dt=0.05, t_warmup=1.0, t_supervised=10.0, t_free=10.0)
    x = np.asarray(data.x_train[:samples], dtype=np.float64)
    y_pm = data.targets("train", dtype=np.float64)[:samples]
    y01 = (y_pm > 0).astype(np.float64)
    native = ContinuousTrainer(cn.copy(), cfg, continuous=cc)
    native.train_batch(x[:1], y01[:1], y_pm[:1])   # JIT
    native = ContinuousTrainer(cn.copy(), cfg, continuous=cc)
    c0, w0 = time.process_time(), time.perf_counter()
    for k in range(samples):
        native.train_batch(x[k:k + 1], y01[k:k + 1], y_pm[k:k + 1], key=(0, k))
    n_cpu, n_wall = time.process_time() - c0, time.perf_counter() - w0
    brian = ContinuousTrainer(cn.copy(), cfg, continuous=dataclasses.replace(cc, backend="brian2", target=target))
    tm = nb2.train_epoch(brian, x, y01, y_pm)
    dw = abs(native.cn.learnable() - brian.cn.learnable()).max()
    dwin = np.abs(native.cn.w_in - brian.cn.w_in).max()
    dwout = np.abs(native.cn.w_out - brian.cn.w_out).max()
    changed = (native.cn.learnable() != cn.learnable()).nnz
    steps = int(round((1.0 + 10.0 + 10.0) / 0.05)) + 2
    rows = [["numba ContinuousTrainer (train_batch, B = 1)", f"{n_cpu / samples * 1e3:.1f}",
             f"{n_wall / samples * 1e3:.1f}", "-", "-"],
            [f"Brian2 {target}, one run() per epoch", f"{tm['run_cpu_s'] / samples * 1e3:.1f}",
             f"{tm['run_s'] / samples * 1e3:.1f}", f"{tm['build_s']:.2f}", f"{tm['compile_s']:.2f}"]]
    table = markdown_table(["learning", "ms CPU / sample", "ms wall / sample", "build s", "compile s"], rows)
    note = (f"N = {n}, {samples} Entangled-MNIST samples, hard-sign Euler dt = 0.05, slot of {steps} steps "
            f"(1 + 10 + 10 tau + load and read steps); {changed} of {cn.learnable().nnz} couplings changed; "
            f"max |dJ| = {dw:.1e}, max |dW_in| = {dwin:.1e}, max |dW_out| = {dwout:.1e} (Brian2 vs numba).")
    return table, note, dict(native_cpu_s=n_cpu, brian2=tm, max_dJ=float(dw), max_dWin=float(dwin),
                             max_dWout=float(dwout), samples=samples)


def bench_accuracy(n, epochs, train_size, val_size, t_phase, dt):
    data = datasets.load("entangled-mnist")
    x_val, y_val = data.x_test[:val_size], data.y_test[:val_size]
    if train_size:
        data = dataclasses.replace(data, x_train=data.x_train[:train_size], y_train=data.y_train[:train_size])
    net = topologies.core(n, rho=0.01, j_d=0.5, seed=0, input_dim=data.dim, n_classes=data.n_classes,
                          rho_in=0.1, lam_x=2.0, lam_y=0.9)
    cn0 = ns.compile(net).copy()
    cfg = TrainConfig(epochs=epochs, batch_size=16, eta_j=0.005, eta_in=0.01, eta_out=0.01, kappa_j=1.4,
                      kappa_in=3.0, kappa_out=3.0, lam_x=2.0, lam_y=0.9, mode="sync", max_steps=5, seed=0)
    runs = {
        "discrete sync (Trainer)": lambda: Trainer(cn0.copy(), cfg),
        f"continuous hard, Euler dt = {dt}": lambda: ContinuousTrainer(
            cn0.copy(), cfg, continuous=ContinuousConfig("hard", "euler", dt=dt, t_supervised=t_phase, t_free=t_phase)),
        "continuous hard, event-driven": lambda: ContinuousTrainer(
            cn0.copy(), cfg, continuous=ContinuousConfig("hard", "event", dt=dt, t_supervised=t_phase, t_free=t_phase)),
    }
    rows, raw = [], []
    for name, make in runs.items():
        tr = make()
        t0 = time.perf_counter()
        c0 = time.process_time()
        hist = tr.fit(data, validation=(x_val, y_val),
                      on_epoch=lambda t, r: log(f"{name}: epoch {r['epoch']} val {r['val_accuracy']:.4f}"))
        sec, cpu = time.perf_counter() - t0, time.process_time() - c0
        last = hist[-1]
        # the other inference: discrete for continuous-trained weights, continuous for discrete-trained ones
        if isinstance(tr, ContinuousTrainer):
            other = Trainer(tr.cn, cfg).accuracy(x_val, y_val)
            other_name = "discrete sync"
        else:
            other = ContinuousTrainer(tr.cn, cfg, continuous=ContinuousConfig(
                "hard", "euler", dt=dt, t_supervised=t_phase, t_free=t_phase)).accuracy(x_val, y_val)
            other_name = "continuous hard"
        rows.append([name, f"{last['train_accuracy']:.4f}", f"{last['val_accuracy']:.4f}",
                     f"{other:.4f} ({other_name})", f"{last['converged_free']:.3f}", f"{last['steps_free']:.2f}",
                     f"{sec:.0f}", f"{cpu:.0f}"])
        raw.append(dict(name=name, history=hist, other_inference=other, seconds=sec, cpu_s=cpu))
    header = ["training", "train acc", "val acc", "val acc, other inference", "settled (free, last epoch)",
              "steps / settle time (free)", "wall s", "CPU s"]
    return markdown_table(header, rows), raw


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,5000")
    ap.add_argument("--targets", default="numpy,cython,cpp_standalone")
    ap.add_argument("--t-max", type=float, default=20.0)
    ap.add_argument("--dt", type=float, default=0.05)
    ap.add_argument("--rho", type=float, default=0.05)
    ap.add_argument("--j-d", type=float, default=0.5)
    ap.add_argument("--lam", type=float, default=0.5)
    ap.add_argument("--beta", type=float, default=20.0)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--learn-samples", type=int, default=40)
    ap.add_argument("--skip-accuracy", action="store_true")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--train-size", type=int, default=20000, help="0: all 60000")
    ap.add_argument("--val-size", type=int, default=10000)
    ap.add_argument("--t-phase", type=float, default=10.0)
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    targets = [t for t in args.targets.split(",") if t]
    out = {"machine": machine_info(), "load_start": load_average()}
    print(f"Machine: {out['machine']}; 1-min load average at start {out['load_start']}.\n")
    t0 = time.perf_counter()
    table, raw = bench_speed(sizes, targets, args.t_max, args.dt, args.rho, args.j_d, args.lam, args.beta, args.reps)
    out["speed"] = raw
    print(f"### Speed: simulated tau per CPU-second (Euler dt = {args.dt}, T = {args.t_max} tau, B = 1)\n")
    print(f"core(N, rho = {args.rho}, J_D = {args.j_d}), I = {args.lam} N(0, 1), random +-1 start, beta = {args.beta} "
          "(tanh). Brian2 build = objects + connect; compile = code generation and compilation (cython: cold cache; "
          "cpp_standalone: the g++ build); run = the simulation only (cpp_standalone: the binary's CPU time).\n")
    print(table + "\n")
    log("Brian2 learning ...")
    table, note, raw = bench_brian2_learning(1000, args.learn_samples)
    out["learning"] = raw
    print("### Learning: one Brian2 run() per epoch vs native (batch size 1)\n")
    print(table + "\n\n" + note + "\n")
    if not args.skip_accuracy:
        table, raw = bench_accuracy(1000, args.epochs, args.train_size, args.val_size, args.t_phase, args.dt)
        out["accuracy"] = raw
        part = f"the first {args.train_size}" if args.train_size else "all 60000"
        print(f"### Accuracy: Entangled-MNIST, N = 1000, Table VI hyperparameters, {args.epochs} epochs on {part} "
              f"training samples, validation on the first {args.val_size} test samples\n")
        print(f"Continuous: t_warmup = 1 tau, t_supervised = t_free = {args.t_phase} tau, inference from the neutral "
              f"start for 1 + {args.t_phase} tau. Discrete: sync, warmup 1 step, max_steps 5.\n")
        print(table + "\n")
    out["load_end"] = load_average()
    out["seconds"] = time.perf_counter() - t0
    print(f"Total {out['seconds']:.0f} s; load average at the end {out['load_end']}.")
    if args.json:
        os.makedirs(os.path.dirname(args.json) or ".", exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1, default=float)


if __name__ == "__main__":
    main()
