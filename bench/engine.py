"""Benchmark of the numba reference engine (``neurosim.relax``) against simple
baselines written here, all measured in one run.

Workload: one population of N neurons, random couplings with density rho = 0.01
(J_ij ~ N(0, 1/(rho N)), so a mean fan-in / fan-out of rho N), self-coupling
J_D = 1.0 (large enough that every mode settles in a few tens of steps), an
external field b ~ 0.5 N(0, 1) per neuron and sample, random +-1 initial states,
max_steps = 200. Modes: sync, prob (p = 0.5) and async; batch 1 and 64.

Baselines (same trajectories, so the end states must be equal):

* sync / prob: scipy.sparse. M = J + K + diag(J_D) is one CSR matrix; every step
  computes H = M @ S^T + b^T for all samples still moving (S^T kept as a
  C-ordered float64 [N, B] array), applies sgn (sgn(0) = +1) and drops a sample
  once it is a fixed point. prob gates a change of neuron i of sample k at step t
  with neurosim.rng.uniform_array(seed, GATE, t, k, i) < p, like the engine.
* async: a numba loop (parallel over samples, like the engine) that visits the
  neurons in the engine's order (neurosim.rng.sweep_order, recomputed inside
  numba from neurosim.rng.uniform and a stable argsort) and recomputes the
  field of each visited neuron from scratch as a CSR row dot product. Only the
  field update differs from the engine: recompute versus event-driven push.

Run:  .venv/bin/python bench/engine.py [--quick] [--sizes 1000,4000] [--json FILE]
"""
import argparse
import json
import os
import sys
from pathlib import Path

# numba's default threading layer here is OpenMP, whose idle workers spin after
# every parallel region. On a shared, oversubscribed machine a spinning worker
# that gets descheduled delays the next region's barrier by a scheduler time
# slice (milliseconds), which swamps short relax calls. Unless told otherwise
# (--omp-default, or OMP_WAIT_POLICY already set), let idle workers sleep.
if "--omp-default" not in sys.argv and "OMP_WAIT_POLICY" not in os.environ:
    os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    OMP_NOTE = "OMP_WAIT_POLICY=PASSIVE (set by the benchmark; --omp-default keeps the library default)"
else:
    OMP_NOTE = f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'unset (library default)')}"

import numba as nb
import numpy as np
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import neurosim as ns  # noqa: E402
from neurosim.rng import GATE, ORDER, sweep_order, uniform, uniform_array  # noqa: E402

from common import best_of, best_of_interleaved, load_average, log, machine_info, markdown_table, mib, nbytes, peak_traced_bytes, si  # noqa: E402

RHO = 0.01
J_D = 1.0
FIELD_SCALE = 0.5
MAX_STEPS = 200
P = 0.5
NET_SEED = 0        # network draws
DATA_SEED = 1       # initial states and fields
RUN_SEED = 7        # relax(..., seed=): the gate / order draws
BATCHES = (1, 64)
MODES = ("sync", "prob", "async")

TARGET_SYNC = 5.0    # engine sync >= 5x scipy.sparse at batch 64
TARGET_ASYNC = 20.0  # engine async >= 20x the recompute-from-scratch loop
TARGET_MEM = 1.5     # engine memory <= 1.5x (CSR arrays + states)


# ----------------------------------------------------------------- workload
def build(n):
    net = ns.Network(seed=NET_SEED)
    net.add_population("core", n, j_d=J_D)
    net.connect("core", "core", rho=RHO)
    cn = ns.compile(net)
    rng = np.random.default_rng(DATA_SEED)
    s0 = rng.choice(np.array([-1, 1], dtype=np.int8), size=(max(BATCHES), n))
    b = FIELD_SCALE * rng.standard_normal((max(BATCHES), n))
    return cn, s0, b


def start_threads():
    """One tiny parallel relax, so that numba's threading layer is chosen."""
    net = ns.Network(seed=NET_SEED)
    net.add_population("core", 8, j_d=J_D)
    ns.relax(ns.compile(net), s0=np.ones((2, 8), dtype=np.int8), field=np.zeros((2, 8)))


def coupling_csr(cn):
    """J + K + diag(J_D) as one CSR matrix (what the scipy baseline multiplies by)."""
    M = (cn.learnable() + cn.fixed() + sp.diags(cn.j_d)).tocsr()
    M.sort_indices()
    return M


