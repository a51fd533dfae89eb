"""Numba kernels of the reference engine: one time step is

    h(t) = F(s(t-1)),   s(t) = sgn(h(t)),   sgn(0) := tie,

with h_i = sum_j (J_ij + K_ij) s_j + J_D,i s_i + b_i and the tie rule of the run:
``tie`` = +1 (``"plus"``, the default) or 0 (``"zero"``: a neuron whose field is
exactly 0 takes the neutral state 0, the authors' ``torch.sign``). The recurrent
part of every field is kept up to date event-driven: when s_j changes by d (2 s_j
for a flip, +-1 into or out of the neutral state) each out-neighbour i gets
h_i += d W_ij. Only the neurons that may have become unstable (the targets of the
last changes, and those a probability-p gate left unstable) are evaluated again,
so a step costs O(changes x fan-out) instead of O(N x fan-in).

A coupling map arrives as (indptr, indices, data, block): CSC when ``block`` is
[0, 0], else the dense block [N, N] whose row j holds the out-weights of j, so a
change of s_j is one contiguous, vectorised update of the N fields
(``neurosim.couplings``). The fields of a whole batch at the start of a run are
computed before the kernels (:func:`sparse_fields`, or one BLAS product for a
dense block), and so is the first synchronous step out of the neutral state
(:func:`first_step`).

Modes: SYNC updates every neuron from s(t-1); PROB updates each neuron whose
counter-based draw u(seed, GATE, t, sample, i) < p; ASYNC visits the neurons one
at a time in the order of u(seed, ORDER, t, sample, i) and pushes each change at
once. An asynchronous sweep only visits unstable neurons, taken from a heap in
that order: a neuron made unstable by a change joins the heap if its turn is
still to come in this sweep, else it waits for the next one, exactly as in a
full sweep. Samples of a batch are independent and run in parallel
(``prange``), so results do not depend on the thread count.
"""
import numba as nb
import numpy as np

from ..rng import GATE, ORDER, uniform

SYNC, PROB, ASYNC = 0, 1, 2
TIES = {"plus": 1, "zero": 0}


@nb.njit
def sgn(v, tie):
    """+1 above 0, -1 below, ``tie`` (1 or 0) at exactly 0."""
    if v > 0.0:
        return np.int8(1)
    if v < 0.0:
        return np.int8(-1)
    return np.int8(tie)


@nb.njit
def push(j, d, ptr, idx, val, blk, h):
    """Event: s_j changed by d; add d W_ij to the field of every out-neighbour i
    (column j of the map: a CSC column, or row j of the dense block)."""
    if blk.shape[0] > 0:
        row = blk[j]
        dd = row.dtype.type(d)
        for i in range(row.size):
            h[i] += dd * row[i]
    else:
        for q in range(ptr[j], ptr[j + 1]):
            h[idx[q]] += d * val[q]


@nb.njit
def _mark(i, flag, lst, m):
    """Append i to the candidate list once; returns the new length."""
    if not flag[i]:
        flag[i] = True
        lst[m] = i
        m += 1
    return m


@nb.njit
def _mark_targets(j, ptr, idx, blk, flag, lst, m):
    """Mark every out-neighbour of j (every neuron for a dense block)."""
    if blk.shape[0] > 0:
        for r in range(blk.shape[1]):
            m = _mark(r, flag, lst, m)
    else:
        for q in range(ptr[j], ptr[j + 1]):
            m = _mark(idx[q], flag, lst, m)
    return m


@nb.njit(cache=True)
def initial_field(si, net, h):
    """h = (J + K) s from scratch: every non-neutral neuron pushes its state."""
    h[:] = 0.0
    for j in range(si.size):
        if si[j] != 0:
            push(j, si[j], net[1], net[2], net[3], net[4], h)
            push(j, si[j], net[5], net[6], net[7], net[8], h)


