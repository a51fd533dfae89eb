"""Algorithm 1: the supervised learning protocol, per mini-batch.

    s  <- 0                                   neutral start
    s  <- relax(s, lam_y = 0, warmup steps)   warmup (L steps for L layers)
    s' <- relax(s, lam_y > 0)                 supervised relaxation
    s* <- relax(s', lam_y = 0)                free relaxation (approximate: s* := s')
    J, W_in (, W_back) <- margin rule at s*   Eqs. 83-85, 88-89 (rules.py)
    W_out <- perceptron rule at s*            Eqs. 86-87

Inference relaxes from 0 with lam_y = 0 and reads ``argmax W_out (a_out * s)``.

Neutral warmup (``neutral_warmup=True``, off by default). The engine's sgn(0) = +1
sets every neuron that the input has not reached yet to +1 at the first step:
in a chain, every layer but the first. With this option the warmup steps are
synchronous and a neutral neuron whose field is exactly 0 stays neutral (the
``torch.sign(0) = 0`` of the authors' code), so the L warmup steps carry the
input layer by layer; the phases after it are the engine's, from that state.

Learning rates. Eq. 89 averages the updates of a batch: a step eta/B sum_mu.
With ``scale_eta=True`` each map M (J, W_in, W_out, W_back) learns instead with

    eta_M,eff = eta_M sqrt(B / k_M)        (an update eta_M / sqrt(B k_M) sum_mu)

where k_M is the mean fan-in of M (learnable couplings per neuron that has any;
input weights per a_in row; a_out neurons; classes): the step is relative to
the coupling scale 1/sqrt(k_M), as in the authors' code (``lr / sqrt(fan_in)``
and ``/ sqrt(batch)`` in ``perceptron_rule`` of mattia-scardecchia/Biological-
Learning, ``/ (n**0.5 * d**0.5)`` in Willinki/darnax). The paper's tables are in
these units: with a fully connected core of N = 1600 and B = 16, Table VI's
eta_J = 0.005 is an Eq. 89 step of 0.0005 (one pattern raises its own margins
by eta_eff N = 0.8), where Eq. 89 read literally gives 8 per pattern (measured:
80.1 % validation after 6 epochs against 82.2 %; README, Decisions). Weight
decay uses the same effective eta (the old value is multiplied by 1 - eta_eff w).
The supervisory field of a classification target c is lam_y W_back e_c (e_c the
one-hot 0/1 vector): the prototype of class c, so the push has strength lam_y
whatever the number of classes; the readout targets are +-1 one-hot (Eq. 87).
"""
import dataclasses
from dataclasses import dataclass, field

import numpy as np
from threadpoolctl import threadpool_limits

from ..engine import kernels, relax
from ..engine.relax import MODES, kernel_arrays, local_fields
from ..fields import external_field
from ..validate import check_nonneg, check_nonneg_int, check_positive_int, check_unit
from . import rules
from .readout import softmax_epoch

VARIANTS = ("asym", "sym1", "sym2")
READOUTS = ("perceptron", "softmax")


