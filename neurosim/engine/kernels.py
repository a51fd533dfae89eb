"""Numba kernels of the reference engine: one time step is

    h(t) = F(s(t-1)),   s(t) = sgn(h(t)),   sgn(0) := +1,

with h_i = sum_j (J_ij + K_ij) s_j + J_D,i s_i + b_i. The recurrent part of every
field is kept up to date event-driven: when s_j changes by d (2 s_j for a flip,
+-1 out of the neutral state) each out-neighbour i gets h_i += d W_ij. Only the
neurons that may have become unstable (the targets of the last flips, and those
a probability-p gate left unstable) are evaluated again, so a step costs
O(flips x fan-out) instead of O(N x fan-in).

Modes: SYNC updates every neuron from s(t-1); PROB updates each neuron whose
counter-based draw u(seed, GATE, t, sample, i) < p; ASYNC visits the neurons one
at a time in the order of u(seed, ORDER, t, sample, i) and pushes each flip at
once. An asynchronous sweep only visits unstable neurons, taken from a heap in
that order: a neuron made unstable by a flip joins the heap if its turn is
still to come in this sweep, else it waits for the next one, exactly as in a
full sweep. Samples of a batch are independent and run in parallel
(``prange``), so results do not depend on the thread count.
"""
import numba as nb
import numpy as np

from ..rng import GATE, ORDER, uniform

SYNC, PROB, ASYNC = 0, 1, 2


@nb.njit
def sgn(v):
    return np.int8(1) if v >= 0.0 else np.int8(-1)


@nb.njit
def push(j, d, indptr, indices, data, h):
    """Event: s_j changed by d; add d W_ij to the field of every out-neighbour i
    (column j of the CSC matrix)."""
    for q in range(indptr[j], indptr[j + 1]):
        h[indices[q]] += d * data[q]


@nb.njit(cache=True)
def initial_field(si, net, h):
    """h = (J + K) s from scratch: every non-neutral neuron pushes its state."""
    h[:] = 0.0
    for j in range(si.size):
        if si[j] != 0:
            push(j, si[j], net[1], net[2], net[3], h)
            push(j, si[j], net[4], net[5], net[6], h)


@nb.njit
def _before(ka, ia, kb, ib):
    return ka < kb or (ka == kb and ia < ib)


@nb.njit(cache=True)
def heap_push(keys, ids, size, k, i):
    """Insert (k, i) into the binary min-heap of ``size`` entries; returns the new size."""
    c = size
    while c > 0:
        parent = (c - 1) // 2
        if not _before(k, i, keys[parent], ids[parent]):
            break
        keys[c], ids[c] = keys[parent], ids[parent]
        c = parent
    keys[c], ids[c] = k, i
    return size + 1


@nb.njit(cache=True)
def heap_pop(keys, ids, size):
    """Remove the smallest (key, id); returns (key, id, new size)."""
    k0, i0 = keys[0], ids[0]
    size -= 1
    k, i = keys[size], ids[size]
    c = 0
    while True:
        child = 2 * c + 1
        if child >= size:
            break
        if child + 1 < size and _before(keys[child + 1], ids[child + 1], keys[child], ids[child]):
            child += 1
        if not _before(keys[child], ids[child], k, i):
            break
        keys[c], ids[c] = keys[child], ids[child]
        c = child
    if size > 0:
        keys[c], ids[c] = k, i
    return k0, i0, size


@nb.njit
def _mark(i, flag, lst, m):
    """Append i to the candidate list once; returns the new length."""
    if not flag[i]:
        flag[i] = True
        lst[m] = i
        m += 1
    return m


