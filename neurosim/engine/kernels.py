"""Numba kernels of the reference engine: one time step is

    h(t) = F(s(t-1)),   s(t) = sgn(h(t)),   sgn(0) := +1,

with h_i = sum_j (J_ij + K_ij) s_j + J_D,i s_i + b_i. The recurrent part of every
field is kept up to date event-driven: when s_j changes by d (2 s_j for a flip,
+-1 out of the neutral state) each out-neighbour i gets h_i += d W_ij, so a step
costs O(N + flips x fan-out) instead of O(N x fan-in).

Modes: SYNC updates every neuron from s(t-1); PROB updates each neuron whose
counter-based draw u(seed, GATE, t, sample, i) < p; ASYNC visits the neurons one
at a time in the order of u(seed, ORDER, t, sample, i) and pushes each flip at
once. Samples of a batch are independent and run in parallel (``prange``), so
results do not depend on the thread count.
"""
import numba as nb
import numpy as np

from ..rng import GATE, ORDER, uniform

SYNC, PROB, ASYNC = 0, 1, 2


@nb.njit(inline="always")
def sgn(v):
    return np.int8(1) if v >= 0.0 else np.int8(-1)


@nb.njit(cache=True)
def recurrent_field(s, indptr, indices, data, h):
    """h_i += sum_j W_ij s_j for one CSR matrix (rows = post)."""
    for i in range(h.size):
        acc = 0.0
        for q in range(indptr[i], indptr[i + 1]):
            acc += data[q] * s[indices[q]]
        h[i] += acc


@nb.njit(inline="always")
def push(j, d, t_indptr, t_indices, t_perm, data, h):
    """Event: s_j changed by d; add d W_ij to the field of every out-neighbour i."""
    for q in range(t_indptr[j], t_indptr[j + 1]):
        h[t_indices[q]] += d * data[t_perm[q]]


@nb.njit(cache=True, parallel=True)
def relax_batch(mode, p, seed, max_steps, s, b, j_d,
                j_indptr, j_indices, j_data, jt_indptr, jt_indices, jt_perm,
                k_indptr, k_indices, k_data, kt_indptr, kt_indices, kt_perm,
                steps, converged, flips, traj):
    """Relax every row of ``s`` [B, N] (int8, updated in place) under the fields
    ``b`` [B, N]. Writes ``steps``, ``converged``, ``flips``
    (neuron changes) and, when ``traj`` has T+1 > 0 rows, the states s(0..T).
    ``steps`` counts the steps applied: a fixed point found at step t gives t."""
    n_batch, n = s.shape
    record = traj.shape[1] > 0
    for bi in nb.prange(n_batch):
        si = s[bi]
        bb = b[bi] if b.shape[0] > 1 else b[0]
        h = np.zeros(n)
        recurrent_field(si, j_indptr, j_indices, j_data, h)
        recurrent_field(si, k_indptr, k_indices, k_data, h)
        todo = np.empty(n, dtype=np.int64)
        new = np.empty(n, dtype=np.int8)
        keys = np.empty(n)
        if record:
            traj[bi, 0] = si
        done = False
        taken = max_steps
        nfl = 0
        for t in range(max_steps + 1):
            if mode == ASYNC and t < max_steps:  # a sweep; the last t only checks
                for i in range(n):
                    keys[i] = uniform(seed, ORDER, t, bi, i)
                order = np.argsort(keys, kind="mergesort")
                changed = 0
                for i in order:
                    v = sgn(h[i] + j_d[i] * si[i] + bb[i])
                    if v != si[i]:
                        d = v - si[i]
                        si[i] = v
                        push(i, d, jt_indptr, jt_indices, jt_perm, j_data, h)
                        push(i, d, kt_indptr, kt_indices, kt_perm, k_data, h)
                        changed += 1
                nfl += changed
                if changed == 0:
                    done, taken = True, t
                    break
            else:
                unstable = 0
                m = 0
                for i in range(n):
                    v = sgn(h[i] + j_d[i] * si[i] + bb[i])
                    if v != si[i]:
                        unstable += 1
                        if mode == SYNC or uniform(seed, GATE, t, bi, i) < p:
                            todo[m] = i
                            new[m] = v
                            m += 1
                if unstable == 0:
                    done, taken = True, t
                    break
                if t == max_steps:
                    break
                for q in range(m):
                    i = todo[q]
                    d = new[q] - si[i]
                    si[i] = new[q]
                    push(i, d, jt_indptr, jt_indices, jt_perm, j_data, h)
                    push(i, d, kt_indptr, kt_indices, kt_perm, k_data, h)
                nfl += m
            if record:
                traj[bi, t + 1] = si
        steps[bi] = taken
        converged[bi] = done
        flips[bi] = nfl
        if record:
            for t in range(taken + 1, traj.shape[1]):
                traj[bi, t] = si


@nb.njit(cache=True, parallel=True)
def fields_batch(s, b, j_d, j_indptr, j_indices, j_data, k_indptr, k_indices, k_data, out):
    """out [B, N] = (J + K) s + J_D s + b, from scratch for every sample."""
    for bi in nb.prange(s.shape[0]):
        h = out[bi]
        for i in range(h.size):
            h[i] = j_d[i] * s[bi, i] + (b[bi, i] if b.shape[0] > 1 else b[0, i])
        recurrent_field(s[bi], j_indptr, j_indices, j_data, h)
        recurrent_field(s[bi], k_indptr, k_indices, k_data, h)
