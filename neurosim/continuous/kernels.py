"""Numba kernels of the continuous-time dynamics (tau dimensionless, W = J + K +
diag(J_D), W_off = J + K, I the constant external field):

    hard    tau du/dt = -u + W sgn(u) + I          s = sgn(u)
    tanh    tau du/dt = -u + W tanh(beta u) + I    s = sgn(u)
    poisson s_i <- sgn((W s + I)_i) at the events of a rate-1/tau Poisson process

with sgn(0) := +1 everywhere (the engine's ``sgn(v, 1)``; never np.sign, whose sign(0) = 0).

Every kernel works on a batch [B, N] in place (``u`` float64, ``s`` int8) and runs
the samples in parallel (``prange``); random draws are counter-based
(neurosim.rng.uniform keyed by seed, stream, step/event, sample, neuron), so no
result depends on the thread count.

Bookkeeping shared by the sign-based variants: ``v = W_off s + J_D s + I`` is
kept up to date event-driven (a change d of s_j adds d W_ij to v_i for every
out-neighbour i, column j of the CSC matrix), and ``bad[i]`` marks the neurons
with sgn(v_i) != s_i (or s_i = 0, neutral). ``nbad == 0`` means s is a discrete
fixed point: for the hard-sign ODE u then relaxes inside its orthant toward v
and no sign can change any more, which is the exact settling criterion.
"""
import math

import numba as nb
import numpy as np

from ..engine.kernels import sgn
from ..rng import uniform

HARD, TANH, POISSON = 0, 1, 2
# Streams of neurosim.rng draws used here (0 and 1 belong to the discrete engine).
STREAM_POISSON_STEP = 16    # (seed, 16, step, sample, neuron): update gate of the stepped Poisson variant
STREAM_POISSON_EVENT = 17   # (seed, 17, event, sample, 0 | 1): time and neuron of a Poisson event
INF = np.inf


@nb.njit(inline="always")
def _set_bad(i, v, s, bad):
    """Recompute bad[i]; return the change of the count (-1, 0, +1)."""
    new = s[i] == 0 or sgn(v[i], 1) != s[i]
    old = bad[i]
    bad[i] = new
    return np.int64(new) - np.int64(old)


@nb.njit(inline="always")
def _change(i, d, s, v, bad, cp, ci, cd, j_d):
    """s_i changes by d (already applied to s): update v and bad; return the count change."""
    delta = np.int64(0)
    for q in range(cp[i], cp[i + 1]):
        k = ci[q]
        v[k] += d * cd[q]
        delta += _set_bad(k, v, s, bad)
    v[i] += d * j_d[i]
    delta += _set_bad(i, v, s, bad)
    return delta


@nb.njit(cache=True)
def _fields(s, I, cp, ci, cd, j_d, v, bad):
    """v = W_off s + J_D s + I from scratch, bad flags; returns the number of bad neurons."""
    n = s.size
    for i in range(n):
        v[i] = 0.0
    for j in range(n):
        if s[j] != 0:
            for q in range(cp[j], cp[j + 1]):
                v[ci[q]] += s[j] * cd[q]
    nbad = 0
    for i in range(n):
        v[i] += j_d[i] * s[i] + I[i]
        bad[i] = s[i] == 0 or sgn(v[i], 1) != s[i]
        nbad += bad[i]
    return nbad