@nb.njit(cache=True)
def relax_one(mode, p, seed, sample, max_steps, si, bb, h, net, traj, t0=0):
    """Relax one sample in place: states ``si`` (int8), recurrent field ``h``
    (kept equal to (J + K) si), external field ``bb``; ``net`` is the tuple
    (j_d, J as CSC, K as CSC). Starts at step ``t0`` (``si`` = s(t0): the steps
    before were taken by the caller, see :func:`neutral_step`). Records s(t0..T)
    into ``traj`` when it has rows. Returns (steps applied, converged, neuron
    changes from t0 on): a fixed point found at step t gives t steps."""
    if traj.shape[0] > 0:
        traj[t0] = si
    if mode == ASYNC:
        taken, done, nfl = _relax_async(seed, sample, max_steps, si, bb, h, net, traj, t0)
    else:
        taken, done, nfl = _relax_synchronous(mode, p, seed, sample, max_steps, si, bb, h, net, traj, t0)
    for t in range(taken + 1, traj.shape[0]):
        traj[t] = si
    return taken, done, nfl


@nb.njit
def _unstable(i, si, h, j_d, bb):
    return sgn(h[i] + j_d[i] * si[i] + bb[i]) != si[i]


@nb.njit
def _relax_synchronous(mode, p, seed, sample, max_steps, si, bb, h, net, traj, t0):
    """SYNC / PROB steps of :func:`relax_one`. Only the candidates (all neurons at
    t0, then the neurons that changed, their out-neighbours and the unstable ones
    a gate held back) are evaluated."""
    j_d, jp, ji, jv, kp, ki, kv = net
    n = si.size
    cand = np.empty(n, dtype=np.int32)
    for i in range(n):
        cand[i] = i
    nxt = np.empty(n, dtype=np.int32)
    flag = np.zeros(n, dtype=np.bool_)
    todo = np.empty(n, dtype=np.int32)
    new = np.empty(n, dtype=np.int8)
    ncand = n
    nfl = 0
    for t in range(t0, max_steps + 1):
        nn = 0
        unstable = 0
        m = 0
        for c in range(ncand):
            i = cand[c]
            v = sgn(h[i] + j_d[i] * si[i] + bb[i])
            if v != si[i]:
                unstable += 1
                if mode == SYNC or uniform(seed, GATE, t, sample, i) < p:
                    todo[m] = i
                    new[m] = v
                    m += 1
                else:
                    nn = _mark(i, flag, nxt, nn)
        if unstable == 0:
            return t, True, nfl
        if t == max_steps:
            break
        for q in range(m):
            i = todo[q]
            d = new[q] - si[i]
            si[i] = new[q]
            push(i, d, jp, ji, jv, h)
            push(i, d, kp, ki, kv, h)
            nn = _mark(i, flag, nxt, nn)
            if nn < n:  # once every neuron is a candidate (dense maps), marking is done
                for r in ji[jp[i]:jp[i + 1]]:
                    nn = _mark(r, flag, nxt, nn)
                for r in ki[kp[i]:kp[i + 1]]:
                    nn = _mark(r, flag, nxt, nn)
        nfl += m
        for c in range(nn):
            flag[nxt[c]] = False
        cand, nxt, ncand = nxt, cand, nn
        if traj.shape[0] > 0:
            traj[t + 1] = si
    return max_steps, False, nfl


NEXT, QUEUED = 1, 2  # async marks: check at the next sweep / in this sweep's heap


