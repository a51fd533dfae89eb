"""The configuration of Algorithm 1 and the two readings of it.

The paper's text and the authors' published code (``notes/authors-code.md`` of
the design; mattia-scardecchia/Biological-Learning ``src/batch_me_if_u_can.py``)
differ where the text is silent. Each difference is one field of
:class:`TrainConfig`; a protocol only sets the fields left at ``None``:

    field              text (our reading)     code (the authors' code)
    tie                "plus": sgn(0) = +1    "zero": sgn(0) = 0 (torch.sign)
    warmup_in_budget   False: warmup + S      True: the warmup steps count in the
                       supervised steps       S steps of the supervised phase
    supervision_delay  0                      1: the readout neurons start at 0, so
                                              the first supervised step feels no
                                              W_back field
    label_encoding     "onehot": lam_y W_back "code": lam_y W_back enc(y+-1),
                       e_c, readout targets   enc(+1) = sqrt(C)/2, enc(-1) = -1/2;
                       +-1                    readout targets enc(enc(y+-1))
                                              (C/4 and -sqrt(C)/4: applied twice)
    gate_threshold     "kappa"                "kappa+jd": 1(s h <= kappa + J_D,i)
    eta_units          "batch-mean": eta/B    "width": eta / sqrt(B k), k the
                       sum_mu (Eq. 89)        population width (J), D (W_in), the
                                              a_out count (W_out)
    evaluate           "end" of each epoch    "start" of each epoch (the last row
                                              is after epochs - 1 epochs)

Not fields, because they change nothing here: the code keeps the readout
neurons clamped to the label in the free phase, but with the W_back term
removed nothing reaches the hidden neurons from them, and our readout rule
always uses the label (the readout is not a neuron population here). The code's
fixed number of sweeps per phase equals our stop at the first fixed point (a
fixed point stays fixed). The code's p_update is ``mode="prob"`` with ``p``.
What belongs to the network (W_back Gaussian N(0, 1/C) instead of +-1
prototypes, a dense Gaussian W_in, rho = 1) is in ``presets.TABLE_VI``; the
data (uncentred Entangled-MNIST) in ``presets.DATA``; the field values of each
protocol in ``presets.PROTOCOLS``.
"""
import dataclasses
from dataclasses import dataclass

import numpy as np

from ..engine import MODES
from ..validate import check_nonneg, check_nonneg_int, check_positive_int, check_real, check_unit
from .presets import DATA, PROTOCOLS  # noqa: F401  (DATA re-exported)

VARIANTS = ("asym", "sym1", "sym2")
READOUTS = ("perceptron", "softmax")
CHOICES = {"tie": ("plus", "zero"), "label_encoding": ("onehot", "code"), "gate_threshold": ("kappa", "kappa+jd"),
           "eta_units": ("batch-mean", "fan-in", "width"), "evaluate": ("end", "start")}


@dataclass
class TrainConfig:
    """Hyperparameters of Algorithm 1 (names as in Tables I-VI of the paper) and
    the protocol fields of the module docstring (``None``: the protocol's value)."""

    epochs: int = 10
    batch_size: int = 16
    eta_j: float = 0.005
    eta_in: float = 0.01
    eta_out: float = 0.01
    eta_back: float = 0.0
    kappa_j: float = 1.4
    kappa_in: float = 3.0        # None: W_in learns with the gate of J (the authors' code)
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
    protocol: str = "text"
    tie: str = None
    warmup_in_budget: bool = None
    supervision_delay: int = None
    label_encoding: str = None
    gate_threshold: str = None
    eta_units: str = None
    evaluate: str = None
    projections: dict = None     # {projection name: {"eta", "kappa", "decay"}}: that projection's own eta_j,
                                 # kappa_j, decay_j (e.g. {"layer1<-layer0": {"eta": 0.001}})

    def validated(self):
        """A checked copy with the protocol's values filled in: every field has a
        clear error naming it."""
        if self.protocol not in PROTOCOLS:
            raise ValueError(f"protocol must be one of {tuple(PROTOCOLS)}, got {self.protocol!r}")
        c = dataclasses.replace(self, **{k: v for k, v in PROTOCOLS[self.protocol].items()
                                         if getattr(self, k) is None})
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
        check_nonneg_int("supervision_delay", c.supervision_delay)
        if not isinstance(c.warmup_in_budget, (bool, np.bool_)):
            raise ValueError(f"warmup_in_budget must be True or False, got {c.warmup_in_budget!r}")
        for name, options in CHOICES.items():
            if getattr(c, name) not in options:
                raise ValueError(f"{name} must be one of {options}, got {getattr(c, name)!r}")
        return dataclasses.replace(c, projections=check_projection_rules(c.projections))


PROJECTION_KEYS = ("eta", "kappa", "decay")


def check_projection_rules(rules):
    """``TrainConfig.projections`` checked: {name: {key: number}} with keys in
    PROJECTION_KEYS, eta and decay >= 0 (a checked copy; None gives {})."""
    if rules is None:
        return {}
    if not isinstance(rules, dict):
        raise ValueError(f"projections must be a dict {{projection name: {{'eta'|'kappa'|'decay': number}}}}, "
                         f"got {type(rules).__name__}")
    out = {}
    for name, own in rules.items():
        if not isinstance(name, str) or not isinstance(own, dict) or not own:
            raise ValueError(f"projections: {name!r} must map a projection name to a non-empty dict of "
                             f"{PROJECTION_KEYS}, got {own!r}")
        wrong = [k for k in own if k not in PROJECTION_KEYS]
        if wrong:
            raise ValueError(f"projections[{name!r}]: unknown key {wrong[0]!r} (keys: {PROJECTION_KEYS})")
        out[name] = {k: (check_nonneg(f"projections[{name!r}][{k!r}]", v) if k != "kappa"
                         else check_real(f"projections[{name!r}]['kappa']", v)) for k, v in own.items()}
    return out


def reservoir(config):
    """Reservoir computing baseline: frozen J and W_in, no supervision (SM-D)."""
    return dataclasses.replace(config, eta_j=0.0, eta_in=0.0, eta_back=0.0, lam_y=0.0, projections=None)


def random_features(config):
    """Random-features baseline: the reservoir read after a single step (SM-D):
    training and inference both see s(1) = sgn(lam_x W_in x) (no free phase)."""
    return dataclasses.replace(reservoir(config), warmup=0, max_steps=1, approximate=True,
                               warmup_in_budget=False, supervision_delay=0)


def upgrade(fields):
    """A TrainConfig's fields as stored by an older version: ``scale_eta`` became
    ``eta_units`` and ``neutral_warmup`` the tie rule."""
    fields = dict(fields)
    if "scale_eta" in fields:
        scaled = fields.pop("scale_eta")
        fields.setdefault("eta_units", "fan-in" if scaled else "batch-mean")
    if "neutral_warmup" in fields:
        neutral = fields.pop("neutral_warmup")
        fields.setdefault("tie", "zero" if neutral else "plus")
    return fields
