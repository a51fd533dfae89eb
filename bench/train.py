"""Training throughput of Algorithm 1: neurosim's ``Trainer`` against the plain-numpy
reference ``tests/reference_train.py`` (scipy.sparse couplings, numpy over the
batch, fields recomputed every step, no numba), both measured in one run.

Workload: the Table VI configuration. One core module of N neurons (rho = 0.01,
J_ij ~ N(0, 1/(rho N)), J_D = 0.5), input Entangled-MNIST (D = 100) through W_in of
density rho_in = 0.1, 10 classes, lambda_x = 2, lambda_y = 0.9, eta_J = 0.005,
eta_in = 0.01, eta_out = 0.01, kappa_J = 1.4 (= 0.9 + J_D), kappa_in = kappa_out = 3,
synchronous dynamics, max_steps = 5, batch size 16, batches drawn as ``fit`` draws
them (epoch-0 permutation of the 60,000 training samples).

Per N:
* same batches, interleaved: the first ``--ref-batches`` batches are trained by
  both, batch by batch in alternating order, from the same initial network; the
  weights are compared at the end (they must agree to 1e-12). The speedup is
  the ratio of the two total times over these batches, in wall time and in
  CPU time of the process (all threads; less sensitive to other jobs).
* neurosim alone on more batches (``--batches``), continuing the same epoch: the
  training rate used for the projection.
* inference (``Trainer.infer``, batches of 1024) on ``--infer-samples`` training
  samples, best of 2; the numpy reference on fewer.
* projection of the full Table VI run: 30 epochs x (60,000 training samples
  + inference on the 60,000 training and 10,000 validation samples, which ``fit``
  does after every epoch to report the accuracies), against 10 minutes.
* breakdown: CPU time on one numba thread of neurosim's warmup step alone, its
  three phases and a train_batch, against numpy's one batched step, its phases
  and its train_batch.

``--baseline dense-blas`` measures instead against the dense-BLAS baseline of
``bench/dense_blas.py`` (float32, fixed 1 + 5 + 5 sweeps, one matrix product per
sweep, dense rules: the approach of the authors' JAX library) on the same
batches, interleaved batch by batch, at every N of ``--sizes`` and every
density of ``--rhos``; the learning rates are Table VI's in the coupling scale
(``eta_units="fan-in"``) for both. It reports training samples per second, wall
and CPU, neurosim in float64 (the default) and float32 (``compile(...,
dtype="float32")``), and with ``--accuracy-epochs E`` the validation accuracy
of both after E epochs (on ``--accuracy-sizes``).

Run:  .venv/bin/python bench/train.py [--quick] [--sizes 1000,1600,4000] [--json FILE]
      .venv/bin/python bench/train.py --baseline dense-blas [--rhos 0.01,1] [--accuracy-epochs 1]
"""
import argparse
import dataclasses
import json
import os
import sys
import time
from pathlib import Path

# as in bench/engine.py: idle OpenMP workers sleep instead of spinning (on a
# shared machine a descheduled spinning worker delays every parallel region)
if "--omp-default" not in sys.argv and "OMP_WAIT_POLICY" not in os.environ:
    os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    OMP_NOTE = "OMP_WAIT_POLICY=PASSIVE (set by the benchmark; --omp-default keeps the library default)"
else:
    OMP_NOTE = f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'unset (library default)')}"
# numpy's BLAS calls here are tiny ([N, 16] x [16, 100]); a second OpenBLAS thread
# only adds spinning, and on this shared machine made the reference slower in wall
# and CPU time. One BLAS thread (unless OPENBLAS_NUM_THREADS is set) is the faster,
# so the more conservative, baseline.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
OMP_NOTE += f"; OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}"

import numba as nb
import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "tests"))

import neurosim as ns  # noqa: E402
from neurosim import datasets, topologies  # noqa: E402
from neurosim.learning import Trainer, TrainConfig  # noqa: E402

