"""``integrate``: the native (numba) continuous-time integrators and their result.

Time is dimensionless (tau = 1 by default); W = J + K + diag(J_D) and I is the
constant external field [B, N] (``cn.field(x=..., y=...)``).

Initial conditions (the same rules in every integrator and in the Brian2 backend):

* ``u0`` given: hard / tanh start at u = u0; poisson starts at s = sgn(u0) where
  u0 != 0 and at the neutral s = 0 where u0 == 0.
* ``s0`` given (values -1, 0, +1): hard / tanh start at u = s0, and at u = I for
  the neurons with s0 = 0; poisson starts at s = s0.
* neither: the **neutral start**. hard / tanh start at u(0) = I, the field of the
  neutral state s = 0 (whose neurons contribute nothing), so the first activation
  is sgn(I) with sgn(0) := +1: exactly the state after the first synchronous step
  of the discrete engine from its neutral start. poisson starts at s = 0 and each
  neuron takes sgn(h_i) at its first event (a neutral neuron contributes 0 to h).

Settling: hard and poisson are settled once s = sgn(u) (poisson: s) is a fixed
point of the discrete dynamics, sgn(W s + I) = s: from then on no sign can change
(hard: u relaxes inside its orthant toward u* = W s + I = h(s)); this is exact and
needs no tolerance. tanh is settled when no sign has changed and max |du/dt| <
``tol`` for a time ``window``; ``times`` is then the start of that quiet period.
"""
from dataclasses import dataclass

import numpy as np

from ..compiled import CompiledNetwork
from ..validate import check_finite, check_nonneg_int
from . import kernels

VARIANTS = {"hard": kernels.HARD, "tanh": kernels.TANH, "poisson": kernels.POISSON}
METHODS = ("euler", "event")


@dataclass
class ContinuousResult:
    """Result of a continuous-time run, in the style of :class:`neurosim.RelaxResult`.

    states [B, N] int8 +-1 (poisson: 0 for a neuron never updated) at ``t_end``;
    u [B, N] float64 end value of u (poisson: the local field W s + I);
    settled [B] bool; times [B] settle time (hard / poisson: time of the last sign
    change, after which s is a discrete fixed point; tanh: start of the quiet
    window), NaN where not settled; t_end [B] time of ``u`` / ``states``;
    flips [B] sign changes; trajectory [B, F, N] of u and state_trajectory
    [B, F, N] of s at ``record_times`` [F] (when recorded)."""

    states: np.ndarray
    u: np.ndarray
    settled: np.ndarray
    times: np.ndarray
    t_end: np.ndarray
    flips: np.ndarray
    variant: str = "hard"
    method: str = "euler"
    trajectory: np.ndarray = None
    state_trajectory: np.ndarray = None
    record_times: np.ndarray = None

    @property
    def converged(self):
        """Alias of ``settled`` (the name RelaxResult uses)."""
        return self.settled


def coupling_arrays(cn):
    """W_off = J + K as numba-ready CSR (rows = post) and CSC (columns = pre)
    arrays, derived through the public ``learnable()`` / ``fixed()``."""
    W = (cn.learnable() + cn.fixed()).tocsr()
    W.sort_indices()
    C = W.tocsc()
    C.sort_indices()
    as64 = lambda a: np.ascontiguousarray(a, dtype=np.int64)
    return ((as64(W.indptr), as64(W.indices), np.ascontiguousarray(W.data, dtype=np.float64)),
            (as64(C.indptr), as64(C.indices), np.ascontiguousarray(C.data, dtype=np.float64)))


def check_cn(cn):
    if not isinstance(cn, CompiledNetwork):
        raise TypeError(f"cn must be a CompiledNetwork (use neurosim.compile), got {type(cn).__name__}")
    return cn


TIE_REASON = ("tie='zero' has no continuous-time counterpart here: a state is 0 only while u = 0 exactly, "
              "a set the flow leaves at once; the neutral start is u(0) = I (module docstring). "
              "Use tie='plus' (the default), or the discrete engine (neurosim.relax) for tie='zero'")


