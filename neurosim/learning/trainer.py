"""Algorithm 1: the supervised learning protocol, per mini-batch.

    s  <- 0                                   neutral start
    s  <- relax(s, lam_y = 0, warmup steps)   warmup (L steps for L layers)
    s' <- relax(s, lam_y > 0)                 supervised relaxation
    s* <- relax(s', lam_y = 0)                free relaxation (approximate: s* := s')
    J, W_in (, W_back) <- margin rule at s*   Eqs. 83-85, 88-89 (rules.py)
    W_out <- perceptron rule at s*            Eqs. 86-87

Inference relaxes from 0 with lam_y = 0 and reads ``argmax W_out (a_out * s)``.
The fields that differ between the paper's text and the authors' code (the tie
rule, warmup counted in the step budget, the supervision delay, the label
encoding, the gate threshold, the step-size units, the evaluation point) are in
:class:`~neurosim.learning.config.TrainConfig`; ``protocol="text" | "code"``
sets them (``config.py``).

Learning rates. Eq. 89 averages the updates of a batch: a step eta/B sum_mu
(``eta_units="batch-mean"``). With ``"fan-in"`` or ``"width"`` each map M (J,
W_in, W_out, W_back) learns instead with

    eta_M,eff = eta_M sqrt(B / k_M)        (an update eta_M / sqrt(B k_M) sum_mu)

where k_M is the mean fan-in of M (learnable couplings per neuron that has any;
input weights per a_in row; a_out neurons; classes), or its width (the size of
the post-neuron's population, D, a_out neurons, classes; ``widths``): the step is
relative to the coupling scale 1/sqrt(k_M), as in the authors' code
(``lr / sqrt(H)`` and ``/ sqrt(batch)`` in ``perceptron_rule`` of
mattia-scardecchia/Biological-Learning). With a fully connected core of N = 1600
and B = 16, Table VI's eta_J = 0.005 is then an Eq. 89 step of 0.0005 (one
pattern raises its own margins by eta_eff N = 0.8), where Eq. 89 read literally
gives 8 per pattern. Weight decay uses the same effective eta (the old value is
multiplied by 1 - eta_eff w). The supervisory field of a classification target c
is lam_y W_back e_c (``label_encoding="onehot"``: e_c the 0/1 one-hot vector, the
prototype of class c) or lam_y W_back enc(y) (``"code"``, see ``config.py``).
"""
import sys
from dataclasses import dataclass, field

import numpy as np
from threadpoolctl import threadpool_limits

from ..engine import count_unstable, relax, relax_phases
from ..fields import external_field
from ..rng import key_seed
from ..validate import check_positive_int
from . import rules
from .config import TrainConfig, random_features, reservoir  # noqa: F401  (re-exported)
from .loop import epoch_order, run_epochs
from .readout import softmax_epoch


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


def widths(cn):
    """The width k of every learnable map in the authors' units ({"j", "in",
    "out", "back"}): the size of the population of a neuron that receives
    learnable couplings (mean over those neurons), the input dimension, the a_out
    neurons, the classes."""
    sizes = np.repeat(np.diff(cn.pop_offsets), np.diff(cn.pop_offsets))
    rows = np.bincount(cn.j_indices, minlength=cn.n) > 0
    return {"j": float(sizes[rows].mean()) if rows.any() else 1.0, "in": float(max(1, cn.input_dim)),
            "out": max(1.0, float(np.sum(cn.a_out))), "back": max(1.0, float(cn.w_back.shape[1]))}


