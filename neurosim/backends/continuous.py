"""The continuous-time backends: the native integrators (``neurosim.continuous.integrate``)
and Brian2 (``neurosim.continuous.brian2.export``).

Their dynamics is chosen by the options (``variant``: hard, tanh, poisson; ``dt``,
``tau``, ...); the run lasts ``max_steps`` time constants (t_max = max_steps * tau:
one discrete step per tau, and Euler with dt = tau is the synchronous map).
``steps`` counts the dt intervals up to ``t_end``."""
import numpy as np

from .contract import Backend, RunResult
from .platform import brian2_platform, missing

MODE_REASON = ("continuous time has no discrete update scheme: every neuron evolves at once under the flow the "
               "option 'variant' chooses (hard or tanh; Euler with dt = tau is the synchronous map) or updates at "
               "the events of its own Poisson process (variant 'poisson', the continuous counterpart of "
               "asynchronous updates); use mode='sync' and choose the dynamics by the options")
TIME_OPTIONS = {"variant": "hard", "method": "euler", "dt": 0.05, "tau": 1.0, "beta": 20.0, "tol": 1e-6,
                "window": 1.0, "stop_on_settle": True, "record_every": 1}


def _tie_reason():
    from ..continuous.native import TIE_REASON
    return TIE_REASON


def run_result(res, dt):
    """A ContinuousResult as a RunResult (its state trajectory is the trajectory)."""
    steps = np.ceil(np.asarray(res.t_end) / dt - 1e-9).astype(np.int64)
    return RunResult(res.states, steps, np.asarray(res.settled, dtype=bool), trajectory=res.state_trajectory,
                     flips=res.flips, u=res.u, times=res.times, t_end=res.t_end, u_trajectory=res.trajectory,
                     record_times=res.record_times, raw=res)


def time_span(req):
    """t_max of a request: ``max_steps`` time constants."""
    return req.max_steps * float(req.options["tau"])


class NativeBackend(Backend):
    name = "native"
    summary = "neurosim.continuous.integrate: the continuous-time variants, explicit Euler or exact event-driven"
    time = "continuous"
    options = TIME_OPTIONS

    @property
    def unsupported(self):
        return {("mode", "prob"): MODE_REASON, ("mode", "async"): MODE_REASON, ("tie", "zero"): _tie_reason()}

    def execute(self, req):
        from ..continuous import integrate
        o = req.options
        res = integrate(req.cn, req.field, s0=req.s0, variant=o["variant"], method=o["method"], t_max=time_span(req),
                        dt=o["dt"], tau=o["tau"], beta=o["beta"], tol=o["tol"], window=o["window"], seed=req.seed,
                        stop_on_settle=o["stop_on_settle"], record=req.record, record_every=o["record_every"])
        return run_result(res, o["dt"])


class Brian2Backend(Backend):
    name = "brian2"
    summary = "Brian2 (numpy, cython or cpp_standalone target): the native explicit Euler scheme, run to t_max"
    time = "continuous"
    options = {**TIME_OPTIONS, "stop_on_settle": False, "target": "numpy", "rng": "counter"}
    agrees_with = ("native", 1e-12)

    @property
    def unsupported(self):
        return {("mode", "prob"): MODE_REASON, ("mode", "async"): MODE_REASON, ("tie", "zero"): _tie_reason(),
                ("method", "event"): "Brian2 integrates by explicit Euler only; the exact event-driven "
                                     "integrator is backend 'native'",
                ("stop_on_settle", True): "Brian2 runs the whole batch to t_max in one run(): no sample stops "
                                          "early (its settle times are still reported)"}

    def unavailable(self):
        return brian2_platform() or missing("brian2", "brian2")

    def execute(self, req):
        from ..continuous.brian2 import export
        o = req.options
        res = export(req.cn, req.field, s0=req.s0, variant=o["variant"], dt=o["dt"], tau=o["tau"],
                     t_max=time_span(req), beta=o["beta"], tol=o["tol"], window=o["window"], seed=req.seed,
                     target=o["target"], record=req.record, record_every=o["record_every"], rng=o["rng"])
        return run_result(res, o["dt"])