@nb.njit(cache=True)
def _euler_one(variant, dt, tau, beta, tol, window, n_steps, stop, p_event, seed, sample,
               u, s, I, rp, ri, rd, cp, ci, cd, j_d, traj_u, traj_s, rec):
    """One sample of the explicit Euler scheme (or the stepped Poisson variant).

    Returns (settled, settle time, end step, flips). Euler step:
    u_{n+1} = u_n + dt (-u_n + W a(u_n) + I) / tau, a = sgn or tanh(beta .)."""
    n = u.size
    v = np.empty(n)
    bad = np.zeros(n, dtype=np.bool_)
    a = np.empty(n)
    r = np.empty(n)
    upd = np.empty(n, dtype=np.int64)
    newv = np.empty(n, dtype=np.int8)
    record = traj_u.shape[0] > 0
    if variant != POISSON:
        for i in range(n):
            s[i] = sgn(u[i], 1)
    nbad = _fields(s, I, cp, ci, cd, j_d, v, bad)
    flips = 0
    last = 0.0       # time of the last sign change
    quiet = 0.0      # tanh: start of the current quiet period
    step = 0
    settled = False
    while True:
        if record and step % rec == 0:
            f = step // rec
            for i in range(n):
                traj_u[f, i] = v[i] if variant == POISSON else u[i]
                traj_s[f, i] = s[i]
        if variant == TANH:
            settled = (step * dt - quiet) >= window * (1.0 - 1e-9)
        else:
            settled = nbad == 0
        if step == n_steps or (settled and stop):
            break
        if settled and variant != TANH and not record:
            # no sign can change any more: jump to the end in closed form
            if variant == HARD:
                decay = (1.0 - dt / tau) ** (n_steps - step)
                for i in range(n):
                    u[i] = v[i] + (u[i] - v[i]) * decay
            step = n_steps
            break
        if variant == HARD:
            for i in range(n):
                u[i] = u[i] + dt * ((v[i] - u[i]) / tau)
        elif variant == TANH:
            for i in range(n):
                a[i] = math.tanh(beta * u[i])
            for i in range(n):
                acc = 0.0
                for q in range(rp[i], rp[i + 1]):
                    acc += rd[q] * a[ri[q]]
                r[i] = acc
            big = False
            for i in range(n):
                f_i = (-u[i] + r[i] + j_d[i] * a[i] + I[i]) / tau
                u[i] = u[i] + dt * f_i
                if abs(f_i) >= tol:
                    big = True
            if big:
                quiet = (step + 1) * dt
        else:  # POISSON, stepped: the drawn neurons re-evaluate from the fields at the step start
            m = 0
            for i in range(n):
                if uniform(seed, STREAM_POISSON_STEP, step, sample, i) < p_event:
                    new = sgn(v[i], 1)
                    if new != s[i]:
                        upd[m] = i
                        newv[m] = new
                        m += 1
            for k in range(m):
                i = upd[k]
                d = np.float64(newv[k] - s[i])
                s[i] = newv[k]
                nbad += _change(i, d, s, v, bad, cp, ci, cd, j_d)
            flips += m
            if m > 0:
                last = (step + 1) * dt
        step += 1
        if variant != POISSON:
            changed = False
            for i in range(n):
                new = sgn(u[i], 1)
                if new != s[i]:
                    s[i] = new
                    nbad += _change(i, 2.0 * new, s, v, bad, cp, ci, cd, j_d)
                    flips += 1
                    changed = True
            if changed:
                last = step * dt
                quiet = step * dt
    if variant == POISSON:
        for i in range(n):
            u[i] = v[i]
    if variant == TANH:
        settled = (step * dt - quiet) >= window * (1.0 - 1e-9)
        return settled, quiet, step, flips
    return settled, last, step, flips


@nb.njit(cache=True, parallel=True)
def euler_batch(variant, dt, tau, beta, tol, window, n_steps, stop, p_event, seed,
                u, s, I, rp, ri, rd, cp, ci, cd, j_d, settled, times, steps, flips, traj_u, traj_s, rec):
    """Batch driver: I [B, N] and the trajectories [B, F, N] (F = 0: none) are full size."""
    for b in nb.prange(u.shape[0]):
        res = _euler_one(variant, dt, tau, beta, tol, window, n_steps, stop, p_event, seed, np.int64(b),
                         u[b], s[b], I[b], rp, ri, rd, cp, ci, cd, j_d, traj_u[b], traj_s[b], rec)
        settled[b] = res[0]
        times[b] = res[1]
        steps[b] = res[2]
        flips[b] = res[3]


