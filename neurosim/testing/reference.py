"""A plain-numpy reference of Eq. 82 (with the fixed couplings of Eq. 2), written
independently of the engine: dense matrices, fields recomputed from scratch.

    h(t) = (A*J + K + diag(J_D)) s(t-1) + a_in lam_x W_in x + a_back lam_y W_back y
    s(t) = sgn(h(t)),  sgn(0) := +1 (tie "plus") or 0 (tie "zero")

The random draws (p-gates, asynchronous orders) are neurosim.rng's, keyed by
(seed, step, sample, neuron): part of the semantics every backend replays.
"""
from dataclasses import dataclass

import numpy as np

from ..rng import GATE, sweep_order, uniform_array


def sgn(v, tie="plus"):
    return np.where(v > 0, 1, np.where(v < 0, -1, 1 if tie == "plus" else 0)).astype(np.int8)


def dense_couplings(cn):
    M = np.zeros((cn.n, cn.n))
    for indptr, indices, data in ((cn.j_indptr, cn.j_indices, cn.j_data), (cn.k_indptr, cn.k_indices, cn.k_data)):
        for j in range(cn.n):  # column j: the out-neighbours of neuron j
            for q in range(indptr[j], indptr[j + 1]):
                M[indices[q], j] += data[q]
    M[np.arange(cn.n), np.arange(cn.n)] += cn.j_d
    return M


def field(cn, x=None, y=None, lam_x=None, lam_y=None):
    lam_x = cn.lam_x if lam_x is None else lam_x
    lam_y = cn.lam_y if lam_y is None else lam_y
    b = np.zeros(cn.n)
    if x is not None:
        b = b + cn.a_in * lam_x * (cn.w_in @ x)
    if y is not None:
        b = b + cn.a_back * lam_y * (cn.w_back @ y)
    return b


def trajectory(M, b, s0, mode, max_steps, p=1.0, seed=0, sample=0, tie="plus"):
    """States s(0..T) of one sample until a fixed point or max_steps steps."""
    s = np.array(s0, dtype=np.int8)
    traj = [s.copy()]
    n = s.size
    for t in range(max_steps):
        if mode == "async":
            changed = False
            for i in sweep_order(seed, t, sample, n):
                v = sgn(M[i] @ s + b[i], tie)
                changed |= v != s[i]
                s[i] = v
            if not changed:
                break
        else:
            new = sgn(M @ s + b, tie)
            if np.array_equal(new, s):
                break
            if mode == "prob":
                gate = uniform_array(seed, GATE, t, sample, np.arange(n)) < p
                new = np.where(gate, new, s).astype(np.int8)
            s = new
        traj.append(s.copy())
    return np.array(traj)


@dataclass
class Trajectories:
    """Reference runs of a batch: trajectory [B, T+1, N] (int8; a sample's rows after
    its ``steps`` repeat its end state), steps [B], converged [B], states [B, N]."""

    trajectory: np.ndarray
    steps: np.ndarray
    converged: np.ndarray

    @property
    def states(self):
        return self.trajectory[np.arange(len(self.steps)), self.steps]


def run(M, b, s0, mode, max_steps, p=1.0, seed=0, tie="plus"):
    """:func:`trajectory` for every sample of a batch: fields b [B, N], starts s0
    [B, N] (sample k keys the draws of row k), couplings M (:func:`dense_couplings`)."""
    runs = [trajectory(M, b[k], s0[k], mode, max_steps, p=p, seed=seed, sample=k, tie=tie) for k in range(len(s0))]
    steps = np.array([len(t) - 1 for t in runs], dtype=np.int64)
    traj = np.empty((len(runs), int(steps.max(initial=0)) + 1, np.shape(s0)[1]), dtype=np.int8)
    for k, t in enumerate(runs):
        traj[k, :len(t)], traj[k, len(t):] = t, t[-1]
    converged = np.array([np.array_equal(sgn(M @ t[-1] + b[k], tie), t[-1]) for k, t in enumerate(runs)], dtype=bool)
    return Trajectories(traj, steps, converged)
