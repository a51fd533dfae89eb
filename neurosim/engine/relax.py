"""``relax``: run the reference engine on a batch and return a :class:`RelaxResult`."""
from dataclasses import dataclass

import numba as nb
import numpy as np

from ..compiled import CompiledNetwork
from ..fields import external_field
from ..resources import check_memory
from ..validate import check_finite, check_int, check_seed, check_unit
from . import kernels

MODES = {"sync": kernels.SYNC, "prob": kernels.PROB, "async": kernels.ASYNC}
BLOCK_VALUES = 1 << 22  # fields of at most this many (sample, neuron) pairs at once (32 MiB)
MAX_STEPS = 2 ** 40     # a bound that keeps step counters and draw keys far from overflow


@dataclass
class RelaxResult:
    """End states [B, N] (int8 +-1), ``steps`` [B] (steps applied before the end state),
    ``converged`` [B] (the end state is a fixed point), ``flips`` [B] (neuron
    changes) and, when recorded, ``trajectory`` [B, T+1, N] (s(0) .. s(T))."""

    states: np.ndarray
    steps: np.ndarray
    converged: np.ndarray
    flips: np.ndarray
    trajectory: np.ndarray = None

    def events(self):
        """Flip events as a structured array of (step, sample, neuron), in step
        order: ``step`` t means s_i(t) != s_i(t-1)."""
        if self.trajectory is None:
            raise ValueError("no trajectory: call relax(..., record=True)")
        diff = self.trajectory[:, 1:] != self.trajectory[:, :-1]
        sample, step, neuron = np.nonzero(diff)
        ev = np.zeros(sample.size, dtype=[("step", np.int64), ("sample", np.int64), ("neuron", np.int64)])
        ev["step"], ev["sample"], ev["neuron"] = step + 1, sample, neuron
        return ev[np.argsort(ev["step"], kind="stable")]


def kernel_arrays(cn):
    """The IR arrays the kernels read, as one tuple: (J_D, J map, K map), each map
    as (indptr, indices, data, block) (see kernels)."""
    return (cn.j_d, *cn.j.kernel_arrays(), *cn.k.kernel_arrays())


def check_tie(tie):
    """The tie rule's kernel code: "plus" (sgn(0) = +1) or "zero" (sgn(0) = 0)."""
    if tie not in kernels.TIES:
        raise ValueError(f"tie must be one of {tuple(kernels.TIES)}, got {tie!r}")
    return kernels.TIES[tie]


def recurrent_fields(cn, s, out=None):
    """(J + K) s [B, N] for int8 states s [B, N]: one BLAS product per dense map,
    the samples-innermost CSC kernel per sparse one."""
    out = np.zeros(s.shape, dtype=cn.dtype) if out is None else out
    out[...] = 0.0
    dense = None
    for m in (cn.j, cn.k):
        if m.layout == "dense":
            dense = s.astype(m.block.dtype) if dense is None else dense
            out += dense @ m.block
        elif m.indices.size:
            kernels.sparse_fields(s, m.indptr, m.indices, m.data, out)
    return out


def _neutral(s):
    return not s.any()


def _stays_neutral(b, tie_code):
    """Some sample's neutral start is a fixed point already (tie "zero" and b = 0:
    sgn(b_i) = 0 for every i), where the reference takes no step; the first step
    taken for the whole batch at once (kernels.first_step) would count one."""
    return tie_code == 0 and not np.all(np.any(b, axis=1))


def _lockstep(cn, mode):
    """Sync / prob runs on a dense learnable map take its samples in lockstep
    (kernels.lockstep_phases: each changed row read once for a chunk of samples)."""
    return cn.j.layout == "dense" and mode != "async"