# ------------------------------------------------------------------ exact hard-sign
@nb.njit(inline="always")
def _crossing(u_ref, v, s, tau):
    """Time after the reference time at which u (relaxing toward v) reaches the
    sign boundary, for a neuron whose state disagrees with sgn(v); +inf if never.
    s = +1 flips as soon as u < 0 (so at u = 0 heading down: 0); s = -1 flips
    when u reaches 0."""
    if sgn(v, 1) == s:
        return INF
    if v == 0.0:
        return INF          # s = -1, u -> 0^- asymptotically
    x = (u_ref - v) / (-v)
    if x <= 1.0:
        return 0.0
    return tau * math.log(x)


@nb.njit(inline="always")
def _heap_swap(heap, pos, a, b):
    ia, ib = heap[a], heap[b]
    heap[a], heap[b] = ib, ia
    pos[ib], pos[ia] = a, b


@nb.njit(inline="always")
def _heap_less(key, heap, a, b):
    ka, kb = key[heap[a]], key[heap[b]]
    return ka < kb or (ka == kb and heap[a] < heap[b])


@nb.njit(cache=True)
def _heap_fix(key, heap, pos, i):
    """Restore the min-heap order after key[i] changed."""
    k = pos[i]
    while k > 0:
        parent = (k - 1) // 2
        if _heap_less(key, heap, k, parent):
            _heap_swap(heap, pos, k, parent)
            k = parent
        else:
            break
    n = heap.size
    while True:
        left = 2 * k + 1
        if left >= n:
            break
        best = left
        if left + 1 < n and _heap_less(key, heap, left + 1, left):
            best = left + 1
        if _heap_less(key, heap, best, k):
            _heap_swap(heap, pos, k, best)
            k = best
        else:
            break


@nb.njit(inline="always")
def _u_at(i, t, u_ref, t_ref, v, tau):
    return v[i] + (u_ref[i] - v[i]) * math.exp(-(t - t_ref[i]) / tau)


@nb.njit(cache=True)
def _event_hard_one(tau, t_max, stop, u, s, I, cp, ci, cd, j_d, traj_u, traj_s, rec_dt):
    """Exact event-driven integration of the hard-sign ODE for one sample.

    Between sign changes u_i(t) = v_i + (u_i(t0) - v_i) exp(-(t - t0)/tau); each
    neuron heading to the boundary has its crossing time in an indexed min-heap;
    a flip of s_j at time t brings its out-neighbours' u to t, changes their v and
    re-keys them. Returns (settled, settle time, end time, flips)."""
    n = u.size
    v = np.empty(n)
    bad = np.zeros(n, dtype=np.bool_)
    for i in range(n):
        s[i] = sgn(u[i], 1)
    nbad = _fields(s, I, cp, ci, cd, j_d, v, bad)
    u_ref = u.copy()
    t_ref = np.zeros(n)
    key = np.empty(n)
    heap = np.arange(n)
    pos = np.arange(n)
    for i in range(n):
        key[i] = _crossing(u_ref[i], v[i], s[i], tau)
    for i in range(n - 1, -1, -1):
        _heap_fix(key, heap, pos, i)   # sift-down from the bottom: a valid heap
    record = traj_u.shape[0] > 0
    frame = 0
    flips = 0
    last = 0.0
    while True:
        i = heap[0]
        t_c = key[i]
        if t_c > t_max:
            break
        if record:
            while frame < traj_u.shape[0] and frame * rec_dt < t_c:
                for k in range(n):
                    traj_u[frame, k] = _u_at(k, frame * rec_dt, u_ref, t_ref, v, tau)
                    traj_s[frame, k] = s[k]
                frame += 1
        # flip i at its crossing
        u_ref[i] = 0.0
        t_ref[i] = t_c
        s[i] = -s[i]
        d = 2.0 * s[i]
        for q in range(cp[i], cp[i + 1]):
            k = ci[q]
            if k != i:
                u_ref[k] = _u_at(k, t_c, u_ref, t_ref, v, tau)
                t_ref[k] = t_c
            v[k] += d * cd[q]
            nbad += _set_bad(k, v, s, bad)
            key[k] = t_c + _crossing(u_ref[k], v[k], s[k], tau)
            _heap_fix(key, heap, pos, k)
        v[i] += d * j_d[i]
        nbad += _set_bad(i, v, s, bad)
        key[i] = t_c + _crossing(u_ref[i], v[i], s[i], tau)
        _heap_fix(key, heap, pos, i)
        flips += 1
        last = t_c
    settled = nbad == 0
    t_end = last if (settled and stop) else t_max
    if record:
        while frame < traj_u.shape[0]:
            for k in range(n):
                traj_u[frame, k] = _u_at(k, frame * rec_dt, u_ref, t_ref, v, tau)
                traj_s[frame, k] = s[k]
            frame += 1
    for k in range(n):
        u[k] = _u_at(k, t_end, u_ref, t_ref, v, tau)
    return settled, last, t_end, flips


