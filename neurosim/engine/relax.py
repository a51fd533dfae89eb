"""``relax``: run the reference engine on a batch and return a :class:`RelaxResult`."""
from dataclasses import dataclass

import numpy as np

from ..compiled import CompiledNetwork
from ..fields import external_field
from ..validate import check_finite, check_nonneg_int, check_unit
from . import kernels

MODES = {"sync": kernels.SYNC, "prob": kernels.PROB, "async": kernels.ASYNC}


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
    """The IR arrays the kernels read, as one tuple (see kernels.relax_one)."""
    return (cn.j_d, cn.j_indptr, cn.j_indices, cn.j_data, cn.k_indptr, cn.k_indices, cn.k_data)


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
          max_steps=100, seed=0, record=False, field=None, out=None):
    """Relax the network from ``s0`` under input ``x`` [B, D] and target ``y`` [B, C].

    mode: ``"sync"`` (every neuron from s(t-1)), ``"prob"`` (each neuron updates
    with probability ``p``) or ``"async"`` (event-driven sweeps in a random order).
    ``field`` [B, N] replaces the field computed from x and y. Random draws are
    keyed by (seed, step, sample, neuron): the same call gives the same result for
    any number of threads. ``out`` (int8 [B, N], C-ordered) receives the end states
    instead of a new array; ``out=s0`` relaxes in place, without a copy of the batch.
    """
    if not isinstance(cn, CompiledNetwork):
        raise TypeError(f"cn must be a CompiledNetwork (use neurosim.compile), got {type(cn).__name__}")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {tuple(MODES)}, got {mode!r}")
    p = check_unit("p", p)
    max_steps = check_nonneg_int("max_steps", max_steps)
    seed = check_nonneg_int("seed", seed)
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
    steps = np.zeros(n_batch, dtype=np.int64)
    converged = np.zeros(n_batch, dtype=bool)
    flips = np.zeros(n_batch, dtype=np.int64)
    traj = np.zeros((n_batch, max_steps + 1 if record else 0, cn.n), dtype=np.int8)
    kernels.relax_batch(MODES[mode], p, seed, max_steps, s, np.ascontiguousarray(b), kernel_arrays(cn),
                        steps, converged, flips, traj)
    trajectory = traj[:, : int(steps.max()) + 1] if record else None
    return RelaxResult(s, steps, converged, flips, trajectory)


def local_fields(cn, s, field=None):
    """h [B, N] = (J + K + diag(J_D)) s + b, computed from scratch."""
    s = np.ascontiguousarray(np.atleast_2d(s))
    b = np.zeros((1, cn.n)) if field is None else np.ascontiguousarray(np.atleast_2d(field), dtype=np.float64)
    out = np.empty(s.shape, dtype=np.float64)
    kernels.fields_batch(s, b, kernel_arrays(cn), out)
    return out


def is_fixed_point(cn, s, field=None):
    """[B] bool: sgn(h_i) == s_i for every i, with sgn(0) := +1."""
    h = local_fields(cn, s, field)
    return np.all(np.where(h >= 0, 1, -1) == np.atleast_2d(s), axis=1)