@nb.njit(cache=True, parallel=True)
def sparse_fields(s, ptr, idx, val, out):
    """out [B, N] += W s for a CSC map, samples innermost: each index and weight
    is read once per chunk of 16 samples."""
    n_batch, n = s.shape
    for c in nb.prange(-(-n_batch // 16)):
        lo = c * 16
        hi = min(lo + 16, n_batch)
        st = np.empty((n, hi - lo), dtype=out.dtype)
        for k in range(hi - lo):
            for j in range(n):
                st[j, k] = s[lo + k, j]
        ht = np.zeros((n, hi - lo), dtype=out.dtype)
        for j in range(n):
            for q in range(ptr[j], ptr[j + 1]):
                i, w = idx[q], val[q]  # read once: the stores to ht might alias them
                for k in range(hi - lo):
                    ht[i, k] += st[j, k] * w
        for k in range(hi - lo):
            for i in range(n):
                out[lo + k, i] += ht[i, k]


@nb.njit(cache=True, parallel=True)
def first_step(mode, p, seed, tie, base, s, b, changed):
    """Step 0 -> 1 out of the neutral state (s = 0, so h = b), sync or prob:
    s_i(1) = sgn(b_i) (prob: only where u(seed, GATE, 0, sample, i) < p; row bi
    of ``s`` is sample ``base + bi``). ``changed`` [B] receives the neurons that
    left the neutral state."""
    n_batch, n = s.shape
    for bi in nb.prange(n_batch):
        bb = b[bi] if b.shape[0] > 1 else b[0]
        c = 0
        for i in range(n):
            if mode == SYNC or uniform(seed, GATE, 0, base + bi, i) < p:
                s[bi, i] = sgn(bb[i], tie)
                c += s[bi, i] != 0
        changed[bi] = c


@nb.njit
def workspace(n):
    """The working arrays of one sample's relaxations (see relax_one), allocated
    once per sample and reused by its phases."""
    return (np.empty(n, dtype=np.int32), np.empty(n, dtype=np.int32), np.zeros(n, dtype=np.bool_),
            np.empty(n, dtype=np.int32), np.empty(n, dtype=np.int8), np.zeros(n, dtype=np.uint8), np.empty(n),
            np.empty(n, dtype=np.int32))


@nb.njit(cache=True)
def relax_one(mode, p, seed, tie, sample, max_steps, si, bb, h, net, traj, t0, ws):
    """Relax one sample in place: states ``si`` (int8), recurrent field ``h``
    (kept equal to (J + K) si), external field ``bb``; ``net`` is the tuple
    (j_d, J map, K map). Starts at step ``t0`` (``si`` = s(t0): the steps before
    were taken by the caller, see :func:`first_step`). Records s(t0..T) into
    ``traj`` when it has rows. Returns (steps applied, converged, neuron changes
    from t0 on): a fixed point found at step t gives t steps. ``ws`` is a
    :func:`workspace`."""
    if traj.shape[0] > 0:
        traj[t0] = si
    if mode == ASYNC:
        taken, done, nfl = _relax_async(seed, tie, sample, max_steps, si, bb, h, net, traj, t0, ws)
    else:
        taken, done, nfl = _relax_synchronous(mode, p, seed, tie, sample, max_steps, si, bb, h, net, traj, t0, ws)
    for t in range(taken + 1, traj.shape[0]):
        traj[t] = si
    return taken, done, nfl


@nb.njit
def _unstable(i, si, h, j_d, bb, tie):
    return sgn(h[i] + j_d[i] * si[i] + bb[i], tie) != si[i]


@nb.njit
def _relax_synchronous(mode, p, seed, tie, sample, max_steps, si, bb, h, net, traj, t0, ws):
    """SYNC / PROB steps of :func:`relax_one`. Only the candidates (all neurons at
    t0, then the neurons that changed, their out-neighbours and the unstable ones
    a gate held back) are evaluated."""
    j_d, jp, ji, jv, jb, kp, ki, kv, kb = net
    n = si.size
    cand, nxt, flag, todo, new = ws[0], ws[1], ws[2], ws[3], ws[4]
    for i in range(n):
        cand[i] = i
    flag[:] = False
    ncand = n
    nfl = 0
    for t in range(t0, max_steps + 1):
        nn = 0
        unstable = 0
        m = 0
        for c in range(ncand):
            i = cand[c]
            v = sgn(h[i] + j_d[i] * si[i] + bb[i], tie)
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
            push(i, d, jp, ji, jv, jb, h)
            push(i, d, kp, ki, kv, kb, h)
            nn = _mark(i, flag, nxt, nn)
            if nn < n:  # once every neuron is a candidate (dense maps), marking is done
                nn = _mark_targets(i, jp, ji, jb, flag, nxt, nn)
                nn = _mark_targets(i, kp, ki, kb, flag, nxt, nn)
        nfl += m
        for c in range(nn):
            flag[nxt[c]] = False
        cand, nxt, ncand = nxt, cand, nn
        if traj.shape[0] > 0:
            traj[t + 1] = si
    return max_steps, False, nfl


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


NEXT, QUEUED = 1, 2  # async marks: check at the next sweep / in this sweep's heap


@nb.njit
def _visit(r, k, i, t, seed, sample, tie, si, h, j_d, bb, mark, hkeys, hids, size):
    """Neighbour r of a change of neuron i (heap key k) in sweep t: if r became
    unstable, it joins this sweep's heap when its turn is still to come, else it
    is marked for the next sweep. Returns the heap size."""
    if mark[r] != 0 or not _unstable(r, si, h, j_d, bb, tie):
        return size
    kr = uniform(seed, ORDER, t, sample, r)
    if _before(k, i, kr, r):
        mark[r] = QUEUED
        return heap_push(hkeys, hids, size, kr, r)
    mark[r] = NEXT
    return size


@nb.njit
def _relax_async(seed, tie, sample, max_steps, si, bb, h, net, traj, t0, ws):
    """ASYNC sweeps of :func:`relax_one`: the unstable candidates (all neurons in
    the first sweep, then those marked NEXT) enter a heap in sweep order; each
    change is pushed at once, and each out-neighbour it leaves unstable joins the
    heap if its turn (key, index) is still to come, else is marked NEXT."""
    j_d, jp, ji, jv, jb, kp, ki, kv, kb = net
    n = si.size
    mark, hkeys, hids = ws[5], ws[6], ws[7]
    mark[:] = 0
    nfl = 0
    for t in range(t0, max_steps):
        size = 0
        for i in range(n):
            if t > t0 and mark[i] != NEXT:
                continue
            mark[i] = 0
            if _unstable(i, si, h, j_d, bb, tie):
                size = heap_push(hkeys, hids, size, uniform(seed, ORDER, t, sample, i), i)
                mark[i] = QUEUED
        changed = 0
        while size > 0:
            k, i, size = heap_pop(hkeys, hids, size)
            mark[i] = 0
            v = sgn(h[i] + j_d[i] * si[i] + bb[i], tie)
            if v == si[i]:
                continue
            d = v - si[i]
            si[i] = v
            push(i, d, jp, ji, jv, jb, h)
            push(i, d, kp, ki, kv, kb, h)
            changed += 1
            for part in range(2):
                ptr, idx, blk = (jp, ji, jb) if part == 0 else (kp, ki, kb)
                if blk.shape[0] > 0:
                    for r in range(n):
                        size = _visit(r, k, i, t, seed, sample, tie, si, h, j_d, bb, mark, hkeys, hids, size)
                else:
                    for q in range(ptr[i], ptr[i + 1]):
                        size = _visit(idx[q], k, i, t, seed, sample, tie, si, h, j_d, bb, mark, hkeys, hids,
                                      size)
        if changed == 0:
            return t, True, nfl
        nfl += changed
        if traj.shape[0] > 0:
            traj[t + 1] = si
    for i in range(n):  # after max_steps sweeps: a fixed point iff no candidate is unstable
        if (max_steps == t0 or mark[i] == NEXT) and _unstable(i, si, h, j_d, bb, tie):
            return max_steps, False, nfl
    return max_steps, True, nfl


@nb.njit(cache=True, parallel=True)
def relax_batch(mode, p, seed, tie, max_steps, t0, base, s, b, rec, net, steps, converged, flips, traj):
    """Relax every row of ``s`` [B, N] (int8, in place; row bi is sample
    ``base + bi`` of the draws) from step ``t0`` under the fields ``b`` [B, N] (or
    [1, N]); ``rec`` [B, N] holds (J + K) s on entry and is carried along.
    ``traj`` is [B, T+1, N] or [B, 0, N]; see :func:`relax_one`."""
    for bi in nb.prange(s.shape[0]):
        bb = b[bi] if b.shape[0] > 1 else b[0]
        steps[bi], converged[bi], flips[bi] = relax_one(mode, p, seed, tie, base + bi, max_steps, s[bi], bb,
                                                        rec[bi], net, traj[bi], t0, workspace(s.shape[1]))


@nb.njit(cache=True, parallel=True)
def relax_phases(mode, p, tie, seeds, limits, first, t0, s, fields, rec, net, ends, steps, converged):
    """Consecutive relaxations of a batch, the recurrent field ``rec`` [B, N]
    carried from phase to phase: phase k runs under ``fields[k]`` [B, N] for at
    most ``limits[k]`` steps with draws keyed by ``seeds[k]`` (as separate
    ``relax`` calls would), and leaves its end states in ``ends[k]``. Phases
    before ``first`` are skipped (the caller took phase ``first``'s first step
    out of the neutral state, so it starts at ``t0``)."""
    nothing = np.zeros((0, s.shape[1]), dtype=np.int8)
    for bi in nb.prange(s.shape[0]):
        si = s[bi]
        ws = workspace(si.size)
        for k in range(limits.size):
            if k < first:
                steps[bi, k], converged[bi, k] = 0, False
            else:
                steps[bi, k], converged[bi, k], _ = relax_one(mode, p, seeds[k], tie, bi, limits[k], si,
                                                              fields[k, bi], rec[bi], net, nothing,
                                                              t0 if k == first else 0, ws)
            ends[k, bi] = si


@nb.njit(cache=True, parallel=True)
def lockstep_phases(mode, p, tie, seeds, limits, first, t0, base, s, fields, rec, net, ends, steps, converged,
                    flips, traj, chunk):
    """The phases of :func:`relax_phases` for a batch whose learnable map is a
    dense block, the samples of a chunk taken in lockstep: at each step every
    active sample evaluates all its neurons, then each neuron that changed in any
    of them has its row of the block read once and pushed into the fields of
    those samples. Same steps, changes and convergence as :func:`relax_one` (sync
    and prob); row bi is sample ``base + bi`` of the draws. ``flips`` [B] counts
    the changes, ``traj`` [B, T+1, N] (or [B, 0, N]) records the first phase."""
    n_batch, n = s.shape
    j_d, jp, ji, jv, jb, kp, ki, kv, kb = net
    for c in nb.prange(-(-n_batch // chunk)):
        lo = c * chunk
        hi = min(lo + chunk, n_batch)
        delta = np.zeros((hi - lo, n), dtype=np.int8)
        union = np.empty(n, dtype=np.int32)
        seen = np.zeros(n, dtype=np.bool_)
        active = np.zeros(hi - lo, dtype=np.bool_)
        for k in range(limits.size):
            if k < first:
                for b in range(lo, hi):
                    steps[b, k], converged[b, k] = 0, False
                    ends[k, b] = s[b]
                continue
            start = t0 if k == first else 0
            record = k == 0 and traj.shape[1] > 0
            active[:] = True
            for b in range(lo, hi):
                if record:
                    traj[b, start] = s[b]
            for t in range(start, limits[k] + 1):
                nu = 0
                moving = False
                for q in range(hi - lo):
                    if not active[q]:
                        continue
                    b = lo + q
                    si, h, bb = s[b], rec[b], fields[k, b]
                    unstable = 0
                    for i in range(n):
                        v = sgn(h[i] + j_d[i] * si[i] + bb[i], tie)
                        if v != si[i]:
                            unstable += 1
                            if t < limits[k] and (mode == SYNC or uniform(seeds[k], GATE, t, base + b, i) < p):
                                delta[q, i] = v - si[i]
                                flips[b] += 1
                                if not seen[i]:
                                    seen[i] = True
                                    union[nu] = i
                                    nu += 1
                    if unstable == 0 or t == limits[k]:
                        steps[b, k], converged[b, k] = t, unstable == 0
                        active[q] = False
                    else:
                        moving = True
                for u in range(nu):
                    j = union[u]
                    seen[j] = False
                    row = jb[j]
                    for q in range(hi - lo):
                        d = delta[q, j]
                        if d == 0:
                            continue
                        delta[q, j] = 0
                        b = lo + q
                        s[b, j] += d
                        h = rec[b]
                        dd = row.dtype.type(d)
                        for i in range(n):
                            h[i] += dd * row[i]
                        push(j, d, kp, ki, kv, kb, h)
                if record:
                    for q in range(hi - lo):
                        if active[q]:
                            traj[lo + q, t + 1] = s[lo + q]
                if not moving:
                    break
            for b in range(lo, hi):
                ends[k, b] = s[b]
                if record:
                    for t in range(steps[b, k] + 1, traj.shape[1]):
                        traj[b, t] = s[b]


@nb.njit(cache=True)
def count_unstable(s, h, tie):
    """How many entries of s [B, N] differ from sgn(h) under the tie rule."""
    c = 0
    for b in range(s.shape[0]):
        for i in range(s.shape[1]):
            c += sgn(h[b, i], tie) != s[b, i]
    return c