@nb.njit(cache=True)
def _event_poisson_one(tau, t_max, stop, seed, sample, u, s, I, cp, ci, cd, j_d, traj_u, traj_s, rec_dt):
    """Exact Poisson-asynchronous dynamics for one sample (Gillespie): the N
    independent rate-1/tau processes merge into one of rate N/tau whose events
    pick a neuron uniformly; event k uses the draws (seed, 17, k, sample, 0 | 1)."""
    n = u.size
    v = np.empty(n)
    bad = np.zeros(n, dtype=np.bool_)
    nbad = _fields(s, I, cp, ci, cd, j_d, v, bad)
    record = traj_u.shape[0] > 0
    frame = 0
    flips = 0
    last = 0.0
    t = 0.0
    k = 0
    while nbad > 0:
        u1 = uniform(seed, STREAM_POISSON_EVENT, k, sample, 0)
        u2 = uniform(seed, STREAM_POISSON_EVENT, k, sample, 1)
        k += 1
        t += -tau / n * math.log1p(-u1)
        if t > t_max:
            break
        if record:
            while frame < traj_u.shape[0] and frame * rec_dt < t:
                for q in range(n):
                    traj_u[frame, q] = v[q]
                    traj_s[frame, q] = s[q]
                frame += 1
        i = min(int(u2 * n), n - 1)
        new = sgn(v[i], 1)
        if new != s[i]:
            d = np.float64(new - s[i])
            s[i] = new
            nbad += _change(i, d, s, v, bad, cp, ci, cd, j_d)
            flips += 1
            last = t
    settled = nbad == 0
    if record:
        while frame < traj_u.shape[0]:
            for q in range(n):
                traj_u[frame, q] = v[q]
                traj_s[frame, q] = s[q]
            frame += 1
    for q in range(n):
        u[q] = v[q]
    return settled, last, (last if (settled and stop) else t_max), flips


@nb.njit(cache=True, parallel=True)
def event_batch(variant, tau, t_max, stop, seed, u, s, I, cp, ci, cd, j_d,
                settled, times, t_end, flips, traj_u, traj_s, rec_dt):
    """Batch driver: I [B, N] and the trajectories [B, F, N] (F = 0: none) are full size."""
    for b in nb.prange(u.shape[0]):
        if variant == HARD:
            res = _event_hard_one(tau, t_max, stop, u[b], s[b], I[b], cp, ci, cd, j_d, traj_u[b], traj_s[b], rec_dt)
        else:
            res = _event_poisson_one(tau, t_max, stop, seed, np.int64(b), u[b], s[b], I[b], cp, ci, cd, j_d,
                                     traj_u[b], traj_s[b], rec_dt)
        settled[b] = res[0]
        times[b] = res[1]
        t_end[b] = res[2]
        flips[b] = res[3]
