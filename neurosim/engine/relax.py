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


def initial_states(s0, n, batch):
    """s0 -> int8 [B, N] in {-1, 0, +1}: None is the neutral start (all zero). A 0
    marks a neutral neuron not updated yet: the neutral start, or the continuation
    of a probability-p run in which some neurons have not been drawn."""
    if s0 is None:
        return np.zeros((batch, n), dtype=np.int8)
    arr = np.asarray(s0)
    if arr.ndim == 1:
        arr = arr[None]
    if arr.ndim != 2 or arr.shape[1] != n:
        raise ValueError(f"s0 must have shape [B, {n}] (N = {n}), got {np.shape(s0)}")
    out = np.array(arr, dtype=np.int8, order="C")  # a copy: the kernel writes into it
    flat = out.ravel()  # a view; reducing it needs no buffer
    if out.size and (flat.min() < -1 or flat.max() > 1 or (arr.dtype != np.int8 and not np.array_equal(out, arr))):
        raise ValueError("s0 must hold only -1 or +1 (0: a neutral neuron, not updated yet)")
    return out


def relax(cn, x=None, y=None, s0=None, mode="sync", p=1.0, lam_x=None, lam_y=None,
          max_steps=100, seed=0, record=False, field=None):
    """Relax the network from ``s0`` under input ``x`` [B, D] and target ``y`` [B, C].

    mode: ``"sync"`` (every neuron from s(t-1)), ``"prob"`` (each neuron updates
    with probability ``p``) or ``"async"`` (event-driven sweeps in a random order).
    ``field`` [B, N] replaces the field computed from x and y. Random draws are
    keyed by (seed, step, sample, neuron): the same call gives the same result for
    any number of threads.
    """
    if not isinstance(cn, CompiledNetwork):
        raise TypeError(f"cn must be a CompiledNetwork (use neurosim.compile), got {type(cn).__name__}")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {tuple(MODES)}, got {mode!r}")
    p = check_unit("p", p)
    max_steps = check_nonneg_int("max_steps", max_steps)
    seed = check_nonneg_int("seed", seed)
    if field is None:
        batch = None if s0 is None else np.atleast_2d(np.asarray(s0)).shape[0]
        b = external_field(cn, x, y, lam_x, lam_y, batch=batch)
    else:
        b = np.atleast_2d(np.asarray(field, dtype=np.float64))
        if b.ndim != 2 or b.shape[1] != cn.n:
            raise ValueError(f"field must have shape [B, {cn.n}], got {np.shape(field)}")
        check_finite("field", b)
    s = initial_states(s0, cn.n, b.shape[0])
    if b.shape[0] not in (1, s.shape[0]):
        raise ValueError(f"the field has batch {b.shape[0]} but s0 has batch {s.shape[0]}")
    n_batch = s.shape[0]
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
