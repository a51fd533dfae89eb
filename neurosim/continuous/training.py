"""Algorithm 1 in continuous time: every relaxation (warmup, supervised, free) is a
continuous-time settling of fixed duration, the rules are those of
``neurosim.learning.rules`` applied by the unchanged ``Trainer.train_batch``.

Per mini-batch (u carried from phase to phase):

    u <- I_free                       neutral start (see neurosim.continuous.native)
    integrate t_warmup under I_free   warmup
    integrate t_supervised under I_sup -> s' = sgn(u)
    integrate t_free under I_free      -> s* = sgn(u)     (skipped when approximate: s* := s')
    h = (J + K + diag J_D) s* + I_free; J, W_in, W_out updated at s* as in discrete time

Every phase runs for its full duration: hard-sign and poisson finish a settled
phase in closed form, so this costs nothing and keeps the state at the phase end
well defined (the Brian2 backend runs the same fixed schedule in one ``run()`` per
epoch, ``neurosim.continuous.brian2.train_epoch``). Inference integrates from the
neutral start under I_free for ``t_infer`` and reads sgn(u).
"""
import dataclasses
from dataclasses import dataclass, field

import numpy as np

from ..engine import local_fields
from ..learning.trainer import Trainer
from . import native

BACKENDS = ("numba", "brian2")
TARGETS = ("numpy", "cython", "cpp_standalone")


@dataclass
class ContinuousConfig:
    """Continuous-time settings of :class:`ContinuousTrainer` (times in units of tau).

    t_warmup None: tau per population (the discrete warmup of one step per layer);
    t_supervised / t_free None: 2 tau per discrete step (``TrainConfig.max_steps``);
    t_infer None: t_warmup + t_free (t_supervised when approximate)."""

    variant: str = "hard"
    method: str = "euler"
    dt: float = 0.05
    tau: float = 1.0
    beta: float = 20.0
    t_warmup: float = None
    t_supervised: float = None
    t_free: float = None
    t_infer: float = None
    tol: float = 1e-6
    window: float = 1.0
    backend: str = "numba"
    target: str = "numpy"

    def validated(self):
        c = dataclasses.replace(self)
        native.check_variant(c.variant, c.method)
        native.check_time(c.dt, c.tau, 0.0, c.method)
        for name in ("beta", "tol", "window"):
            v = getattr(c, name)
            if not (np.isfinite(v) and v >= 0):
                raise ValueError(f"{name} must be a non-negative number, got {v!r}")
        for name in ("t_warmup", "t_supervised", "t_free", "t_infer"):
            v = getattr(c, name)
            if v is not None:
                native.check_time(c.dt, c.tau, v, c.method)
        if c.backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, got {c.backend!r}")
        if c.target not in TARGETS:
            raise ValueError(f"target must be one of {TARGETS}, got {c.target!r}")
        return c


@dataclass
class ContinuousTrainer(Trainer):
    """:class:`neurosim.learning.Trainer` whose relaxations are continuous-time
    settlings (see the module docstring). ``backend="brian2"`` (batch size 1)
    runs each epoch as one Brian2 ``run()``; evaluation is native in both cases.

    ``phases`` returns (s', s*, h, times [B, 2], settled [B, 2]): column 0 / 1 are
    the supervised / free phase; ``times`` is the settle time within the phase
    (the phase length where it did not settle), so the statistics rows of
    ``train_batch`` report it under ``steps_supervised`` / ``steps_free``."""

    continuous: ContinuousConfig = field(default_factory=ContinuousConfig)

    def __post_init__(self):
        super().__post_init__()
        self.continuous = self.continuous.validated()
        native.check_tie(self.config.tie)
        if self.config.warmup_in_budget or self.config.supervision_delay:
            raise ValueError("warmup_in_budget and supervision_delay count discrete steps; continuous-time "
                             "training sets its phase durations instead (ContinuousConfig.t_warmup, ...): "
                             "leave them False / 0")
        if self.continuous.backend == "brian2":
            from .brian2 import check_trainable
            check_trainable(self)

    # ------------------------------------------------------------ schedule
    def durations(self):
        """(t_warmup, t_supervised, t_free, t_infer) in units of tau (t_free = 0 when approximate)."""
        c, cc = self.config, self.continuous
        t_w = self.warmup * cc.tau if cc.t_warmup is None else cc.t_warmup
        t_s = 2.0 * c.max_steps * cc.tau if cc.t_supervised is None else cc.t_supervised
        t_f = 0.0 if c.approximate else (2.0 * c.max_steps * cc.tau if cc.t_free is None else cc.t_free)
        t_i = (t_w + (t_s if c.approximate else t_f)) if cc.t_infer is None else cc.t_infer
        return float(t_w), float(t_s), float(t_f), float(t_i)

    def _phase(self, I, u, s, t, seed, arrays, stop=False):
        cc = self.continuous
        return native.run_kernel(self.cn, I, u, s, cc.variant, cc.method, t, cc.dt, cc.tau, cc.beta, cc.tol,
                                 cc.window, seed, stop_on_settle=stop, arrays=arrays)

    def _neutral(self, b):
        u, s, _ = native.initial_conditions(self.cn, b, self.continuous.variant)
        return u, s

    # ------------------------------------------------------------ Algorithm 1
    def phases(self, x, y_back, key=(0, 0)):
        b_free = np.ascontiguousarray(self.free_field(x))
        b_sup = np.ascontiguousarray(self.supervised_field(b_free, y_back))
        t_w, t_s, t_f, _ = self.durations()
        arrays = native.coupling_arrays(self.cn)
        seeds = [self._seed(*key, k) for k in range(3)]
        u, s = self._neutral(b_free)
        self._phase(b_free, u, s, t_w, seeds[0], arrays)
        sup = self._phase(b_sup, u, s, t_s, seeds[1], arrays)
        s_sup = s.copy()
        n_batch = b_free.shape[0]
        times = np.empty((n_batch, 2))
        settled = np.empty((n_batch, 2), dtype=bool)
        times[:, 0] = np.where(sup.settled, sup.times, t_s)
        settled[:, 0] = sup.settled
        if self.config.approximate:
            times[:, 1], settled[:, 1] = times[:, 0], settled[:, 0]
        else:
            free = self._phase(b_free, u, s, t_f, seeds[2], arrays)
            times[:, 1] = np.where(free.settled, free.times, t_f)
            settled[:, 1] = free.settled
        h = local_fields(self.cn, s, b_free)
        return s_sup, s, h, times, settled

    def infer(self, x, batch_size=1024, key=(0,)):
        """States reached from the neutral start under the input alone, [P, N]."""
        x = np.asarray(x, dtype=np.float64)
        out = np.empty((x.shape[0], self.cn.n), dtype=np.int8)
        t_i = self.durations()[3]
        arrays = native.coupling_arrays(self.cn)
        for k, start in enumerate(range(0, x.shape[0], batch_size)):
            xb = x[start:start + batch_size]
            b = np.ascontiguousarray(self.free_field(xb))
            u, s = self._neutral(b)
            self._phase(b, u, s, t_i, self._seed(*key, k), arrays, stop=True)
            out[start:start + len(xb)] = s
        return out

    def fit(self, data, epochs=None, validation=None, progress=None, on_epoch=None):
        if self.continuous.backend == "numba":
            return super().fit(data, epochs=epochs, validation=validation, progress=progress, on_epoch=on_epoch)
        from .brian2 import fit_brian2
        return fit_brian2(self, data, epochs=epochs, validation=validation, progress=progress, on_epoch=on_epoch)