def check_tie(tie):
    """The continuous-time integrators implement sgn(0) = +1 only ("plus")."""
    if tie == "zero":
        raise ValueError(TIE_REASON)
    if tie != "plus":
        raise ValueError(f"tie must be 'plus' (or 'zero', which continuous time refuses), got {tie!r}")


def check_variant(variant, method="euler"):
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {tuple(VARIANTS)}, got {variant!r}")
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if method == "event" and variant == "tanh":
        raise ValueError("method 'event' exists for the hard-sign and poisson variants only (tanh: use 'euler')")
    return VARIANTS[variant]


def check_time(dt, tau, t_max, method="euler"):
    for name, val in (("dt", dt), ("tau", tau)):
        if not (np.isfinite(val) and val > 0):
            raise ValueError(f"{name} must be a positive number, got {val!r}")
    if not (np.isfinite(t_max) and t_max >= 0):
        raise ValueError(f"t_max must be a non-negative number, got {t_max!r}")
    if method == "euler" and dt > tau:
        raise ValueError(f"explicit Euler needs dt <= tau (got dt = {dt}, tau = {tau}); "
                         "dt = tau is the synchronous discrete map")
    if method == "event":   # dt is only the recording grid
        return int(np.floor(t_max / dt + 1e-9))
    return n_steps_of(t_max, dt)


def n_steps_of(t_max, dt):
    """Number of Euler steps covering t_max (t_max must be a multiple of dt up to 1e-9)."""
    k = int(round(t_max / dt))
    if abs(k * dt - t_max) > 1e-9 * max(1.0, t_max):
        raise ValueError(f"t_max = {t_max} is not a whole number of steps dt = {dt}")
    return k


def field_batch(cn, I, batch=None):
    """I -> float64 [B, N] (None: zeros)."""
    if I is None:
        return np.zeros((batch or 1, cn.n))
    b = np.atleast_2d(np.asarray(I, dtype=np.float64))
    if b.ndim != 2 or b.shape[1] != cn.n:
        raise ValueError(f"I must have shape [B, {cn.n}], got {np.shape(I)}")
    check_finite("I", b)
    return np.ascontiguousarray(b)


def initial_conditions(cn, I, variant, s0=None, u0=None):
    """(u [B, N] float64, s [B, N] int8, I [B, N]) following the module docstring."""
    if s0 is not None and u0 is not None:
        raise ValueError("give s0 or u0, not both")
    start = u0 if u0 is not None else s0
    batch = None if start is None else np.atleast_2d(np.asarray(start)).shape[0]
    I = field_batch(cn, I, batch)
    if start is None:
        B = I.shape[0]
        u = I.copy() if variant != "poisson" else np.zeros((B, cn.n))
        s = np.zeros((B, cn.n), dtype=np.int8)
        return u, s, I
    arr = np.atleast_2d(np.asarray(start, dtype=np.float64))
    if arr.ndim != 2 or arr.shape[1] != cn.n:
        name = "u0" if u0 is not None else "s0"
        raise ValueError(f"{name} must have shape [B, {cn.n}], got {np.shape(start)}")
    check_finite("u0" if u0 is not None else "s0", arr)
    if I.shape[0] not in (1, arr.shape[0]):
        raise ValueError(f"I has batch {I.shape[0]} but the initial state has batch {arr.shape[0]}")
    if s0 is not None and not np.isin(arr, (-1, 0, 1)).all():
        raise ValueError("s0 must hold only -1, +1 or 0 (a neutral neuron)")
    Ib = np.broadcast_to(I, arr.shape)
    s = np.where(arr > 0, 1, np.where(arr < 0, -1, 0)).astype(np.int8)  # 0: the neutral marker (poisson)
    if variant == "poisson":
        u = np.zeros_like(arr)
    elif s0 is not None:
        u = np.where(arr != 0, arr, Ib)
    else:
        u = arr.copy()
    return np.ascontiguousarray(u), np.ascontiguousarray(s), I


