"""Named hyperparameter sets of the paper, one place for each: the two
protocols (the field values of ``config.TrainConfig`` under the paper's text
and under the authors' code, and the Entangled-MNIST construction of each),
Tables I-IV (Fig. 2's benchmarks), Table V (the feature-learning benchmark) and
Table VI (the Entangled-MNIST landscape run, N = 1600) in each protocol:

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
PROTOCOLS = {
    "text": dict(tie="plus", warmup_in_budget=False, supervision_delay=0, label_encoding="onehot",
                 gate_threshold="kappa", eta_units="batch-mean", evaluate="end"),
    "code": dict(tie="zero", warmup_in_budget=True, supervision_delay=1, label_encoding="code",
                 gate_threshold="kappa+jd", eta_units="width", evaluate="start"),
}
#: Entangled-MNIST construction of each protocol (``datasets.load(..., variant=)``).
DATA = {"text": "text", "code": "code"}

#: Tables I-IV: the core module's hyperparameters (w_J, w_in -> decay_j, decay_in), lambda_y per listed width,
#: densities, and the MLP's Adam learning rate.
_MNIST_NS = (1000, 2000, 3000, 4000, 5000, 6000)
TABLES_I_IV = {
    "mnist": dict(title="MNIST", table="I", ns=_MNIST_NS, lam_ys=(1.62, 1.3, 1.1, 0.8, 0.8, 0.8), mlp_lr=0.003,
                  rho=0.01, rho_in=0.1, train=dict(eta_j=0.058, eta_in=0.159, eta_out=0.005, decay_j=0.0,
                                                   decay_in=0.01, kappa_j=1.78, kappa_in=1.78),
                  j_d=0.95, lam_x=5.0),
    "fashion-mnist": dict(title="Fashion-MNIST", table="II", ns=_MNIST_NS, lam_ys=(1.8, 1.8, 1.3, 1.0, 1.0, 1.0),
                          mlp_lr=0.003, rho=0.01, rho_in=0.1,
                          train=dict(eta_j=0.118, eta_in=0.17, eta_out=0.0015, decay_j=0.0001, decay_in=0.0002,
                                     kappa_j=1.74, kappa_in=1.74), j_d=0.98, lam_x=4.91),
    "entangled-mnist": dict(title="Entangled-MNIST", table="III", ns=_MNIST_NS,
                            lam_ys=(3.5, 2.5, 1.75, 2.0, 1.75, 1.25), mlp_lr=0.005, rho=0.01, rho_in=0.1,
                            train=dict(eta_j=0.02, eta_in=0.3, eta_out=0.005, decay_j=0.0, decay_in=0.0,
                                       kappa_j=1.4, kappa_in=1.6), j_d=0.9, lam_x=5.0),
    "tiny-imagenet-features": dict(title="Tiny-ImageNet features", table="IV",
                                   ns=(1155, 1660, 2216, 2817, 3458, 4134), lam_ys=(3.1, 2.5, 2.5, 2.25, 2.25, 2.25),
                                   mlp_lr=0.005, rho=0.01, rho_in=0.01,   # printed 0.99: the fraction of zeros
                                   train=dict(eta_j=0.02, eta_in=0.3, eta_out=0.005, decay_j=0.01, decay_in=0.0,
                                              kappa_j=1.4, kappa_in=1.6), j_d=0.9, lam_x=5.0),
}

#: Table V (feature-learning benchmark, N <= 3200): the TrainConfig fields; kappa_J is the
#: whole threshold 1.4 (= 0.9 + J_D at J_D = 0.5; lam_x 5, lam_y 0.9 and J_D live on the network).
TABLE_V = dict(eta_j=0.005, eta_in=0.03, eta_out=0.03, kappa_j=1.4, kappa_in=3.0, kappa_out=3.0, max_steps=5)

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


def table_v_config(protocol, j_d, **overrides):
    """TrainConfig keyword arguments of Table V in ``protocol``; ``overrides`` win.
    The code protocol takes the same values in its own units, with the code's
    gates: its gate adds J_D (so kappa_J is 1.4 - J_D there) and W_in has no
    threshold of its own (kappa_in = None: gated by kappa_J, as in the authors'
    code, which has one threshold per layer and none for the input map)."""
    code = PROTOCOLS[protocol]["gate_threshold"] == "kappa+jd"
    cfg = dict(TABLE_V, kappa_j=TABLE_V["kappa_j"] - (j_d if code else 0.0), protocol=protocol)
    if code:
        cfg["kappa_in"] = None
    cfg.update(overrides)
    return cfg