def _chunk(n_batch):
    """Samples per lockstep chunk: the batch split over the threads, at most 32."""
    return max(1, min(32, -(-n_batch // nb.get_num_threads())))


def check_out(out, n):
    if not (isinstance(out, np.ndarray) and out.dtype == np.int8 and out.ndim == 2 and out.shape[1] == n
            and out.flags.c_contiguous and out.flags.writeable):
        raise ValueError(f"out must be a writable C-ordered int8 array of shape [B, {n}], got "
                         f"{type(out).__name__} {getattr(out, 'dtype', '')} {np.shape(out)}")


def initial_states(s0, n, batch, out=None):
    """s0 -> int8 [B, N] in {-1, 0, +1}: None is the neutral start (all zero). A 0
    marks a neutral neuron not updated yet: the neutral start, or the continuation
    of a probability-p run in which some neurons have not been drawn. The states go
    into ``out`` when given (checked by :func:`check_out`; no copy when ``out`` is
    ``s0`` itself), else into a new array; ``s0`` is checked before anything is
    written."""
    if s0 is None:
        if out is None:
            return np.zeros((batch, n), dtype=np.int8)
        out[...] = 0
        return out
    arr = np.asarray(s0)
    if arr.ndim == 1:
        arr = arr[None]
    if arr.ndim != 2 or arr.shape[1] != n:
        raise ValueError(f"s0 must have shape [B, {n}] (N = {n}), got {np.shape(s0)}")
    as_int8 = arr if arr.dtype == np.int8 else arr.astype(np.int8)
    flat = as_int8.ravel() if as_int8.flags.c_contiguous else as_int8  # a view: no reduction buffer
    if arr.size and (flat.min() < -1 or flat.max() > 1 or (as_int8 is not arr and not np.array_equal(as_int8, arr))):
        raise ValueError("s0 must hold only -1 or +1 (0: a neutral neuron, not updated yet)")
    if out is None:
        return np.array(as_int8, order="C")  # a copy: the kernel writes into it
    if out.shape != arr.shape:
        raise ValueError(f"out must have the shape of s0 {arr.shape}, got {out.shape}")
    if as_int8 is not out:
        if np.shares_memory(arr, out):
            raise ValueError("out overlaps s0 without being s0: pass s0 itself to relax in place")
        out[...] = as_int8
    return out


def relax(cn, x=None, y=None, s0=None, mode="sync", p=1.0, lam_x=None, lam_y=None,
          max_steps=100, seed=0, record=False, field=None, out=None, tie="plus"):
    """Relax the network from ``s0`` under input ``x`` [B, D] and target ``y`` [B, C].

    mode: ``"sync"`` (every neuron from s(t-1)), ``"prob"`` (each neuron updates
    with probability ``p``) or ``"async"`` (event-driven sweeps in a random order).
    tie: ``"plus"`` (sgn(0) = +1) or ``"zero"`` (sgn(0) = 0: a neuron whose field
    is exactly 0 becomes neutral). ``field`` [B, N] replaces the field computed
    from x and y. Random draws are keyed by (seed, step, sample, neuron): the same
    call gives the same result for any number of threads. ``out`` (int8 [B, N],
    C-ordered) receives the end states instead of a new array; ``out=s0`` relaxes
    in place, without a copy of the batch. ``record=True`` keeps the trajectory
    in a buffer that grows with the steps taken (:class:`Recorder`). The run
    goes in slices of steps (:func:`relax_rows`): Ctrl-C stops it between two.
    """
    if not isinstance(cn, CompiledNetwork):
        raise TypeError(f"cn must be a CompiledNetwork (use neurosim.compile), got {type(cn).__name__}")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {tuple(MODES)}, got {mode!r}")
    tie_code = check_tie(tie)
    p = check_unit("p", p)
    max_steps = check_int("max_steps", max_steps, 0, MAX_STEPS)
    seed = check_seed("seed", seed)
    if out is not None:
        check_out(out, cn.n)
    rows = np.atleast_2d(np.asarray(s0)).shape[0] if s0 is not None else None if out is None else len(out)
    if field is None:
        b = external_field(cn, x, y, lam_x, lam_y, batch=rows)
    else:
        b = np.atleast_2d(np.asarray(field, dtype=np.float64))
        if b.ndim != 2 or b.shape[1] != cn.n:
            raise ValueError(f"field must have shape [B, {cn.n}], got {np.shape(field)}")
        check_finite("field", b)
    n_batch = b.shape[0] if rows is None else rows
    if b.shape[0] not in (1, n_batch):
        raise ValueError(f"the field has batch {b.shape[0]} but s0 has batch {n_batch}")
    s = initial_states(s0, cn.n, n_batch, out)
    b = np.ascontiguousarray(b)
    steps = np.zeros(n_batch, dtype=np.int64)
    converged = np.zeros(n_batch, dtype=bool)
    flips = np.zeros(n_batch, dtype=np.int64)
    recorder = Recorder(n_batch, cn.n, max_steps) if record else None
    block = max(1, BLOCK_VALUES // max(cn.n, 1))
    for lo in range(0, n_batch, block):  # the fields of one block of samples at a time
        hi = min(lo + block, n_batch)
        sb, bb = s[lo:hi], b[lo:hi] if b.shape[0] > 1 else b
        t0 = 0
        if mode != "async" and max_steps > 0 and _neutral(sb) and not _stays_neutral(bb, tie_code):
            kernels.first_step(MODES[mode], p, seed, tie_code, lo, sb, bb, flips[lo:hi])
            t0 = 1
        rec = recurrent_fields(cn, sb)
        relax_rows(cn, mode, p, tie_code, seed, max_steps, t0, lo, sb, bb, rec,
                   steps[lo:hi], converged[lo:hi], flips[lo:hi], recorder)
    trajectory = recorder.result(int(steps.max()) + 1) if record else None
    return RelaxResult(s, steps, converged, flips, trajectory)


FIRST_SLICE = 16          # steps of the first kernel call of a relaxation; later ones double ...
SLICE_VALUES = 1 << 27    # ... up to this many (sample, neuron or coupling) visits: well under a second
ONE_CALL_STEPS = 64  # relax_phases runs a schedule of at most this many steps in one kernel call


def relax_rows(cn, mode, p, tie_code, seed, limit, t0, base, s, b, rec, steps, converged, flips, recorder=None):
    """Relax the rows of ``s`` [B, N] (samples ``base`` ...; ``rec`` = (J + K) s,
    carried along) from step ``t0`` to at most step ``limit`` under the fields
    ``b`` ([B, N] or [1, N]), in slices of steps, one kernel call each, so that
    Python sees a pending Ctrl-C between them and a ``recorder``'s buffer grows
    with the steps taken. The slices are fixed by the sizes (FIRST_SLICE steps,
    doubling up to the steps whose worst case, every neuron evaluated and every
    coupling pushed in every sample, is SLICE_VALUES), never by timing: a relaxation is
    a pure function of its inputs. Draws are keyed by the step, a row that has
    converged re-runs a slice as the fixed point it is (no change; its ``steps``
    and ``converged`` are kept) and the others go on where they stopped: async
    runs and dense sync / prob runs (lockstep) equal one uninterrupted call bit
    for bit. A CSC sync / prob run starts each slice with its candidates in
    index order, which may add one step's changes to a field in another order:
    the states are the same unless a field lies within rounding error of 0.
    ``flips`` is added to."""
    net = kernel_arrays(cn)
    rows = len(s)
    lockstep = _lockstep(cn, mode)
    if lockstep:
        fields = np.ascontiguousarray(np.broadcast_to(b, s.shape))[None]
        ends = np.empty((1,) + s.shape, dtype=np.int8)
    running = np.ones(rows, dtype=bool)
    start, span = t0, FIRST_SLICE
    longest = max(FIRST_SLICE, SLICE_VALUES // (rows * (cn.n + cn.j.indices.size + cn.k.indices.size)))
    while True:
        end = min(limit, start + span)
        traj = recorder.rows(base, rows, end) if recorder else np.zeros((rows, 0, cn.n), dtype=np.int8)
        st, cv = np.zeros((rows, 1), dtype=np.int64), np.zeros((rows, 1), dtype=bool)
        fl = np.zeros(rows, dtype=np.int64)
        if lockstep:
            kernels.lockstep_phases(MODES[mode], p, tie_code, np.array([seed], dtype=np.int64),
                                    np.array([end], dtype=np.int64), 0, start, base, s, fields, rec, net, ends,
                                    st, cv, fl, traj, _chunk(rows))
        else:
            kernels.relax_batch(MODES[mode], p, seed, tie_code, end, start, base, s, b, rec, net, st[:, 0], cv[:, 0],
                                fl, traj)
        st, cv = st[:, 0], cv[:, 0]
        steps[running], converged[running] = st[running], cv[running]
        flips += fl
        running &= ~cv
        if end >= limit or not running.any():
            return
        start, span = end, min(2 * span, longest)


class Recorder:
    """The trajectory buffer of ``relax(record=True)`` [B, T+1, N] (int8): it
    holds the steps taken so far and grows (doubling, checked against the
    available memory) as a relaxation goes on, up to ``max_steps + 1``."""

    def __init__(self, batch, n, max_steps):
        self.batch, self.n, self.cap = batch, n, max_steps + 1
        self.buf = np.zeros((batch, 0, n), dtype=np.int8)

    def rows(self, base, count, end):
        """The rows base .. base + count with room for steps 0 .. ``end``."""
        need = end + 1
        if need > self.buf.shape[1]:
            size = min(self.cap, max(need, 2 * self.buf.shape[1]))
            check_memory(f"recording {self.batch} trajectories of {size} steps of N = {self.n}",
                         self.batch * size * self.n)
            grown = np.empty((self.batch, size, self.n), dtype=np.int8)
            old = self.buf.shape[1]
            grown[:, :old] = self.buf
            grown[:, old:] = self.buf[:, -1:] if old else 0  # rows done so far stay at their end state
            self.buf = grown
        return self.buf[base:base + count]

    def result(self, length):
        return self.buf[:, :length]


@dataclass
class PhasesResult:
    """What :func:`relax_phases` returns: ``ends`` [P, B, N] (int8) the state at the
    end of each phase, ``steps`` / ``converged`` [B, P] per phase, and
    ``recurrent`` [B, N] = (J + K) s at the end (the carried field)."""

    ends: np.ndarray
    steps: np.ndarray
    converged: np.ndarray
    recurrent: np.ndarray


def relax_phases(cn, fields, max_steps, mode="sync", p=1.0, seeds=None, tie="plus", check=True):
    """Consecutive relaxations of one batch from the neutral state, the recurrent
    field carried from phase to phase: phase k runs under ``fields[k]`` [B, N] for
    at most ``max_steps[k]`` steps with draws keyed by ``seeds[k]`` (default 0),
    exactly as ``relax(cn, s0=<end of phase k-1>, field=fields[k], ...)`` would.
    (Algorithm 1 is such a sequence: warmup, supervised and free phases.) Phases
    with 0 steps before the first one with steps are skipped (steps 0, not
    converged). A schedule of at most ONE_CALL_STEPS steps (Algorithm 1's) is
    one kernel call; a longer one runs phase by phase in slices (:func:`relax_rows`),
    with the same result. ``check=False`` skips the finiteness check of the fields
    (for a caller that made it). Returns a :class:`PhasesResult`."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {tuple(MODES)}, got {mode!r}")
    tie_code = check_tie(tie)
    p = check_unit("p", p)
    limits = np.array([check_int("max_steps", int(m), 0, MAX_STEPS) for m in max_steps], dtype=np.int64)
    seeds = np.zeros(limits.size, dtype=np.int64) if seeds is None else np.array(
        [check_seed("seeds", int(v)) for v in seeds], dtype=np.int64)
    f = np.ascontiguousarray(np.asarray(fields, dtype=np.float64))
    if f.ndim != 3 or f.shape[0] != limits.size or f.shape[2] != cn.n or seeds.size != limits.size:
        raise ValueError(f"fields must have shape [P, B, {cn.n}] with P = len(max_steps) = len(seeds) "
                         f"= {limits.size}, got {np.shape(f)} and {seeds.size} seeds")
    if check:
        check_finite("fields", f)
    n_phases, n_batch, n = f.shape
    s = np.zeros((n_batch, n), dtype=np.int8)
    first = int(np.argmax(limits > 0)) if limits.any() else n_phases
    t0 = 0
    if first < n_phases and mode != "async" and not _stays_neutral(f[first], tie_code):
        kernels.first_step(MODES[mode], p, int(seeds[first]), tie_code, 0, s, f[first], np.zeros(n_batch, np.int64))
        t0 = 1
    rec = recurrent_fields(cn, s)
    ends = np.empty((n_phases, n_batch, n), dtype=np.int8)
    steps = np.zeros((n_batch, n_phases), dtype=np.int64)
    converged = np.zeros((n_batch, n_phases), dtype=bool)
    first = min(first, n_phases - 1)
    if limits.sum() > ONE_CALL_STEPS:  # a long schedule: phase by phase, in slices (relax_rows)
        for k in range(n_phases):
            if k >= first:
                relax_rows(cn, mode, p, tie_code, int(seeds[k]), int(limits[k]), t0 if k == first else 0, 0, s,
                           f[k], rec, steps[:, k], converged[:, k], np.zeros(n_batch, dtype=np.int64))
            ends[k] = s
    elif _lockstep(cn, mode):
        kernels.lockstep_phases(MODES[mode], p, tie_code, seeds, limits, first, t0, 0, s, f, rec, kernel_arrays(cn),
                                ends, steps, converged, np.zeros(n_batch, dtype=np.int64),
                                np.zeros((n_batch, 0, n), dtype=np.int8), _chunk(n_batch))
    else:
        kernels.relax_phases(MODES[mode], p, tie_code, seeds, limits, first, t0, s, f, rec, kernel_arrays(cn),
                             ends, steps, converged)
    return PhasesResult(ends, steps, converged, rec)


def local_fields(cn, s, field=None):
    """h [B, N] = (J + K + diag(J_D)) s + b, computed from scratch."""
    s = np.ascontiguousarray(np.atleast_2d(s), dtype=np.int8)
    h = recurrent_fields(cn, s)
    h += cn.j_d * s
    if field is not None:
        h += np.atleast_2d(np.asarray(field, dtype=np.float64))
    return h


def sign(h, tie="plus"):
    """sgn with the tie rule (int8): +1 above 0, -1 below, +1 ("plus") or 0 ("zero") at 0."""
    return np.where(h > 0, 1, np.where(h < 0, -1, check_tie(tie))).astype(np.int8)


def count_unstable(s, h, tie="plus"):
    """How many entries of s [B, N] differ from sgn(h) [B, N] under the tie rule."""
    s = np.ascontiguousarray(np.atleast_2d(s), dtype=np.int8)
    h = np.ascontiguousarray(np.atleast_2d(h), dtype=np.float64)
    return int(kernels.count_unstable(s, h, check_tie(tie)))


def is_fixed_point(cn, s, field=None, tie="plus"):
    """[B] bool: sgn(h_i) == s_i for every i, under the tie rule ``tie``."""
    h = local_fields(cn, s, field)
    return np.all(sign(h, tie) == np.atleast_2d(s), axis=1)