@dataclass
class TrainConfig:
    """Hyperparameters of Algorithm 1 (names as in Tables I-VI of the paper)."""

    epochs: int = 10
    batch_size: int = 16
    eta_j: float = 0.005
    eta_in: float = 0.01
    eta_out: float = 0.01
    eta_back: float = 0.0
    kappa_j: float = 1.4
    kappa_in: float = 3.0
    kappa_out: float = 3.0
    decay_j: float = 0.0
    decay_in: float = 0.0
    decay_out: float = 0.0
    lam_x: float = None          # None: the network's value
    lam_y: float = None
    mode: str = "sync"
    p: float = 1.0
    max_steps: int = 5
    warmup: int = None           # None: one step per population (L steps for L layers)
    approximate: bool = False
    gamma: float = None          # tanh-smoothed rule (Eq. 91) when set
    variant: str = "asym"
    readout: str = "perceptron"
    seed: int = 0
    eval_samples: int = 10000    # per-epoch train accuracy on this seeded subset (0: all); the last epoch uses all
    scale_eta: bool = False      # True: eta relative to the coupling scale, eta sqrt(B / fan-in) (module docstring)
    neutral_warmup: bool = False  # True: a neutral neuron with a zero field stays neutral during warmup (Trainer.warm)

    def validated(self):
        """A checked copy: every field has a clear error naming it."""
        c = dataclasses.replace(self)
        check_positive_int("epochs", c.epochs)
        check_positive_int("batch_size", c.batch_size)
        for name in ("eta_j", "eta_in", "eta_out", "eta_back", "decay_j", "decay_in", "decay_out"):
            check_nonneg(name, getattr(c, name))
        for name in ("kappa_j", "kappa_in", "kappa_out", "lam_x", "lam_y", "gamma"):
            v = getattr(c, name)
            if v is not None and not np.isfinite(float(v)):
                raise ValueError(f"{name} must be a finite number, got {v!r}")
        if c.mode not in MODES:
            raise ValueError(f"mode must be one of {tuple(MODES)}, got {c.mode!r}")
        check_unit("p", c.p)
        check_nonneg_int("max_steps", c.max_steps)
        if c.warmup is not None:
            check_nonneg_int("warmup", c.warmup)
        if c.variant not in VARIANTS:
            raise ValueError(f"variant must be one of {VARIANTS}, got {c.variant!r}")
        if c.readout not in READOUTS:
            raise ValueError(f"readout must be one of {READOUTS}, got {c.readout!r}")
        check_nonneg_int("seed", c.seed)
        check_nonneg_int("eval_samples", c.eval_samples)
        return c


def fan_ins(cn):
    """Mean fan-in k of every learnable map ({"j", "in", "out", "back"}, at least
    1): learnable couplings per neuron that receives any, input weights per a_in
    row that has any, a_out neurons, classes."""
    def mean_nonzero(counts):
        counts = counts[counts > 0]
        return float(counts.mean()) if counts.size else 1.0
    rows = cn.w_in_mask[cn.a_in].sum(axis=1) if cn.input_dim else np.zeros(0)
    return {"j": mean_nonzero(np.bincount(cn.j_indices, minlength=cn.n)), "in": mean_nonzero(rows),
            "out": max(1.0, float(np.sum(cn.a_out))), "back": max(1.0, float(cn.w_back.shape[1]))}


def reservoir(config):
    """Reservoir computing baseline: frozen J and W_in, no supervision (SM-D)."""
    return dataclasses.replace(config, eta_j=0.0, eta_in=0.0, eta_back=0.0, lam_y=0.0)


def random_features(config):
    """Random-features baseline: the reservoir read after a single step (SM-D)."""
    return dataclasses.replace(reservoir(config), warmup=0, max_steps=1)