import reference_train as ref  # noqa: E402
from common import load_average, log, machine_info, markdown_table  # noqa: E402
from dense_blas import DenseBlasTrainer  # noqa: E402

J_D = 0.5
RHO = 0.01
RHO_IN = 0.1
NET_SEED = 0
CONFIG = TrainConfig(epochs=30, batch_size=16, eta_j=0.005, eta_in=0.01, eta_out=0.01, kappa_j=0.9 + J_D,
                     kappa_in=3.0, kappa_out=3.0, lam_x=2.0, lam_y=0.9, mode="sync", max_steps=5, seed=0)
EPOCHS = 30
N_TRAIN = 60000
N_VAL = 10000
TARGET_SPEEDUP = 10.0
TARGET_WALL_S = 600.0


def build(n):
    net = topologies.core(n, rho=RHO, j_d=J_D, seed=NET_SEED, input_dim=100, rho_in=RHO_IN, n_classes=10,
                          lam_x=CONFIG.lam_x, lam_y=CONFIG.lam_y)
    return ns.compile(net)


class Batches:
    """The epoch-0 mini-batches of ``Trainer.fit`` on Entangled-MNIST."""

    def __init__(self, data, config):
        self.x = np.asarray(data.x_train, dtype=np.float64)
        self.y_pm = data.targets("train", dtype=np.float64)
        self.y01 = (self.y_pm > 0).astype(np.float64)
        self.order = np.random.default_rng([config.seed, 0]).permutation(len(self.x))
        self.size = config.batch_size

    def __getitem__(self, k):
        idx = self.order[k * self.size:(k + 1) * self.size]
        return self.x[idx], self.y01[idx], self.y_pm[idx]

    def __len__(self):
        return len(self.order) // self.size


def max_weight_diff(cn, net):
    return max(float(np.abs(cn.learnable().data - net.J.data).max()),
               float(np.abs(cn.w_in - net.w_in).max()),
               float(np.abs(cn.w_out - net.w_out).max()))


def time_cpu(fn):
    """(wall seconds, CPU seconds of this process, all threads, result)."""
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - w0, time.process_time() - c0, out