@nb.njit
def _relax_async(seed, sample, max_steps, si, bb, h, net, traj, t0):
    """ASYNC sweeps of :func:`relax_one`: the unstable candidates (all neurons in
    the first sweep, then those marked NEXT) enter a heap in sweep order; each
    flip is pushed at once, and each out-neighbour it leaves unstable joins the
    heap if its turn (key, index) is still to come, else is marked NEXT. (The
    neighbour loop stays inline: as a helper function it cost 5-10 %.)"""
    j_d, jp, ji, jv, kp, ki, kv = net
    n = si.size
    mark = np.zeros(n, dtype=np.uint8)
    hkeys = np.empty(n)
    hids = np.empty(n, dtype=np.int32)
    nfl = 0
    for t in range(t0, max_steps):
        size = 0
        for i in range(n):
            if t > t0 and mark[i] != NEXT:
                continue
            mark[i] = 0
            if _unstable(i, si, h, j_d, bb):
                size = heap_push(hkeys, hids, size, uniform(seed, ORDER, t, sample, i), i)
                mark[i] = QUEUED
        changed = 0
        while size > 0:
            k, i, size = heap_pop(hkeys, hids, size)
            mark[i] = 0
            v = sgn(h[i] + j_d[i] * si[i] + bb[i])
            if v == si[i]:
                continue
            d = v - si[i]
            si[i] = v
            push(i, d, jp, ji, jv, h)
            push(i, d, kp, ki, kv, h)
            changed += 1
            for part in range(2):
                ptr, idx = (jp, ji) if part == 0 else (kp, ki)
                for q in range(ptr[i], ptr[i + 1]):
                    r = idx[q]
                    if mark[r] != 0 or not _unstable(r, si, h, j_d, bb):
                        continue
                    kr = uniform(seed, ORDER, t, sample, r)
                    if _before(k, i, kr, r):
                        size = heap_push(hkeys, hids, size, kr, r)
                        mark[r] = QUEUED
                    else:
                        mark[r] = NEXT
        if changed == 0:
            return t, True, nfl
        nfl += changed
        if traj.shape[0] > 0:
            traj[t + 1] = si
    for i in range(n):  # after max_steps sweeps: a fixed point iff no candidate is unstable
        if (max_steps == t0 or mark[i] == NEXT) and _unstable(i, si, h, j_d, bb):
            return max_steps, False, nfl
    return max_steps, True, nfl


@nb.njit(cache=True)
def neutral_step(mode, p, seed, s, b, net, lo, ht):
    """Step 0 from the neutral state (s = 0, so h = b) for the samples lo .. lo+C-1
    at once, sync or prob: s_i(1) = sgn(b_i) (prob: only where u(seed, GATE, 0,
    sample, i) < p), then ``ht`` [N, C] = (J + K) s(1) with the samples innermost,
    so each weight is read once for the C samples. Every field sums the same terms
    in the same order (column by column, J then K) as the per-sample pushes of
    :func:`relax_one`, so the result is identical. Returns the changes per sample."""
    n, n_c = ht.shape
    changed = np.zeros(n_c, dtype=np.int64)
    st = np.zeros((n, n_c))  # s(1) transposed: the samples of a neuron side by side
    for k in range(n_c):
        bi = lo + k
        bb = b[bi] if b.shape[0] > 1 else b[0]
        for i in range(n):
            if mode == SYNC or uniform(seed, GATE, 0, bi, i) < p:
                s[bi, i] = sgn(bb[i])
                st[i, k] = s[bi, i]
                changed[k] += 1
    ht[:] = 0.0
    jp, ji, jv, kp, ki, kv = net[1:]
    for j in range(n):
        for q in range(jp[j], jp[j + 1]):
            i, w = ji[q], jv[q]  # read once: the stores to ht might alias them (2x faster)
            for k in range(n_c):
                ht[i, k] += st[j, k] * w
        for q in range(kp[j], kp[j + 1]):
            i, w = ki[q], kv[q]
            for k in range(n_c):
                ht[i, k] += st[j, k] * w
    return changed