def run_kernel(cn, I, u, s, variant, method="euler", t_max=50.0, dt=0.05, tau=1.0, beta=20.0, tol=1e-6,
               window=1.0, seed=0, stop_on_settle=True, record=False, record_every=1, arrays=None):
    """Low level: integrate in place from (u, s) (see ``initial_conditions``);
    returns a ContinuousResult whose ``u`` / ``states`` are these arrays."""
    code = check_variant(variant, method)
    n_steps = check_time(dt, tau, t_max, method)
    record_every = max(1, check_nonneg_int("record_every", record_every))
    rows, cols = coupling_arrays(cn) if arrays is None else arrays
    j_d = np.ascontiguousarray(cn.j_d, dtype=np.float64)
    B, n = u.shape
    settled = np.zeros(B, dtype=bool)
    times = np.zeros(B)
    flips = np.zeros(B, dtype=np.int64)
    n_frames = n_steps // record_every + 1 if record else 0
    traj_u = np.zeros((B, n_frames, n))
    traj_s = np.zeros((B, n_frames, n), dtype=np.int8)
    I = np.array(np.broadcast_to(I, (B, n)), dtype=np.float64, order="C")  # writeable: one numba signature
    p_event = -np.expm1(-dt / tau)
    if method == "euler":
        steps = np.zeros(B, dtype=np.int64)
        kernels.euler_batch(code, float(dt), float(tau), float(beta), float(tol), float(window), n_steps,
                            bool(stop_on_settle and not record), float(p_event), int(seed), u, s, I,
                            *rows, *cols, j_d, settled, times, steps, flips, traj_u, traj_s, record_every)
        t_end = steps * float(dt)
    else:
        t_end = np.zeros(B)
        kernels.event_batch(code, float(tau), float(t_max), bool(stop_on_settle and not record), int(seed),
                            u, s, I, *cols, j_d, settled, times, t_end, flips, traj_u, traj_s,
                            float(dt * record_every))
    times = np.where(settled, times, np.nan)
    res = ContinuousResult(s, u, settled, times, t_end, flips, variant, method)
    if record:
        res.trajectory, res.state_trajectory = traj_u, traj_s
        res.record_times = np.arange(n_frames) * (dt * record_every)
    return res


def integrate(cn, I=None, *, s0=None, u0=None, variant="hard", method="euler", t_max=50.0, dt=0.05, tau=1.0,
              beta=20.0, tol=1e-6, window=1.0, seed=0, stop_on_settle=True, record=False, record_every=1,
              tie="plus"):
    """Integrate the continuous-time dynamics of ``cn`` under the constant field I [B, N].

    variant ``"hard"`` (tau du/dt = -u + W sgn(u) + I), ``"tanh"`` (W tanh(beta u))
    or ``"poisson"`` (s_i <- sgn(h_i) at the events of a rate-1/tau Poisson process);
    method ``"euler"`` (explicit Euler, step dt; poisson: each neuron updates in a
    step with probability 1 - exp(-dt/tau), all from the fields at the step start)
    or ``"event"`` (exact: hard-sign by exponential flow between sign changes,
    poisson by merged event times; ``dt`` is then only the recording grid).
    ``stop_on_settle`` ends a sample once it settles (u and states at its settle
    detection time); otherwise every sample runs to ``t_max`` (hard / poisson
    finish in closed form once settled). ``record`` keeps u and s every
    ``record_every`` steps (and always runs to t_max). Random draws (poisson) are
    keyed by (seed, step or event, sample, neuron): thread-count independent.
    See the module docstring for the initial conditions and settling criteria.
    ``tie``: only "plus" (sgn(0) = +1); "zero" is refused (``TIE_REASON``)."""
    check_cn(cn)
    check_tie(tie)
    check_variant(variant, method)
    seed = check_nonneg_int("seed", seed)
    u, s, I = initial_conditions(cn, I, variant, s0=s0, u0=u0)
    return run_kernel(cn, I, u, s, variant, method, t_max, dt, tau, beta, tol, window, seed,
                      stop_on_settle, record, record_every)