# --------------------------------------------------------- scipy.sparse baseline
def sparse_relax(M, s0, b, mode, p, seed, max_steps):
    """sync / prob relaxation of the batch s0 [B, N] with scipy.sparse; returns
    (states int8 [B, N], steps, converged, flips) with the engine's conventions:
    ``steps`` is the first t at which the state is a fixed point (max_steps if
    none), the sample index used for the gate draws is the row of s0."""
    n_batch = s0.shape[0]
    X = np.ascontiguousarray(s0.T, dtype=np.float64)      # S^T [N, B]
    bT = np.ascontiguousarray(b.T)
    steps = np.full(n_batch, max_steps, dtype=np.int64)
    converged = np.zeros(n_batch, dtype=bool)
    flips = np.zeros(n_batch, dtype=np.int64)
    active = np.arange(n_batch)
    for t in range(max_steps + 1):
        full = active.size == n_batch
        Xa = X if full else X[:, active]
        H = M @ Xa
        H += bT if full else bT[:, active]
        V = np.where(H >= 0.0, 1.0, -1.0)
        change = V != Xa
        fixed = ~change.any(axis=0)
        if fixed.any():
            steps[active[fixed]] = t
            converged[active[fixed]] = True
        if t == max_steps:
            break
        if fixed.any():
            moving = ~fixed
            active, Xa, V, change = active[moving], Xa[:, moving], V[:, moving], change[:, moving]
        if active.size == 0:
            break
        if mode == "prob":
            rows, cols = np.nonzero(change)
            change[rows, cols] = uniform_array(seed, GATE, t, active[cols], rows) < p
        flips[active] += change.sum(axis=0)
        X[:, active] = np.where(change, V, Xa)
    return X.T.astype(np.int8), steps, converged, flips


# ----------------------------------------------------- recompute async baseline
@nb.njit(inline="always")
def _sgn(v):
    return np.int8(1) if v >= 0.0 else np.int8(-1)


@nb.njit(inline="always")
def _row_dot(i, s, indptr, indices, data):
    acc = 0.0
    for q in range(indptr[i], indptr[i + 1]):
        acc += data[q] * s[indices[q]]
    return acc


@nb.njit(parallel=True)
def async_recompute(seed, max_steps, s, b, j_d, j_indptr, j_indices, j_data,
                    k_indptr, k_indices, k_data, steps, converged, flips):
    """Asynchronous sweeps over every row of s [B, N] (int8, in place): neurons
    are visited in the order of u(seed, ORDER, t, sample, i) (stable argsort, the
    engine's order) and each visited neuron's field is recomputed from scratch."""
    n_batch, n = s.shape
    for bi in nb.prange(n_batch):
        si_ = s[bi]
        bb = b[bi]
        keys = np.empty(n)
        done = False
        taken = max_steps
        nfl = 0
        for t in range(max_steps):
            for i in range(n):
                keys[i] = uniform(seed, ORDER, t, bi, i)
            order = np.argsort(keys, kind="mergesort")
            changed = 0
            for i in order:
                h = _row_dot(i, si_, j_indptr, j_indices, j_data) + _row_dot(i, si_, k_indptr, k_indices, k_data)
                v = _sgn(h + j_d[i] * si_[i] + bb[i])
                if v != si_[i]:
                    si_[i] = v
                    changed += 1
            nfl += changed
            if changed == 0:
                done, taken = True, t
                break
        if not done:  # after max_steps sweeps: is the end state a fixed point?
            stable = True
            for i in range(n):
                h = _row_dot(i, si_, j_indptr, j_indices, j_data) + _row_dot(i, si_, k_indptr, k_indices, k_data)
                if _sgn(h + j_d[i] * si_[i] + bb[i]) != si_[i]:
                    stable = False
                    break
            done = stable
        steps[bi] = taken
        converged[bi] = done
        flips[bi] = nfl


@nb.njit(parallel=True)
def async_order_only(seed, sweeps, n):
    """Only the visiting-order part of the async engine: for sample bi, ``sweeps[bi]``
    times the keys u(seed, ORDER, t, bi, i) and their stable argsort. Returns a
    checksum so that nothing is optimised away."""
    n_batch = sweeps.size
    acc = np.zeros(n_batch, dtype=np.int64)
    for bi in nb.prange(n_batch):
        keys = np.empty(n)
        for t in range(sweeps[bi]):
            for i in range(n):
                keys[i] = uniform(seed, ORDER, t, bi, i)
            order = np.argsort(keys, kind="mergesort")
            acc[bi] += order[0]
    return acc