def measure(n, batches, n_ref, n_total, n_infer, n_infer_ref):
    """All the timings of one network size (see the module docstring)."""
    cn = build(n)
    start = cn.copy()
    # JIT and thread start-up on a throwaway copy
    warm = Trainer(cn.copy(), CONFIG)
    for k in range(2):
        warm.train_batch(*batches[k], key=(0, k))
    warm.infer(batches.x[:64])

    tr = Trainer(cn, CONFIG)
    net = ref.RefNet.from_compiled(start)
    t_ns = t_np = c_ns = c_np = 0.0
    steps = []
    for k in range(n_ref):
        x, y01, y_pm = batches[k]
        seeds = ref.phase_seeds(CONFIG.seed, (0, k))

        def run_ns():
            return tr.train_batch(x, y01, y_pm, key=(0, k))

        def run_np():
            return ref.numpy_train_batch(net, x, y01, y_pm, CONFIG, seeds)

        if k % 2 == 0:
            a, ca, _ = time_cpu(run_ns)
            b, cb, out = time_cpu(run_np)
        else:
            b, cb, out = time_cpu(run_np)
            a, ca, _ = time_cpu(run_ns)
        t_ns += a
        t_np += b
        c_ns += ca
        c_np += cb
        steps.append(out["steps"])
    diff = max_weight_diff(tr.cn, net)
    steps = np.concatenate(steps)

    # inference on the network both have trained: the states must be equal
    x_ref = batches.x[:n_infer_ref]
    t_inf_np, c_inf_np, states_np = time_cpu(lambda: ref.infer(net, x_ref, CONFIG, seed=tr._seed(0, 0)))
    infer_match = bool(np.array_equal(tr.infer(x_ref, batch_size=len(x_ref)), states_np))
    xs = batches.x[:n_infer]
    inf = [time_cpu(lambda: tr.infer(xs, batch_size=1024)) for _ in range(2)]
    t_inf, c_inf = min(v[0] for v in inf), min(v[1] for v in inf)

    t_more, c_more, _ = time_cpu(lambda: [tr.train_batch(*batches[k], key=(0, k)) for k in range(n_ref, n_total)])
    long_rate = (n_total - n_ref) * CONFIG.batch_size / t_more if n_total > n_ref else None
    long_cpu = c_more / (n_total - n_ref) * 1e3 if n_total > n_ref else None

    bs = CONFIG.batch_size
    r = {
        "n": n, "nnz_j": int(cn.j_data.size),
        "ref_batches": n_ref, "total_batches": n_total,
        "ns_rate_same": n_ref * bs / t_ns, "np_rate_same": n_ref * bs / t_np,
        "speedup": t_np / t_ns,
        "ns_cpu_ms_per_batch": c_ns / n_ref * 1e3, "np_cpu_ms_per_batch": c_np / n_ref * 1e3,
        "cpu_speedup": c_np / c_ns,
        "ns_rate_long": long_rate,
        "ns_infer_rate": n_infer / t_inf, "np_infer_rate": n_infer_ref / t_inf_np,
        "ns_infer_cpu_ms_per_sample": c_inf / n_infer * 1e3, "np_infer_cpu_ms_per_sample": c_inf_np / n_infer_ref * 1e3,
        "ns_cpu_ms_per_batch_long": long_cpu,
        "max_weight_diff": diff, "infer_match": infer_match,
        "mean_steps_sup": float(steps[:, 0].mean()), "mean_steps_free": float(steps[:, 1].mean()),
        "load_after": load_average(),
    }
    ns_train_rate = long_rate if long_rate is not None else r["ns_rate_same"]
    r["ns_train_rate"] = ns_train_rate
    r["ns_epoch_s"] = N_TRAIN / ns_train_rate + (N_TRAIN + N_VAL) / r["ns_infer_rate"]
    r["np_epoch_s"] = N_TRAIN / r["np_rate_same"] + (N_TRAIN + N_VAL) / r["np_infer_rate"]
    r["ns_full_s"] = EPOCHS * r["ns_epoch_s"]
    r["np_full_s"] = EPOCHS * r["np_epoch_s"]
    # CPU seconds of the full run (all threads): a load-independent measure of the work
    n_b = N_TRAIN / CONFIG.batch_size
    ns_cpu_b = long_cpu if long_cpu is not None else r["ns_cpu_ms_per_batch"]
    r["ns_full_cpu_s"] = EPOCHS * (n_b * ns_cpu_b + (N_TRAIN + N_VAL) * r["ns_infer_cpu_ms_per_sample"]) / 1e3
    r["np_full_cpu_s"] = EPOCHS * (n_b * r["np_cpu_ms_per_batch"]
                                   + (N_TRAIN + N_VAL) * r["np_infer_cpu_ms_per_sample"]) / 1e3
    return r


