"""Named hyperparameter sets of the paper, one place for each. Table VI (the
Entangled-MNIST landscape run, N = 1600) in each protocol:

- ``text``: Table VI as printed (eta_in = eta_out = 0.01, kappa_in = 3), on the
  main text's sparse core (rho = 0.01, rho_in = 0.1) with +-1 prototypes;
- ``code``: the authors' configuration of that run (mattia-scardecchia/Biological-
  Learning ``configs/baseline_1layer_largeP.yaml``: lr_J 0.005, lr_input_skip 0.03,
  lr_W 0.1, one threshold 0.9 (+ J_D) for J and W_in, 3.0 for the readout; a fully
  connected core, dense Gaussian W_in and W_back).

``kappa_j`` is the base margin 0.9: the threshold is 0.9 + J_D in both readings
(the text prints it so; the code adds J_D in the gate, ``gate_threshold``).
``kappa_in = None``: W_in learns with the gate of J. The code's weight decay
(0.005 times its per-batch step lr / sqrt(H), for J and W_out) is ours with
decay = 0.005 / sqrt(B) (ours multiplies by the step eta sqrt(B / k)), B = 16.
"""
from .config import PROTOCOLS

TABLE_VI = {
    "text": dict(n=1600, rho=0.01, rho_in=0.1, j_d=0.5, w_back="prototypes", eta_j=0.005, eta_in=0.01,
                 eta_out=0.01, kappa_j=0.9, kappa_in=3.0, kappa_out=3.0, decay_j=0.0, decay_out=0.0, lam_x=2.0,
                 lam_y=0.9, epochs=30, max_steps=5),
    "code": dict(n=1600, rho=1.0, rho_in=1.0, j_d=0.5, w_back="gaussian", eta_j=0.005, eta_in=0.03,
                 eta_out=0.1, kappa_j=0.9, kappa_in=None, kappa_out=3.0, decay_j=0.005 / 4, decay_out=0.005 / 4,
                 lam_x=2.0, lam_y=0.9, epochs=30, max_steps=5),
}

#: The TrainConfig fields of a preset (the rest is the network's).
CONFIG_KEYS = ("eta_j", "eta_in", "eta_out", "kappa_in", "kappa_out", "decay_j", "decay_out", "max_steps", "epochs")


def kappa_j(protocol, j_d, gate_threshold=None):
    """Table VI's kappa_J as TrainConfig takes it: the whole threshold 0.9 + J_D
    under gate_threshold "kappa", the base 0.9 under "kappa+jd" (the gate adds
    J_D); ``gate_threshold`` defaults to the protocol's."""
    gate = gate_threshold or PROTOCOLS[protocol]["gate_threshold"]
    return TABLE_VI[protocol]["kappa_j"] + (0.0 if gate == "kappa+jd" else j_d)


def table_vi_config(protocol, j_d, **overrides):
    """TrainConfig keyword arguments of Table VI in ``protocol`` (``overrides``
    win; a ``gate_threshold`` among them also sets kappa_j's meaning)."""
    preset = TABLE_VI[protocol]
    cfg = {k: preset[k] for k in CONFIG_KEYS}
    cfg.update(protocol=protocol, kappa_j=kappa_j(protocol, j_d, overrides.get("gate_threshold")))
    cfg.update(overrides)
    return cfg