@nb.njit
def _chunk(n_batch):
    """Samples per parallel chunk of a batched neutral step: half the batch, 1 to 16
    (results do not depend on it: every field sums the same terms in the same
    order). Other runs go sample by sample."""
    return min(16, max(1, -(-n_batch // 2)))


@nb.njit
def _neutral(s):
    for v in s.ravel():
        if v != 0:
            return False
    return True


@nb.njit(cache=True, parallel=True)
def relax_batch(mode, p, seed, max_steps, s, b, net, steps, converged, flips, traj):
    """Relax every row of ``s`` [B, N] (int8, in place) under the fields ``b``
    [B, N] (or [1, N]); see :func:`relax_one`. ``traj`` is [B, T+1, N] or [B, 0, N].
    From the neutral state, sync and prob take their first step for a chunk of
    samples at once (:func:`neutral_step`)."""
    n_batch, n = s.shape
    batched = mode != ASYNC and max_steps > 0 and _neutral(s)
    chunk = _chunk(n_batch) if batched else 1
    for c in nb.prange(-(-n_batch // chunk)):
        lo = c * chunk
        hi = min(lo + chunk, n_batch)
        ht = np.empty((n if batched else 0, hi - lo))
        changed = neutral_step(mode, p, seed, s, b, net, lo, ht) if batched else np.zeros(hi - lo, np.int64)
        for bi in range(lo, hi):
            h = np.empty(n)
            if batched:
                h[:] = ht[:, bi - lo]
            else:
                initial_field(s[bi], net, h)
            bb = b[bi] if b.shape[0] > 1 else b[0]
            steps[bi], converged[bi], flips[bi] = relax_one(mode, p, seed, bi, max_steps, s[bi], bb, h, net,
                                                            traj[bi], 1 if batched else 0)
            flips[bi] += changed[bi - lo]


@nb.njit(cache=True, parallel=True)
def relax_phases(mode, p, seeds, max_steps, s, b_free, b_sup, net, s_sup, h_out, steps, converged):
    """The relaxations of Algorithm 1 for a batch, fused so that the recurrent
    field is carried from phase to phase: warmup (b_free, ``max_steps[0]``),
    supervised (b_sup) -> ``s_sup``, free (b_free; skipped when ``max_steps[2]``
    is negative: the approximate scheme) -> ``s``. ``h_out`` receives the local
    field at the end state without supervision, (J + K + diag(J_D)) s + b_free.
    Each phase k draws with ``seeds[k]``, as a separate ``relax`` call would; the
    first phase with steps (the warmup, or the supervised phase when there is no
    warmup) starts a neutral state with :func:`neutral_step`."""
    n_batch, n = s.shape
    j_d = net[0]
    nothing = np.zeros((0, n), dtype=np.int8)
    first = 0 if max_steps[0] > 0 else 1  # the phase that takes the step out of the neutral state
    batched = mode != ASYNC and max_steps[first] > 0 and _neutral(s)
    chunk = _chunk(n_batch) if batched else 1
    for c in nb.prange(-(-n_batch // chunk)):
        lo = c * chunk
        hi = min(lo + chunk, n_batch)
        ht = np.empty((n if batched else 0, hi - lo))
        if batched:
            neutral_step(mode, p, seeds[first], s, b_free if first == 0 else b_sup, net, lo, ht)
        for bi in range(lo, hi):
            si = s[bi]
            h = np.empty(n)
            if batched:
                h[:] = ht[:, bi - lo]
            else:
                initial_field(si, net, h)
            t0 = 1 if batched else 0
            relax_one(mode, p, seeds[0], bi, max_steps[0], si, b_free[bi], h, net, nothing, t0 if first == 0 else 0)
            steps[bi, 0], converged[bi, 0], _ = relax_one(mode, p, seeds[1], bi, max_steps[1], si, b_sup[bi], h,
                                                          net, nothing, t0 if first == 1 else 0)
            s_sup[bi] = si
            if max_steps[2] >= 0:
                steps[bi, 1], converged[bi, 1], _ = relax_one(mode, p, seeds[2], bi, max_steps[2], si, b_free[bi],
                                                              h, net, nothing)
            else:
                steps[bi, 1], converged[bi, 1] = steps[bi, 0], converged[bi, 0]
            for i in range(n):
                h_out[bi, i] = h[i] + j_d[i] * si[i] + b_free[bi, i]


@nb.njit(cache=True, parallel=True)
def fields_batch(s, b, net, out):
    """out [B, N] = (J + K) s + J_D s + b, from scratch for every sample."""
    j_d = net[0]
    for bi in nb.prange(s.shape[0]):
        h = out[bi]
        initial_field(s[bi], net, h)
        for i in range(h.size):
            h[i] += j_d[i] * s[bi, i] + (b[bi, i] if b.shape[0] > 1 else b[0, i])