def breakdown(n, batches, reps=5):
    """Where the time goes, in CPU ms per batch on one numba thread (best of
    ``reps`` on batch 0 of a fresh network): neurosim's warmup step alone (the
    fused kernel with no supervised / free steps), its three phases, a whole
    train_batch; numpy's one batched step M @ S^T, its phases, its train_batch."""
    from neurosim.engine import relax_phases
    threads = nb.get_num_threads()
    nb.set_num_threads(1)
    try:
        cn = build(n)
        x, y01, y_pm = batches[0]
        tr = Trainer(cn.copy(), CONFIG)
        net = ref.RefNet.from_compiled(cn)
        seeds = ref.phase_seeds(CONFIG.seed, (0, 0))
        b_free = np.ascontiguousarray(tr.free_field(x))
        S = np.where(np.arange(n) % 3 == 0, 1.0, -1.0) * np.ones((len(x), 1))
        M = net.recurrent()
        tr_b, net_b = Trainer(cn.copy(), CONFIG), ref.RefNet.from_compiled(cn)  # trained by the timing runs

        def warmup_only():
            relax_phases(cn, [b_free], [tr.warmup], mode=CONFIG.mode, p=CONFIG.p, seeds=seeds[:1])

        cases = {
            "ns_warmup": warmup_only,
            "ns_phases": lambda: tr.phases(x, y01, (0, 0)),
            "ns_train_batch": lambda: tr_b.train_batch(x, y01, y_pm, key=(0, 0)),
            "np_step": lambda: M @ S.T,
            "np_phases": lambda: ref.phases(net, x, y01, CONFIG, seeds),
            "np_train_batch": lambda: ref.numpy_train_batch(net_b, x, y01, y_pm, CONFIG, seeds),
        }
        for fn in cases.values():
            fn()
        out = {}
        for name, fn in cases.items():
            out[name] = min(time_cpu(fn)[1] for _ in range(reps)) * 1e3
        return out
    finally:
        nb.set_num_threads(threads)


DENSE_CONFIG = dataclasses.replace(CONFIG, eta_units="fan-in")
TARGET_DENSE = {1.0: 3.0, 0.01: 10.0}   # CPU-time ratio against the dense-BLAS baseline, per rho_J


def dense_case(n, rho, dtype):
    net = topologies.core(n, rho=rho, j_d=J_D, seed=NET_SEED, input_dim=100, rho_in=RHO_IN, n_classes=10,
                          lam_x=CONFIG.lam_x, lam_y=CONFIG.lam_y)
    tr = Trainer(ns.compile(net, dtype=dtype), DENSE_CONFIG)
    return tr, DenseBlasTrainer(tr.cn, DENSE_CONFIG, tr.rates)


def dense_measure(n, rho, batches, n_batches, pretrain):
    """neurosim (float64, float32) and the dense-BLAS baseline on the same
    batches, interleaved, neurosim after ``pretrain`` batches (untimed: its cost
    depends on the state, which converges faster as training goes on; the
    baseline's fixed sweeps cost the same at every batch, so it is timed from a
    fresh network, after two warm-up batches); CPU and wall seconds per batch."""
    ours = {dt: dense_case(n, rho, dt)[0] for dt in ("float64", "float32")}
    base = dense_case(n, rho, "float64")[1]
    for k in range(pretrain):
        for tr in ours.values():
            tr.train_batch(*batches[k], key=(0, k))
    for k in range(2):
        base.train_batch(*batches[k])
    names = ("float64", "float32", "dense-blas")
    wall, cpu = dict.fromkeys(names, 0.0), dict.fromkeys(names, 0.0)
    steps = []
    for k in range(pretrain, pretrain + n_batches):
        calls = [("float64", lambda: ours["float64"].train_batch(*batches[k], key=(0, k))),
                 ("float32", lambda: ours["float32"].train_batch(*batches[k], key=(0, k))),
                 ("dense-blas", lambda: base.train_batch(*batches[k]))]
        for name, fn in calls[k % 3:] + calls[:k % 3]:
            w, c, out = time_cpu(fn)
            wall[name] += w
            cpu[name] += c
            if name == "float64":
                steps.append((out["steps_supervised"], out["steps_free"]))
    bs = CONFIG.batch_size
    r = {"n": n, "rho": rho, "batches": n_batches, "steps": np.mean(steps, axis=0).tolist(), "load": load_average()}
    for name in names:
        r[name] = {"train_per_s": n_batches * bs / wall[name], "train_per_cpu_s": n_batches * bs / cpu[name],
                   "cpu_ms_per_batch": cpu[name] / n_batches * 1e3}
    return r