@nb.njit
def _order_of(seed, t, sample, n):
    keys = np.empty(n)
    for i in range(n):
        keys[i] = uniform(seed, ORDER, t, sample, i)
    return np.argsort(keys, kind="mergesort")


def recompute_relax(cn, s0, b, seed, max_steps):
    s = np.array(s0, dtype=np.int8, order="C")
    n_batch = s.shape[0]
    steps = np.zeros(n_batch, dtype=np.int64)
    converged = np.zeros(n_batch, dtype=bool)
    flips = np.zeros(n_batch, dtype=np.int64)
    J, K = cn.learnable(), cn.fixed()  # row-major [post, pre]: each field is a row dot product
    async_recompute(seed, max_steps, s, np.ascontiguousarray(b), cn.j_d, J.indptr, J.indices, J.data,
                    K.indptr, K.indices, K.data, steps, converged, flips)
    return s, steps, converged, flips


# ------------------------------------------------------------------- memory
def ir_bytes(cn):
    """(sparse-matrix bytes, J_D bytes) of the arrays relax reads: the IR keeps one
    compressed copy of J and K (column-major, the push order), nothing else."""
    csr = nbytes(cn.j_indptr, cn.j_indices, cn.j_data, cn.k_indptr, cn.k_indices, cn.k_data)
    return csr, nbytes(cn.j_d)


def kernel_bytes(n, batch, mode, threads):
    """Working arrays the numba kernel allocates itself (part of the traced peak),
    read off neurosim/engine/kernels.py: per sample in flight the field h
    float64[N]; sync/prob the candidate lists cand/nxt int32[N], flag bool[N],
    todo int32[N] and new int8[N]; async the marks uint8[N] and the heap (keys
    float64[N], ids int32[N]). prange runs at most min(B, threads) samples at a time."""
    per_sample = n * (8 + 8 + 4 + 1) if mode == "async" else n * (8 + 4 + 4 + 1 + 4 + 1)
    return min(batch, threads) * per_sample


