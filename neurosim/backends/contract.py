"""The run contract every backend follows: one request (:class:`Request`), one
result (:class:`RunResult`), one base class (:class:`Backend`) that checks a
request against what the backend declares it cannot do before it runs anything."""
from dataclasses import dataclass, field as dc_field

import numpy as np

from ..compiled import CompiledNetwork
from ..engine import MAX_STEPS, MODES, check_tie
from ..engine.relax import initial_states
from ..validate import check_finite, check_int, check_seed, check_unit

TIME = ("discrete", "continuous")
SUITES = ("full", "quick")


class Unsupported(NotImplementedError):
    """A backend was asked for what it declares it cannot do (an expected failure
    of the conformance suite). ``backend``, ``feature`` ((parameter, value)) and
    ``reason`` say which backend, what, and why."""

    def __init__(self, backend, feature, reason):
        self.backend, self.feature, self.reason = backend, feature, reason
        name, value = feature
        super().__init__(f"backend {backend!r} does not support {name}={value!r}: {reason}")


class Unavailable(RuntimeError):
    """A backend cannot run in this environment (its package is missing, or cannot
    be installed on this Python / numpy); the message says why."""


@dataclass
class RunResult:
    """What every backend returns for a batch of B samples of N neurons.

    states [B, N] int8 (+-1; 0 a neutral neuron), steps [B] int64, converged [B]
    bool (the end state is a fixed point: discrete backends check it, continuous
    ones report it settled), trajectory [B, T+1, N] int8 when recorded: s(0) ..
    s(T), T >= steps.max(), the rows of a sample after its ``steps`` repeating its
    end state; discrete backends count ``steps`` as ``neurosim.relax`` does
    (steps applied before the end state), continuous ones as the dt intervals up
    to ``t_end``. flips [B] where the backend counts them (None otherwise).

    Continuous time adds u [B, N] (the end value of u), times [B] (settle times,
    NaN where not settled), t_end [B], u_trajectory [B, F, N] and record_times
    [F] (when recorded). ``backend`` names who ran it, ``options`` are the
    options it ran with (defaults included), ``raw`` is the backend's own
    result (a RelaxResult, a ContinuousResult, a list of LavaRun ...)."""

    states: np.ndarray
    steps: np.ndarray
    converged: np.ndarray
    trajectory: np.ndarray = None
    flips: np.ndarray = None
    u: np.ndarray = None
    times: np.ndarray = None
    t_end: np.ndarray = None
    u_trajectory: np.ndarray = None
    record_times: np.ndarray = None
    backend: str = ""
    options: dict = dc_field(default_factory=dict)
    raw: object = None


@dataclass
class Request:
    """A checked run request: ``field`` [B, N] float64 (zeros when none was given),
    ``s0`` [B, N] int8 or None (the neutral start), ``options`` with the
    backend's defaults filled in."""

    cn: CompiledNetwork
    field: np.ndarray
    s0: np.ndarray
    mode: str
    p: float
    max_steps: int
    seed: int
    tie: str
    record: bool
    options: dict

    @property
    def batch(self):
        return self.field.shape[0]


def make_request(cn, field=None, s0=None, mode="sync", p=1.0, max_steps=100, seed=0, tie="plus", record=False,
                 options=None, defaults=None, backend="?"):
    """Check and normalise the arguments of :meth:`Backend.run` (errors name the argument)."""
    if not isinstance(cn, CompiledNetwork):
        raise TypeError(f"cn must be a CompiledNetwork (use neurosim.compile), got {type(cn).__name__}")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {tuple(MODES)}, got {mode!r}")
    check_tie(tie)
    p = check_unit("p", p)
    max_steps = check_int("max_steps", max_steps, 0, MAX_STEPS)
    seed = check_seed("seed", seed)
    defaults = {} if defaults is None else defaults
    unknown = sorted(set(options or {}) - set(defaults))
    if unknown:
        known = ", ".join(sorted(defaults)) or "none"
        raise ValueError(f"backend {backend!r} has no option {unknown[0]!r} (its options: {known})")
    s = None if s0 is None else initial_states(s0, cn.n, None)
    if field is None:
        b = np.zeros((1 if s is None else len(s), cn.n))
    else:
        b = np.atleast_2d(np.asarray(field, dtype=np.float64))
        if b.ndim != 2 or b.shape[1] != cn.n:
            raise ValueError(f"field must have shape [B, {cn.n}] or [{cn.n}], got {np.shape(field)}")
        check_finite("field", b)
    if s is not None and b.shape[0] not in (1, len(s)):
        raise ValueError(f"the field has batch {b.shape[0]} but s0 has batch {len(s)}")
    if s is not None and b.shape[0] != len(s):
        b = np.repeat(b, len(s), axis=0)
    return Request(cn, np.array(b, order="C"), s, mode, p, max_steps, seed, tie, bool(record),
                   {**defaults, **(options or {})})


class Backend:
    """A backend of the run contract. A subclass sets

    * ``name``, ``summary`` (one line) and ``time`` ("discrete": checked step for
      step against the golden trajectories; "continuous": its settled states must
      be discrete fixed points);
    * ``unsupported``: {(parameter, value): reason} for what it cannot do, where a
      parameter is a run argument ("mode", "tie") or an option; such a request
      raises :class:`Unsupported` before anything runs;
    * ``options``: {name: default} of the options it takes (others are refused);
    * ``suite`` ("full", or "quick" with ``suite_reason``: the conformance cases
      it runs) and ``agrees_with`` ((backend name, tolerance) or None: another
      backend whose results it must reproduce);

    and implements :meth:`execute` (a checked :class:`Request` -> :class:`RunResult`)
    and, for optional packages, :meth:`unavailable`."""

    name = ""
    summary = ""
    time = "discrete"
    unsupported = {}
    options = {}
    suite = "full"
    suite_reason = ""
    agrees_with = None

    def unavailable(self):
        """Why this backend cannot run here, or None where it can."""
        return None

    def refusals(self, mode="sync", tie="plus", options=None):
        """The declared (feature, reason) pairs a run with these settings meets, in
        the order they are checked."""
        values = {"mode": mode, "tie": tie, **self.options, **(options or {})}
        return [((key, value), reason) for (key, value), reason in self.unsupported.items()
                if key in values and values[key] == value]

    def run(self, cn, field=None, s0=None, mode="sync", p=1.0, max_steps=100, seed=0, tie="plus", record=False,
            options=None):
        """Relax the batch ``s0`` [B, N] (None: the neutral start) under the constant
        field ``field`` [B, N] (``cn.field(x=..., y=...)``; None: zeros): ``mode``
        "sync" / "prob" (update probability ``p``) / "async", at most ``max_steps``
        steps, draws keyed by ``seed``, tie rule ``tie`` ("plus": sgn(0) = +1,
        "zero": sgn(0) = 0); ``record`` keeps the trajectory; ``options``: the
        backend's own settings (``self.options``). Returns a :class:`RunResult`."""
        req = make_request(cn, field, s0, mode, p, max_steps, seed, tie, record, options, self.options, self.name)
        found = self.refusals(req.mode, req.tie, req.options)
        if found:
            raise Unsupported(self.name, *found[0])
        why = self.unavailable()
        if why is not None:
            raise Unavailable(f"backend {self.name!r} cannot run here: {why}")
        result = self.execute(req)
        result.backend, result.options = self.name, dict(req.options)
        return result

    def execute(self, req):
        raise NotImplementedError(f"backend {self.name!r} does not implement execute()")

    def __repr__(self):
        return f"<backend {self.name!r}: {self.summary}>"