def dense_accuracy(n, rho, data, epochs):
    """Validation accuracy of neurosim (float64) and the baseline after ``epochs``
    epochs of the same batches from the same network."""
    tr, base = dense_case(n, rho, "float64")
    batches = Batches(data, CONFIG)
    for e in range(epochs):
        order = np.random.default_rng([CONFIG.seed, e]).permutation(len(batches.x))
        for k in range(len(order) // CONFIG.batch_size):
            idx = order[k * CONFIG.batch_size:(k + 1) * CONFIG.batch_size]
            x, y01, y_pm = batches.x[idx], batches.y01[idx], batches.y_pm[idx]
            tr.train_batch(x, y01, y_pm, key=(e, k))
            base.train_batch(x, y01, y_pm)
    x_val = np.asarray(data.x_test, dtype=np.float64)
    return {"n": n, "rho": rho, "epochs": epochs, "neurosim": tr.accuracy(x_val, data.y_test),
            "dense-blas": float(np.mean(base.predict(x_val) == data.y_test))}


def dense_breakdown(n, batches, pretrain, dtype, reps=5):
    """Where a batch's time goes on a fully connected core, in CPU ms on one thread
    (numba and BLAS), after ``pretrain`` training batches (the state of a run in
    progress), best of ``reps`` on the next batch: the first step's fields (one
    product S W over the batch), the relaxation kernel, the rule of J, the other
    rules and statistics, and the rest (Python), against one stream of W (the
    product S W for 16 samples: the memory-bound unit of this roofline) and the
    dense-BLAS baseline's train_batch."""
    from threadpoolctl import threadpool_limits
    from neurosim.engine import kernels
    from neurosim.engine.relax import recurrent_fields
    from neurosim.learning import rules
    threads = nb.get_num_threads()
    nb.set_num_threads(1)
    try:
        with threadpool_limits(1, user_api="blas"):
            tr, base = dense_case(n, 1.0, dtype)
            for k in range(pretrain):
                tr.train_batch(*batches[k], key=(0, k))
            x, y01, y_pm = batches[pretrain]
            yb = y01  # the text protocol's supervision vectors
            c = tr.config
            s1 = np.zeros((len(x), n), dtype=np.int8)
            kernels.first_step(0, 1.0, 0, 1, 0, s1, tr.free_field(x), np.zeros(len(x), np.int64))
            s_star, h = tr.phases(x, yb, (0, pretrain))[1:3]
            gate = rules.margin_gate(s_star, h, c.kappa_j)
            copy = tr.cn.copy()
            parts = {
                "stream_W": lambda: s1.astype(tr.cn.dtype) @ tr.cn.j.block,
                "fields": lambda: recurrent_fields(tr.cn, s1),
                "phases": lambda: tr.phases(x, yb, (0, pretrain)),
                "rule_J": lambda: rules.coupling_update(copy, s_star, gate, 1e-9),
                "train_batch": lambda: tr.train_batch(x, yb, y_pm, key=(0, pretrain)),
                "baseline": lambda: base.train_batch(x, y01, y_pm),
            }
            for fn in parts.values():
                fn()
            out = {name: min(time_cpu(fn)[1] for _ in range(reps)) * 1e3 for name, fn in parts.items()}
        out["kernel"] = out["phases"] - out["fields"]
        out["rest"] = out["train_batch"] - out["phases"] - out["rule_J"]
        return out
    finally:
        nb.set_num_threads(threads)


def dense_main(args):
    sizes = [int(v) for v in args.sizes.split(",")]
    rhos = [float(v) for v in args.rhos.split(",")]
    n_batches = args.batches or (30 if args.quick else 150)
    data = datasets.load("entangled-mnist")
    batches = Batches(data, CONFIG)
    load_before = load_average()
    results = []
    for rho in rhos:
        for n in sizes:
            log(f"N = {n}, rho = {rho} ...")
            results.append(dense_measure(n, rho, batches, n_batches, args.pretrain))
    breakdowns = []
    if not args.no_breakdown and 1.0 in rhos:
        for n in sizes:
            for dtype in ("float64", "float32"):
                log(f"breakdown N = {n}, {dtype} ...")
                breakdowns.append((n, dtype, dense_breakdown(n, batches, args.pretrain, dtype)))
    accuracy = []
    for n in ([int(v) for v in args.accuracy_sizes.split(",")] if args.accuracy_epochs else []):
        for rho in rhos:
            log(f"accuracy N = {n}, rho = {rho}, {args.accuracy_epochs} epochs ...")
            accuracy.append(dense_accuracy(n, rho, data, args.accuracy_epochs))
    print("## Training throughput against the dense-BLAS baseline\n")
    print(f"{machine_info()}; {OMP_NOTE}; numba threads {nb.get_num_threads()}")
    print(f"load average (1 min): {load_before} before; {n_batches} batches of {CONFIG.batch_size} per case, "
          "the three trainers interleaved batch by batch; Table VI rates in the coupling scale\n")
    print(f"Timed batches {args.pretrain}..{args.pretrain + n_batches - 1} of epoch 0, neurosim after the first "
          f"{args.pretrain} trained untimed (a run in progress; the baseline's cost does not depend on the state).\n")
    rows = []
    for r in results:
        f64, f32, base = r["float64"], r["float32"], r["dense-blas"]
        target = TARGET_DENSE.get(r["rho"])
        rows.append([r["n"], r["rho"], f"{base['train_per_s']:,.0f} / {base['train_per_cpu_s']:,.0f}",
                     f"{f64['train_per_s']:,.0f} / {f64['train_per_cpu_s']:,.0f}",
                     f"{f32['train_per_s']:,.0f} / {f32['train_per_cpu_s']:,.0f}",
                     f"**{f64['train_per_cpu_s'] / base['train_per_cpu_s']:.1f}x**",
                     f"**{f32['train_per_cpu_s'] / base['train_per_cpu_s']:.1f}x**",
                     f"{r['steps'][0]:.2f} / {r['steps'][1]:.2f}",
                     "–" if target is None else f">= {target:.0f}x", r["load"]])
    print(markdown_table(["N", "rho_J", "dense-BLAS train/s (wall / CPU)", "neurosim f64 train/s (wall / CPU)",
                          "neurosim f32 train/s (wall / CPU)", "f64 / baseline (CPU)", "f32 / baseline (CPU)",
                          "neurosim steps sup / free", "target", "load after"], rows))
    if breakdowns:
        print(f"\n**Where a batch goes** (rho_J = 1, CPU ms per batch of 16 on one thread, after {args.pretrain} "
              "training batches, best of 5). Roofline unit: one stream of W, the product S W over the batch "
              "(memory-bound: W is N^2 values); the baseline streams W about 13 times per batch (12 products and "
              "the rank-B rule).\n")
        rows = []
        for n, dtype, b in breakdowns:
            unit = b["stream_W"]
            rows.append([n, dtype, f"{unit:.2f}", f"{b['fields']:.2f}", f"{b['kernel']:.2f}", f"{b['rule_J']:.2f}",
                         f"{b['rest']:.2f}", f"{b['train_batch']:.2f} ({b['train_batch'] / unit:.1f} W)",
                         f"{b['baseline']:.2f} ({b['baseline'] / unit:.1f} W)"])
        print(markdown_table(["N", "dtype", "one stream of W", "first-step fields", "relaxation kernel",
                              "rule of J", "other rules, stats, Python", "neurosim train_batch",
                              "dense-BLAS train_batch"], rows))
    if accuracy:
        print("\n**Accuracy** (validation, 10,000 test images) after the same epochs and batches:\n")
        print(markdown_table(["N", "rho_J", "epochs", "neurosim (f64)", "dense-BLAS (f32)"],
                             [[a["n"], a["rho"], a["epochs"], f"{a['neurosim']:.4f}", f"{a['dense-blas']:.4f}"]
                              for a in accuracy]))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps({"machine": machine_info(), "load_before": load_before,
                                               "results": results, "accuracy": accuracy,
                                               "breakdown": breakdowns}, indent=1))
    return 0