# --------------------------------------------------------------------- main
def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="N in {1000, 4000}, fewer repetitions")
    ap.add_argument("--sizes", type=str, default=None, help="comma-separated N (default 1000,4000,16000)")
    ap.add_argument("--baseline-cap", type=float, default=None,
                    help="seconds one baseline run may take before only a subset of the batch is timed "
                         "and scaled (default 30, --quick 10)")
    ap.add_argument("--json", type=str, default=None, help="also write the raw results to this file")
    ap.add_argument("--threads", type=int, default=None,
                    help="numba threads for the engine and the async baseline (default: numba's default)")
    ap.add_argument("--omp-default", action="store_true",
                    help="keep OpenMP's default (spinning) wait policy instead of OMP_WAIT_POLICY=PASSIVE")
    return ap.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    sizes = [1000, 4000] if args.quick else [1000, 4000, 16000]
    if args.sizes:
        sizes = [int(x) for x in args.sizes.split(",") if x.strip()]
    cap = args.baseline_cap if args.baseline_cap is not None else (10.0 if args.quick else 30.0)
    # every case alternates engine / diagnostics / baseline runs (best of each)
    reps = dict(min_reps=2, max_reps=10, budget_s=2.0) if args.quick else dict(min_reps=3, max_reps=20, budget_s=4.0)
    if args.threads is not None:
        nb.set_num_threads(args.threads)
    threads = nb.get_num_threads()

    print("# neurosim engine benchmark\n")
    print(f"- machine: {machine_info()}")
    print(f"- command: {' '.join([Path(sys.argv[0]).name] + (argv if argv is not None else sys.argv[1:]))}")
    print(f"- workload: one population, rho = {RHO}, J ~ N(0, 1/(rho N)), J_D = {J_D} (so every mode "
          f"settles in tens of steps), field b ~ {FIELD_SCALE}*N(0,1), random +-1 s0, max_steps = {MAX_STEPS}, "
          f"prob p = {P}, seed {RUN_SEED}")
    start_threads()
    print(f"- timing: best of repetitions after a JIT warm-up; numba threads = {threads}, threading layer "
          f"{nb.threading_layer()}, {OMP_NOTE}; the engine and the async baseline run samples in parallel, "
          "scipy.sparse is single-threaded; engine, diagnostics and baseline runs alternate so that they "
          "see the same load")
    print(f"- load average (1 min) at start: {load_average()}")

    rows, mem_rows, results = [], [], []
    for n in sizes:
        log(f"N = {n}: building network")
        cn, s0_all, b_all = build(n)
        M = coupling_csr(cn)
        nnz = cn.j_indices.size + cn.k_indices.size
        fan = nnz / n
        csr_b, jd_b = ir_bytes(cn)
        # warm up (JIT) the engine and the numba baseline on a tiny batch
        for mode in MODES:
            ns.relax(cn, s0=s0_all[:2], field=b_all[:2], mode=mode, p=P, max_steps=3, seed=RUN_SEED)
        recompute_relax(cn, s0_all[:2], b_all[:2], RUN_SEED, 3)
        async_order_only(RUN_SEED, np.ones(2, dtype=np.int64), n)
        if n == sizes[0]:
            # the baseline's visiting order is the engine's (neurosim.rng.sweep_order)
            for t, k in ((0, 0), (3, 1)):
                assert np.array_equal(_order_of(RUN_SEED, t, k, n), sweep_order(RUN_SEED, t, k, n))
        for batch in BATCHES:
            s0, b = s0_all[:batch], b_all[:batch]
            for mode in MODES:
                def run_engine(s0=s0, b=b, mode=mode):
                    return ns.relax(cn, s0=s0, field=b, mode=mode, p=P, max_steps=MAX_STEPS, seed=RUN_SEED)

                def run_init(s0=s0, b=b, mode=mode):
                    # the initial fields alone: h = (J+K) s(0) per sample and one stability check
                    return ns.relax(cn, s0=s0, field=b, mode=mode, p=P, max_steps=0, seed=RUN_SEED)

                if mode == "async":
                    def run_base(k):
                        return recompute_relax(cn, s0[:k], b[:k], RUN_SEED, MAX_STEPS)
                    base_name = "numba recompute"
                else:
                    def run_base(k, mode=mode):
                        return sparse_relax(M, s0[:k], b[:k], mode, P, RUN_SEED, MAX_STEPS)
                    base_name = "scipy.sparse"

                log(f"N = {n}, B = {batch}, {mode}: engine vs {base_name}")
                res = run_engine()
                steps_tot = int(res.steps.sum())
                flips_tot = int(res.flips.sum())
                # the baseline on min(B, threads) samples first: if the whole batch would take
                # longer than the cap, only a subset is timed and the time scaled to B
                k0 = min(batch, threads)
                t_probe, _, _ = best_of(lambda: run_base(k0), min_reps=1, max_reps=1)
                k = batch
                if t_probe * batch / k0 > cap:
                    k = min(batch, max(k0, int(cap / (t_probe / k0)) // threads * threads))
                fns = [run_engine, run_init, lambda: run_base(k)]
                if mode == "async":
                    # the visiting order alone, for as many sweeps as the engine ran
                    sweeps = np.minimum(res.steps + 1, MAX_STEPS).astype(np.int64)
                    fns.append(lambda sweeps=sweeps: async_order_only(RUN_SEED, sweeps, n))
                    # the initial fields and the first sweep (the costly part of an event-driven run)
                    fns.append(lambda s0=s0, b=b: ns.relax(cn, s0=s0, field=b, mode="async", max_steps=1,
                                                           seed=RUN_SEED))
                timed = best_of_interleaved(fns, **reps)
                t_eng, reps_eng, res = timed[0]
                t_init = timed[1][0]
                t_base, reps_base, bres = timed[2]
                t_order = timed[3][0] if mode == "async" else None
                t_first = timed[4][0] if mode == "async" else None
                if k == k0:  # the probe timed this very subset: it counts as a repetition
                    t_base = min(t_base, t_probe)

                # memory: every allocation during relax, numpy's and the kernel's, is traced;
                # should a numba version allocate out of tracemalloc's sight (traced peak below
                # the kernel's own arrays), those are added from kernels.py instead
                traced, _ = peak_traced_bytes(run_engine)
                start = np.array(s0)  # relaxed in place (out=start): no copy of the batch
                traced_in_place, _ = peak_traced_bytes(
                    lambda: ns.relax(cn, s0=start, field=b, mode=mode, p=P, max_steps=MAX_STEPS, seed=RUN_SEED,
                                     out=start))
                kern = kernel_bytes(n, batch, mode, threads)
                extra, extra_in_place = (t if t >= kern else t + kern for t in (traced, traced_in_place))
                states_b = nbytes(s0)
                ref = csr_b + jd_b + states_b
                total = ref + extra
                mem_rows.append(dict(n=n, batch=batch, mode=mode, csr=csr_b, j_d=jd_b,
                                     states=states_b, traced=traced, kernel=kern, ref=ref, total=total,
                                     ratio=total / ref, extra_ratio=extra / ref,
                                     traced_in_place=traced_in_place,
                                     ratio_in_place=(ref + extra_in_place) / ref))

                t_base_scaled = t_base * batch / k
                b_states, b_steps, b_conv, b_flips = bres
                equal_states = np.array_equal(b_states, res.states[:k])
                equal_steps = np.array_equal(b_steps, res.steps[:k]) and np.array_equal(b_flips, res.flips[:k])
                speedup = t_base_scaled / t_eng
                r = dict(n=n, batch=batch, mode=mode, fan_out=fan, t_engine=t_eng, reps_engine=reps_eng,
                         steps_mean=steps_tot / batch, flips_mean=flips_tot / batch,
                         converged=float(res.converged.mean()),
                         relax_per_s=batch / t_eng, updates_per_s=steps_tot * n / t_eng,
                         events_per_s=flips_tot * fan / t_eng,
                         events_per_relax=flips_tot * fan / batch, dense_per_relax=steps_tot * nnz / batch,
                         baseline=base_name, t_baseline=t_base_scaled, reps_baseline=reps_base,
                         baseline_subset=k, baseline_relax_per_s=batch / t_base_scaled, speedup=speedup,
                         equal=bool(equal_states), equal_steps_flips=bool(equal_steps),
                         t_init=t_init, t_order=t_order, t_first=t_first)
                results.append(r)
                log(f"   engine {t_eng:.4g}s, baseline {t_base_scaled:.4g}s (k={k}), x{speedup:.1f}, "
                    f"equal {equal_states}/{equal_steps}")

    # --------------------------------------------------------------- report
    print(f"- load average (1 min) at end: {load_average()} (a load above the {os.cpu_count()} CPUs means other "
          "processes competed for them: expect run-to-run differences)\n")
    header = ["N", "B", "mode", "steps", "flips", "conv", "relax/s", "neuron upd/s", "syn events/s",
              "events/relax", "dense-eq/relax", "baseline", "baseline relax/s", "speedup", "equal"]
    for r in results:
        sub = "" if r["baseline_subset"] == r["batch"] else f" ({r['baseline_subset']}/{r['batch']} scaled)"
        eq = "yes" if r["equal"] else "no"
        if r["equal"] and not r["equal_steps_flips"]:
            eq += " (steps/flips differ)"
        rows.append([r["n"], r["batch"], r["mode"], f"{r['steps_mean']:.1f}", si(r["flips_mean"]),
                     f"{r['converged']:.0%}", si(r["relax_per_s"]), si(r["updates_per_s"]), si(r["events_per_s"]),
                     si(r["events_per_relax"]), si(r["dense_per_relax"]), r["baseline"] + sub,
                     si(r["baseline_relax_per_s"]), f"{r['speedup']:.1f}x", eq])
    print("## Throughput\n")
    print("steps, flips: mean per relaxation (steps = state-changing steps / sweeps; the final fixed-point "
          "check is not counted). neuron upd/s = steps x N per second; syn events/s = flips x mean fan-out "
          "per second (the pushes the event-driven engine does); dense-eq/relax = N x fan-in x steps (what a "
          "recompute-every-field step costs). speedup = baseline time / engine time for the same batch.\n")
    print(markdown_table(header, rows, align="rrl" + "r" * 8 + "l" + "rrl"))
    print()

    mheader = ["N", "B", "mode", "CSC+J_D", "states", "traced peak", "of which kernel arrays",
               "total", "total / (CSC+J_D+states)", "extra / (CSC+J_D+states)", "traced peak, out=s0",
               "total / (CSC+J_D+states), out=s0"]
    mrows = [[m["n"], m["batch"], m["mode"], mib(m["csr"] + m["j_d"]), mib(m["states"]),
              mib(m["traced"]), mib(m["kernel"]), mib(m["total"]), f"{m['ratio']:.2f}",
              f"{m['extra_ratio']:.2f}", mib(m["traced_in_place"]), f"{m['ratio_in_place']:.2f}"]
             for m in mem_rows]
    print("## Memory\n")
    print("total = the compressed arrays of J and K (one column-major copy) + J_D + the "
          "input states (int8 [B, N]) + the peak of all allocations during relax (tracemalloc: the state copy "
          "that becomes the result, result arrays, temporaries, and the kernel's own working arrays, which "
          "numba's runtime allocates through Python's raw allocator; from kernels.py they are 22 N bytes per "
          f"sample in flight for sync/prob, 21 N for async, times min(B, threads={threads})). The input field "
          "b [B, N] float64 is the caller's and not counted. out=s0: the same run relaxing the batch in place "
          "(relax(..., out=s0)), which spares the copy of the states.\n")
    print(markdown_table(mheader, mrows, align="rrl" + "r" * 9))
    print()

    print("## Where the engine's time goes\n")
    print("init = relax(..., max_steps=0): the initial fields h = (J+K) s(0), a CSR row pass per sample, plus "
          "one stability check. order = the async visiting order alone (keys u(seed, ORDER, t, sample, i) and "
          "their stable argsort, for as many sweeps as the engine ran), which the recompute baseline pays too; "
          "ceiling = baseline time / order time, the most the async speedup can be with this order "
          "generation even if field updates were free.\n")
    drows = []
    for r in results:
        order = "-" if r["t_order"] is None else f"{r['t_order'] * 1e3:.3g} ms ({r['t_order'] / r['t_engine']:.0%})"
        ceil = "-" if r["t_order"] is None else f"{r['t_baseline'] / r['t_order']:.1f}x"
        drows.append([r["n"], r["batch"], r["mode"], f"{r['t_engine'] * 1e3:.3g} ms",
                      f"{r['t_init'] * 1e3:.3g} ms ({min(r['t_init'] / r['t_engine'], 1):.0%})", order,
                      f"{r['t_baseline'] * 1e3:.3g} ms", ceil])
    print(markdown_table(["N", "B", "mode", "engine", "init (share)", "order (share)", "baseline", "ceiling"],
                         drows, align="rrl" + "r" * 5))
    print()
    print("Async in units of one baseline sweep (baseline time / (steps + 1) sweeps): the engine must compute "
          "every initial field (N x fan-in, what one recompute sweep costs) and push the flips of its first "
          "sweep before its later, cheap sweeps, so its speedup is about (sweeps per run) / (engine run in "
          "baseline sweeps).\n")
    arows = []
    for r in results:
        if r["mode"] == "async":
            sweep = r["t_baseline"] / (r["steps_mean"] + 1)
            arows.append([r["n"], r["batch"], f"{r['steps_mean'] + 1:.1f}", f"{r['t_first'] / sweep:.2f}",
                          f"{r['t_engine'] / sweep:.2f}", f"{r['speedup']:.1f}x"])
    print(markdown_table(["N", "B", "baseline sweeps per run", "engine init + first sweep", "engine whole run",
                          "speedup"], arows, align="rrrrrr"))
    print()

    print("## Targets\n")
    trows = []
    for r in results:
        if r["mode"] == "sync" and r["batch"] == max(BATCHES):
            trows.append([f"sync >= {TARGET_SYNC:g}x scipy.sparse", r["n"], r["batch"], f"{r['speedup']:.1f}x",
                          "pass" if r["speedup"] >= TARGET_SYNC else
                          f"FAIL (needs {TARGET_SYNC / r['speedup']:.1f}x more)"])
    for r in results:
        if r["mode"] == "async":
            trows.append([f"async >= {TARGET_ASYNC:g}x recompute", r["n"], r["batch"], f"{r['speedup']:.1f}x",
                          "pass" if r["speedup"] >= TARGET_ASYNC else
                          f"FAIL (needs {TARGET_ASYNC / r['speedup']:.1f}x more)"])
    worst = {}
    for m in mem_rows:
        key = (m["n"], m["batch"])
        if key not in worst or m["ratio"] > worst[key]["ratio"]:
            worst[key] = m
    for (n, batch), m in worst.items():
        for how, ratio in (("", m["ratio"]), (", out=s0", m["ratio_in_place"])):
            trows.append([f"memory <= {TARGET_MEM:g}x (worst mode: {m['mode']}{how})", n, batch, f"{ratio:.2f}x",
                          "pass" if ratio <= TARGET_MEM else f"FAIL (over by {(ratio / TARGET_MEM - 1):.0%})"])
    print(markdown_table(["target", "N", "B", "measured", "verdict"], trows, align="lrrrl"))
    print()
    bad = [r for r in results if not r["equal"]]
    if bad:
        print("equal end states (baseline vs engine): NO for "
              + ", ".join(f"N={r['n']} B={r['batch']} {r['mode']}" for r in bad))
    else:
        print("equal end states (baseline vs engine): yes for every case")

    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(dict(machine=machine_info(), threads=threads, results=results,
                                                   memory=mem_rows), indent=1))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