@dataclass
class Trainer:
    """Trains a CompiledNetwork in place with Algorithm 1 (see module docstring)."""

    cn: object
    config: TrainConfig = field(default_factory=TrainConfig)
    epoch: int = 0
    history: list = field(default_factory=list)

    def __post_init__(self):
        self.config = self.config.validated()
        if self.config.readout == "softmax" and self.cn.w_out.shape[0] == 0:
            raise ValueError("readout='softmax' needs a readout map (set_output)")
        self.fan_in = fan_ins(self.cn)

    def rates(self, batch):
        """The Eq. 89 learning rates of a batch of ``batch`` samples, per map
        ({"j", "in", "out", "back"}): the configured eta, times sqrt(B / k) of the
        map when ``scale_eta`` is set (module docstring)."""
        c = self.config
        etas = {"j": c.eta_j, "in": c.eta_in, "out": c.eta_out, "back": c.eta_back}
        if not c.scale_eta:
            return etas
        return {k: eta * np.sqrt(batch / self.fan_in[k]) for k, eta in etas.items()}

    # ------------------------------------------------------------ internals
    @property
    def warmup(self):
        w = self.config.warmup
        return len(self.cn.pop_names) if w is None else w

    def _lam(self, name):
        v = getattr(self.config, name)
        return getattr(self.cn, name) if v is None else float(v)

    def _seed(self, *key):
        """The relaxation seed of (epoch, batch, phase): a run is replayable."""
        return int(np.random.SeedSequence([self.config.seed, *key]).generate_state(1)[0])

    def free_field(self, x):
        return external_field(self.cn, x=x, lam_x=self._lam("lam_x"))

    def _relax(self, s0, b, steps, seed):
        c = self.config
        return relax(self.cn, s0=s0, field=b, mode=c.mode, p=c.p, max_steps=steps, seed=seed)

    def warm(self, b):
        """The neutral warmup: s(0) = 0, then ``warmup`` synchronous steps
        s_i(t) = sgn(h_i(t)) with h(t) = (J + K + diag J_D) s(t-1) + b, except that a
        neutral neuron (s_i(t-1) = 0) with h_i(t) = 0 stays neutral. int8 [B, N]."""
        s = np.zeros(b.shape, dtype=np.int8)
        for _ in range(self.warmup):
            h = local_fields(self.cn, s, b)
            s = np.where((h == 0) & (s == 0), 0, np.where(h >= 0, 1, -1)).astype(np.int8)
        return s

    def phases(self, x, y_back, key=(0, 0)):
        """Warmup, supervised and free relaxations of a batch, fused in one kernel
        (neutral warmup: :meth:`warm` first, then the kernel without its warmup).

        Returns (s', s*, h, steps [B, 2], converged [B, 2]) where h is the local
        field at s* without supervision (Eq. 83) and column 0 / 1 of steps and
        converged describe the supervised / free phase."""
        c = self.config
        b_free = np.ascontiguousarray(self.free_field(x))
        lam_y = self._lam("lam_y")
        b_sup = b_free
        if y_back is not None and lam_y != 0.0:
            b_sup = np.ascontiguousarray(b_free + external_field(self.cn, y=y_back, lam_y=lam_y))
        n_batch, n = b_free.shape
        s = self.warm(b_free) if c.neutral_warmup else np.zeros((n_batch, n), dtype=np.int8)
        s_sup = np.empty_like(s)
        h = np.empty((n_batch, n))
        steps = np.zeros((n_batch, 2), dtype=np.int64)
        converged = np.zeros((n_batch, 2), dtype=bool)
        seeds = np.array([self._seed(*key, k) for k in range(3)], dtype=np.int64)
        warmup = 0 if c.neutral_warmup else self.warmup
        limits = np.array([warmup, c.max_steps, -1 if c.approximate else c.max_steps], dtype=np.int64)
        kernels.relax_phases(MODES[c.mode], c.p, seeds, limits, s, b_free, b_sup, kernel_arrays(self.cn),
                             s_sup, h, steps, converged)
        return s_sup, s, h, steps, converged

    # ------------------------------------------------------------- learning
    def train_batch(self, x, y_back, y_out=None, key=(0, 0), readout=True):
        """One step of Algorithm 1 on a mini-batch; returns its statistics.

        x [B, D] inputs, y_back [B, C] the supervision vector (0/1 one-hot for
        classes, the +-1 target for hetero-association), y_out [B, C] +-1 readout
        targets (None: no readout update)."""
        c = self.config
        x = np.asarray(x, dtype=np.float64)
        s1, s2, h, steps, converged = self.phases(x, y_back, key)
        eta = self.rates(len(x))
        gate = rules.margin_gate(s2, h, c.kappa_j, c.gamma)
        gate_in = gate if c.kappa_in == c.kappa_j else rules.margin_gate(s2, h, c.kappa_in, c.gamma)
        rules.coupling_update(self.cn, s2, gate, eta["j"], c.decay_j, c.variant)
        rules.input_update(self.cn, s2, gate_in, x, eta["in"], c.decay_in)
        if y_back is not None:
            rules.back_update(self.cn, s2, gate, y_back, eta["back"])
        if readout and y_out is not None:
            rules.readout_update(self.cn, s2, y_out, eta["out"], c.kappa_out, c.decay_out)
        return {
            "converged_supervised": converged[:, 0].mean(), "converged_free": converged[:, 1].mean(),
            "steps_supervised": steps[:, 0].mean(), "steps_free": steps[:, 1].mean(),
            "q_dyn": float(np.mean(s1.astype(np.float64) * s2)),
            "gated_fraction": float(gate.mean()),
            "unstable_fraction": float(np.mean(np.where(h >= 0, 1, -1) != s2)),
        }

    def infer(self, x, batch_size=1024, key=(0,)):
        """States reached from 0 under the input alone (inference), [P, N]."""
        x = np.asarray(x, dtype=np.float64)
        out = np.empty((x.shape[0], self.cn.n), dtype=np.int8)
        c = self.config
        steps = c.max_steps if c.neutral_warmup else self.warmup + c.max_steps
        for k, start in enumerate(range(0, x.shape[0], batch_size)):
            xb = x[start:start + batch_size]
            b = self.free_field(xb)
            s0 = self.warm(b) if c.neutral_warmup else np.zeros((len(xb), self.cn.n))
            out[start:start + len(xb)] = self._relax(s0, b, steps, self._seed(*key, k)).states
        return out

    def predict(self, x):
        """Class predictions argmax_c W_out (a_out * s)."""
        return np.argmax(rules.readout_logits(self.cn, self.infer(x)), axis=1)

    def accuracy(self, x, labels):
        return float(np.mean(self.predict(x) == np.asarray(labels)))

    def fit(self, data, epochs=None, validation=None, progress=False, on_epoch=None):
        """Train on a classification Dataset, continuing from ``self.epoch`` up to
        epoch ``epochs`` (default: config.epochs). With readout='softmax' the first
        half of config.epochs trains J and W_in only and the second half trains the
        readout by softmax regression on the inference states (SM-D). The train
        accuracy of each epoch is measured on ``config.eval_samples`` seeded training
        samples, that of the last epoch on all of them.

        BLAS runs on one thread meanwhile: its products here are small ([B, D] x
        [D, N]) and its idle threads compete with the engine's (measured on 2
        cores: an epoch at N = 1600 took 1.3x as long with OpenBLAS's default)."""
        with threadpool_limits(limits=1, user_api="blas"):
            return self._fit(data, epochs, validation, progress, on_epoch)

    def _fit(self, data, epochs, validation, progress, on_epoch):
        from tqdm.auto import tqdm
        c = self.config
        total = c.epochs if epochs is None else check_positive_int("epochs", epochs)
        y_pm = data.targets("train", dtype=np.float64)
        y01 = (y_pm > 0).astype(np.float64)
        x_train = np.asarray(data.x_train, dtype=np.float64)
        features = None  # inference states, frozen during the softmax stage
        n_eval = c.eval_samples if 0 < c.eval_samples < len(x_train) else len(x_train)
        eval_idx = np.sort(np.random.default_rng([c.seed, 1]).choice(len(x_train), n_eval, replace=False))
        # the first stage of a softmax readout that learns nothing inside (the reservoir and
        # random-features baselines) changes no weight: its epochs skip the relaxations
        frozen = c.readout == "softmax" and not any((c.eta_j, c.eta_in, c.eta_back, c.decay_j, c.decay_in))
        while self.epoch < total:
            e = self.epoch
            order = np.random.default_rng([c.seed, e]).permutation(len(x_train))
            softmax_stage = c.readout == "softmax" and e >= c.epochs // 2
            stats = []
            batches = [] if softmax_stage or frozen else range(0, len(order), c.batch_size)
            for k, start in enumerate(tqdm(batches, desc=f"epoch {e + 1}/{total}", disable=not progress, leave=False)):
                idx = order[start:start + c.batch_size]
                stats.append(self.train_batch(x_train[idx], y01[idx], y_pm[idx], key=(e, k),
                                              readout=c.readout == "perceptron"))
            if softmax_stage:
                features = self.infer(x_train) if features is None else features
                softmax_epoch(self.cn, features, data.y_train, order, c.batch_size, c.eta_out)
            row = {"epoch": e + 1}
            if stats:
                row.update({k: float(np.mean([s[k] for s in stats])) for k in stats[0]})
            idx = slice(None) if e + 1 == total else eval_idx
            self.end_epoch(row, x_train[idx], data.y_train[idx], validation, on_epoch)
        return self.history

    def end_epoch(self, row, x_eval, y_eval, validation=None, on_epoch=None):
        """Close an epoch: add train (and validation) accuracy to ``row``, append
        it to the history, advance ``epoch`` and call ``on_epoch(trainer, row)``."""
        row["train_accuracy"] = self.accuracy(x_eval, y_eval)
        if validation is not None:
            row["val_accuracy"] = self.accuracy(validation[0], validation[1])
        self.history.append(row)
        self.epoch += 1
        if on_epoch is not None:
            on_epoch(self, row)