def fmt_s(s):
    if s < 120:
        return f"{s:.0f} s"
    if s < 7200:
        return f"{s / 60:.1f} min"
    return f"{s / 3600:.1f} h"


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="fewer batches (numpy 20, neurosim 200) and inference samples")
    ap.add_argument("--sizes", type=str, default="1000,1600,4000", help="comma-separated N")
    ap.add_argument("--ref-batches", type=int, default=None,
                    help="batches trained by both, interleaved (default 100, --quick 20)")
    ap.add_argument("--batches", type=int, default=None,
                    help="batches trained by neurosim in all, for its rate (default 1000, --quick 200)")
    ap.add_argument("--infer-samples", type=int, default=None,
                    help="samples for the inference rate (default 8192, --quick 2048; numpy: a quarter)")
    ap.add_argument("--threads", type=int, default=None, help="numba threads (default: numba's default)")
    ap.add_argument("--no-breakdown", action="store_true", help="skip the one-thread CPU-time breakdown")
    ap.add_argument("--json", type=str, default=None, help="also write the raw results to this file")
    ap.add_argument("--baseline", choices=("numpy-reference", "dense-blas"), default="numpy-reference",
                    help="what neurosim is measured against (module docstring)")
    ap.add_argument("--rhos", type=str, default="0.01,1", help="densities of J (dense-blas)")
    ap.add_argument("--pretrain", type=int, default=1000,
                    help="dense-blas: training batches before the timed ones (a run in progress; 0: a fresh network)")
    ap.add_argument("--accuracy-epochs", type=int, default=0, help="dense-blas: also train E epochs for accuracy")
    ap.add_argument("--accuracy-sizes", type=str, default="1000", help="dense-blas: N of the accuracy runs")
    ap.add_argument("--omp-default", action="store_true",
                    help="keep OpenMP's default (spinning) wait policy instead of OMP_WAIT_POLICY=PASSIVE")
    return ap.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.threads:
        nb.set_num_threads(args.threads)
    if args.baseline == "dense-blas":
        return dense_main(args)
    sizes = [int(v) for v in args.sizes.split(",")]
    n_ref = args.ref_batches or (20 if args.quick else 100)
    n_total = max(args.batches or (200 if args.quick else 1000), n_ref)
    n_infer = args.infer_samples or (2048 if args.quick else 8192)
    n_infer_ref = max(n_infer // 4, 16)
    if args.threads:
        nb.set_num_threads(args.threads)

    data = datasets.load("entangled-mnist")
    batches = Batches(data, CONFIG)
    load_before = load_average()
    log(f"load average {load_before}; sizes {sizes}; {n_ref} batches both, {n_total} neurosim")
    results = []
    for n in sizes:
        log(f"N = {n} ...")
        t0 = time.perf_counter()
        r = measure(n, batches, n_ref, n_total, n_infer, n_infer_ref)
        log(f"  done in {time.perf_counter() - t0:.0f} s: speedup {r['speedup']:.1f}x, "
            f"max |dW| {r['max_weight_diff']:.1e}, load {r['load_after']}")
        results.append(r)
    breakdowns = []
    if not args.no_breakdown:
        for n in sizes:
            log(f"breakdown N = {n} ...")
            breakdowns.append((n, breakdown(n, batches)))

    bs = CONFIG.batch_size
    threads = nb.get_num_threads()
    print("## Training throughput (Table VI configuration)\n")
    print(f"{machine_info()}; {OMP_NOTE}")
    print(f"load average (1 min): {load_before} before, "
          + ", ".join(f"{r['load_after']} after N={r['n']}" for r in results) + "\n")
    print(f"**Same batches** (the first {n_ref} batches of epoch 0, {n_ref * bs} samples, trained by both "
          "from the same network, interleaved batch by batch):\n")
    rows = [[r["n"], f"{r['nnz_j']:,}", f"{r['ns_rate_same']:,.0f}", f"{r['np_rate_same']:,.0f}",
             f"**{r['speedup']:.1f}x**", f"{r['ns_cpu_ms_per_batch']:.1f}", f"{r['np_cpu_ms_per_batch']:.1f}",
             f"{r['cpu_speedup']:.1f}x", f"{r['mean_steps_sup']:.2f} / {r['mean_steps_free']:.2f}",
             f"{r['max_weight_diff']:.0e}"] for r in results]
    print(markdown_table(["N", "nnz J", "neurosim train/s", "numpy train/s", "speedup (wall)",
                          "neurosim CPU ms/batch", "numpy CPU ms/batch", "speedup (CPU)",
                          "steps sup / free", "max abs dW"], rows))
    print()
    print(f"**Projection of the full Table VI run**: {EPOCHS} x ({N_TRAIN:,} training samples + inference "
          f"on {N_TRAIN:,} + {N_VAL:,} samples). neurosim's training rate is taken on batches "
          f"{n_ref}..{n_total - 1} of epoch 0, its inference rate on {n_infer} samples (batches of 1024); "
          f"numpy's on the same batches as above and {n_infer_ref} samples.\n")
    rows = [[r["n"], f"{r['ns_train_rate']:,.0f}", f"{r['ns_infer_rate']:,.0f}", f"{r['np_infer_rate']:,.0f}",
             fmt_s(r["ns_epoch_s"]), f"**{fmt_s(r['ns_full_s'])}**", fmt_s(r["ns_full_cpu_s"]),
             fmt_s(r["np_full_s"]), fmt_s(r["np_full_cpu_s"]),
             "PASS" if r["ns_full_s"] <= TARGET_WALL_S else "FAIL"] for r in results]
    print(markdown_table(["N", "neurosim train/s", "neurosim infer/s", "numpy infer/s", "neurosim epoch",
                          "neurosim full run", "neurosim full run CPU", "numpy full run", "numpy full run CPU",
                          "<= 10 min"], rows))
    print()
    print(f"Full run: wall time at the measured rates under this load; CPU: CPU seconds of all threads "
          f"(neurosim ran {threads} numba threads; on an idle machine its wall time is at best CPU / {threads}).\n")
    if breakdowns:
        print("**Where the time goes** (CPU ms per batch of 16, one numba thread, best of 5 on batch 0 of a "
              "fresh network):\n")
        rows = [[n, f"{b['ns_warmup']:.1f}", f"{b['ns_phases']:.1f}", f"{b['ns_train_batch']:.1f}",
                 f"{b['np_step']:.2f}", f"{b['np_phases']:.1f}", f"{b['np_train_batch']:.1f}"]
                for n, b in breakdowns]
        print(markdown_table(["N", "neurosim warmup step", "neurosim 3 phases", "neurosim train_batch",
                              "numpy one step M S^T", "numpy 3 phases", "numpy train_batch"], rows))
        print()
    for r in results:
        ok_speed = r["speedup"] >= TARGET_SPEEDUP
        ok_wall = r["ns_full_s"] <= TARGET_WALL_S
        print(f"- N={r['n']}: speedup {r['speedup']:.1f}x wall, {r['cpu_speedup']:.1f}x CPU (target >= "
              f"{TARGET_SPEEDUP:.0f}x: {'PASS' if ok_speed else 'FAIL'}); projected full run "
              f"{fmt_s(r['ns_full_s'])} (target <= 10 min: {'PASS' if ok_wall else 'FAIL'}); reference "
              f"{'equal' if r['max_weight_diff'] <= 1e-12 and r['infer_match'] else 'DIFFERS'}")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps({"machine": machine_info(), "omp": OMP_NOTE, "load_before": load_before,
                                               "config": dataclasses.asdict(CONFIG), "results": results,
                                               "breakdown": dict(breakdowns)}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