def encode_labels(v, n_classes):
    """The code protocol's readout-state encoding of +-1 values: +1 -> sqrt(C)/2,
    -1 -> -1/2 (0 stays 0)."""
    return np.where(v == -1, -0.5, v * (np.sqrt(n_classes) / 2))


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
        for name in self.config.projections:
            if not self.cn.proj_table[self.cn.projection_index(name), 2]:
                raise ValueError(f"projections: {name!r} is a fixed projection (learnable=False): it has no "
                                 "learning rule")

    def rates(self, batch):
        """The Eq. 89 learning rates of a batch of ``batch`` samples, per map
        ({"j", "in", "out", "back"}, and "projections": {name: eta} when
        ``config.projections`` sets some): the configured eta, times sqrt(B / k) of
        the map in the units ``eta_units`` (module docstring): k its mean fan-in
        ("fan-in") or its width ("width"; a projection's rate takes J's factor)."""
        c = self.config
        etas = {"j": c.eta_j, "in": c.eta_in, "out": c.eta_out, "back": c.eta_back}
        factor = dict.fromkeys(etas, 1.0)
        if c.eta_units != "batch-mean":
            k = self.fan_in if c.eta_units == "fan-in" else widths(self.cn)
            factor = {m: np.sqrt(batch / k[m]) for m in etas}
        out = {m: eta * factor[m] for m, eta in etas.items()}
        if c.projections:
            out["projections"] = {name: own.get("eta", c.eta_j) * factor["j"] for name, own in c.projections.items()}
        return out

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
        return key_seed(self.config.seed, *key)

    def free_field(self, x, check=True):
        return external_field(self.cn, x=x, lam_x=self._lam("lam_x"), check=check)

    def supervision(self, labels):
        """The supervisory vectors y of class labels [B]: the 0/1 one-hot vector
        (``label_encoding="onehot"``) or the +-1 one-hot vector, which the code
        protocol encodes (:meth:`supervised_field`)."""
        y = -np.ones((len(labels), self.cn.n_classes))
        y[np.arange(len(labels)), labels] = 1.0
        return (y > 0).astype(np.float64) if self.config.label_encoding == "onehot" else y

    def supervised_field(self, b_free, y_back):
        """b_free + a_back lam_y W_back y' with y' = y_back ("onehot": as given) or
        its code encoding (+1 -> sqrt(C)/2, -1 -> -1/2)."""
        lam_y = self._lam("lam_y")
        if y_back is None or lam_y == 0.0:
            return b_free
        if self.config.label_encoding == "code":
            y_back = encode_labels(np.asarray(y_back, dtype=np.float64), self.cn.w_back.shape[1])
        return b_free + external_field(self.cn, y=y_back, lam_y=lam_y, check=False)

    def readout_targets(self, y_out):
        """The readout rule's targets: +-1 (Eq. 87) or the code's twice-encoded
        label (C/4 for the class, -sqrt(C)/4 for the others)."""
        if self.config.label_encoding == "onehot":
            return y_out
        c = self.cn.w_out.shape[0]
        return encode_labels(encode_labels(np.asarray(y_out, dtype=np.float64), c), c)

    def schedule(self):
        """[(field, steps)] of one training relaxation, field "free" or
        "supervised": the warmup (plus the steps of the supervision delay), the
        supervised phase, then the free phase (absent in the approximate scheme).
        With ``warmup_in_budget`` the first two share ``max_steps``."""
        c = self.config
        lead = self.warmup + c.supervision_delay
        supervised = max(c.max_steps - lead, 0) if c.warmup_in_budget else c.max_steps
        out = [("free", lead), ("supervised", supervised)]
        return out if c.approximate else out + [("free", c.max_steps)]

    def inference_steps(self):
        c = self.config
        return c.max_steps if c.warmup_in_budget else self.warmup + c.max_steps

    def phases(self, x, y_back, key=(0, 0)):
        """The relaxations of :meth:`schedule` for a batch, in one engine call that
        carries the recurrent field from phase to phase.

        Returns (s', s*, h, steps [B, 2], converged [B, 2]) where h is the local
        field at s* without supervision (Eq. 83) and column 0 / 1 of steps and
        converged describe the supervised / free phase."""
        c = self.config
        b_free = self.free_field(x)
        b_sup = self.supervised_field(b_free, y_back)
        plan = self.schedule()
        fields = [b_free if kind == "free" else b_sup for kind, _ in plan]
        seeds = [self._seed(*key, k) for k in range(len(plan))]
        res = relax_phases(self.cn, fields, [steps for _, steps in plan], mode=c.mode, p=c.p, seeds=seeds,
                           tie=c.tie, check=False)  # b_free checked, y_back a target encoding
        s_sup, s = res.ends[1], res.ends[-1]
        h = res.recurrent + self.cn.j_d * s + b_free
        return s_sup, s, h, res.steps[:, 1:][:, [0, -1]], res.converged[:, 1:][:, [0, -1]]

    # ------------------------------------------------------------- learning
    def train_batch(self, x, y_back, y_out=None, key=(0, 0), readout=True):
        """One step of Algorithm 1 on a mini-batch; returns its statistics.

        x [B, D] inputs, y_back [B, C] the supervision vector (:meth:`supervision`
        of the labels for classes, the +-1 target for hetero-association), y_out
        [B, C] +-1 readout targets (None: no readout update)."""
        c = self.config
        x = np.asarray(x, dtype=np.float64)
        s1, s2, h, steps, converged = self.phases(x, y_back, key)
        eta = self.rates(len(x))
        gate = rules.MarginRule.of(c, eta).apply(self.cn, s2, h, x, y_back)
        if readout and y_out is not None:
            rules.ReadoutRule(c.kappa_out, eta["out"], c.decay_out).apply(self.cn, s2, self.readout_targets(y_out))
        return {
            "converged_supervised": converged[:, 0].mean(), "converged_free": converged[:, 1].mean(),
            "steps_supervised": steps[:, 0].mean(), "steps_free": steps[:, 1].mean(),
            "q_dyn": float(np.sum(s1 * s2, dtype=np.int64)) / s2.size,
            "gated_fraction": float(gate.mean()),
            "unstable_fraction": count_unstable(s2, h, c.tie) / s2.size,
        }

    def infer(self, x, batch_size=1024, key=(0,)):
        """States reached from 0 under the input alone (inference), [P, N]."""
        x = np.asarray(x, dtype=np.float64)
        out = np.empty((x.shape[0], self.cn.n), dtype=np.int8)
        c = self.config
        for k, start in enumerate(range(0, x.shape[0], batch_size)):
            xb = x[start:start + batch_size]
            relax(self.cn, field=self.free_field(xb), s0=np.zeros((len(xb), self.cn.n), dtype=np.int8),
                  mode=c.mode, p=c.p, max_steps=self.inference_steps(), seed=self._seed(*key, k), tie=c.tie,
                  out=out[start:start + len(xb)])
        return out

    def predict(self, x):
        """Class predictions argmax_c W_out (a_out * s)."""
        return np.argmax(rules.readout_logits(self.cn, self.infer(x)), axis=1)

    def accuracy(self, x, labels):
        return float(np.mean(self.predict(x) == np.asarray(labels)))

    def fit(self, data, epochs=None, validation=None, progress=None, on_epoch=None):
        """Train on a classification Dataset, continuing from ``self.epoch`` up to
        epoch ``epochs`` (default: config.epochs). With readout='softmax' the first
        half of config.epochs trains J and W_in only and the second half trains the
        readout by softmax regression on the inference states (SM-D). The train
        accuracy of each epoch is measured on ``config.eval_samples`` seeded training
        samples, that of the last epoch on all of them. With ``evaluate="start"``
        (the authors' code) each row holds the accuracies measured before its
        epoch, and the last row also those after it (``end_train_accuracy``,
        ``end_val_accuracy``). ``progress`` shows a bar of each epoch's
        mini-batches on stderr; by default (None) when stderr is a terminal.

        BLAS runs on one thread meanwhile: its products here are small ([B, D] x
        [D, N]) and its idle threads compete with the engine's (measured on 2
        cores: an epoch at N = 1600 took 1.3x as long with OpenBLAS's default)."""
        if progress is None:
            progress = sys.stderr.isatty()
        with threadpool_limits(limits=1, user_api="blas"):
            return self._fit(data, epochs, validation, progress, on_epoch)

    def _fit(self, data, epochs, validation, progress, on_epoch):
        c = self.config
        total = c.epochs if epochs is None else check_positive_int("epochs", epochs)
        y_pm = data.targets("train", dtype=np.float64)
        y_back = self.supervision(data.y_train)
        x_train = np.asarray(data.x_train, dtype=np.float64)
        n = len(x_train)
        features = None  # inference states, frozen during the softmax stage
        n_eval = c.eval_samples if 0 < c.eval_samples < n else n
        eval_idx = np.sort(np.random.default_rng([c.seed, 1]).choice(n, n_eval, replace=False))
        # the first stage of a softmax readout that learns nothing inside (the reservoir and
        # random-features baselines) changes no weight: its epochs skip the relaxations
        frozen = c.readout == "softmax" and not any((c.eta_j, c.eta_in, c.eta_back, c.decay_j, c.decay_in)) \
            and not any(own.get("eta", 0.0) or own.get("decay", 0.0) for own in c.projections.values())
        row = None

        def softmax_stage(e):
            return c.readout == "softmax" and e >= c.epochs // 2

        def measure(e):  # on the eval subset, on every sample after the last epoch
            idx = slice(None) if e + 1 == total else eval_idx
            self.measure(row, x_train[idx], data.y_train[idx], validation)

        def begin(e):
            nonlocal row
            row = {"epoch": e + 1}
            if c.evaluate == "start":
                measure(e)

        def order(e):
            return np.empty(0, dtype=np.int64) if softmax_stage(e) or frozen else epoch_order(c.seed, e, n)

        def step(e, k, b):
            return self.train_batch(x_train[b], y_back[b], y_pm[b], key=(e, k), readout=c.readout == "perceptron")

        def end(e, stats):
            nonlocal features
            if softmax_stage(e):
                features = self.infer(x_train) if features is None else features
                softmax_epoch(self.cn, features, data.y_train, epoch_order(c.seed, e, n), c.batch_size, c.eta_out)
            if stats:
                row.update({k: float(np.mean([s[k] for s in stats])) for k in stats[0]})
            if c.evaluate == "end":
                measure(e)
            elif e + 1 == total:  # the code's last row is before its epoch: also measure the end
                last = {}
                self.measure(last, x_train, data.y_train, validation)
                row.update({f"end_{k}": v for k, v in last.items() if k != "best_val_accuracy"})
            self.close_epoch(row, on_epoch)

        run_epochs(step, n, c.batch_size, total, start=self.epoch, order=order, begin=begin, end=end,
                   progress=progress)
        return self.history

    def measure(self, row, x_eval, y_eval, validation=None):
        """Add train (and validation) accuracy to ``row``, and the best validation
        accuracy seen so far."""
        row["train_accuracy"] = self.accuracy(x_eval, y_eval)
        if validation is not None:
            row["val_accuracy"] = self.accuracy(validation[0], validation[1])
            row["best_val_accuracy"] = max([row["val_accuracy"]] + [r.get("val_accuracy", 0.0)
                                                                     for r in self.history])

    def close_epoch(self, row, on_epoch=None):
        """Append ``row`` to the history, advance ``epoch`` and call ``on_epoch(trainer, row)``."""
        self.history.append(row)
        self.epoch += 1
        if on_epoch is not None:
            on_epoch(self, row)

    def end_epoch(self, row, x_eval, y_eval, validation=None, on_epoch=None):
        """Close an epoch measured at its end (:meth:`measure`, :meth:`close_epoch`)."""
        self.measure(row, x_eval, y_eval, validation)
        self.close_epoch(row, on_epoch)
