"""Trainer under protocol "code" against the plain-numpy transcription of the
authors' code (tests/reference_code_train.py): the same s', s*, gates and the same
J, W_in and W_out after every batch, weight for weight, for the full and the
approximate scheme and J_D in {0, 0.5}; then a mutation check: flipping any one
protocol field breaks the equality, so each of them is exercised."""
import dataclasses
import sys
from pathlib import Path

import numpy as np
import pytest

import neurosim as ns
from neurosim import datasets, topologies
from neurosim.learning import Trainer, TrainConfig

sys.path.insert(0, str(Path(__file__).resolve().parent))
import reference_code_train as ref  # noqa: E402

N, D, C, B, BATCHES = 48, 12, 4, 8, 5
WD = 0.2  # the code's weight decay (times lr / sqrt(H)); ours is relative to eta sqrt(B / k): WD / sqrt(B)
LR = dict(lr_j=0.05, lr_in=0.03, lr_out=0.1)


def network(j_d, kind="core"):
    """A fully connected core, or a 2-layer chain whose input reaches the first
    layer only (so fields are exactly 0 in the second layer at the first step)."""
    common = dict(input_dim=D, rho_in=1.0, n_classes=C, lam_x=2.0, lam_y=0.9, w_back="gaussian")
    if kind == "core":
        return ns.compile(topologies.core(N, rho=1.0, j_d=j_d, seed=3, **common))
    return ns.compile(topologies.chain(2, N // 2, rho=0.5, j_d=j_d, lam=1.0, seed=3, **common))


def config(**kw):
    return TrainConfig(protocol="code", batch_size=B, eta_j=LR["lr_j"], eta_in=LR["lr_in"], eta_out=LR["lr_out"],
                       kappa_j=0.9, kappa_in=None, kappa_out=3.0, decay_j=WD / np.sqrt(B), decay_out=WD / np.sqrt(B),
                       max_steps=5, seed=1, **kw)


def task():
    return datasets.prototypes(n_classes=C, dim=D, n_train=B * BATCHES, n_test=16, flip=0.25, seed=4)


def run_both(j_d, cfg, kind="core"):
    """Train side by side; returns the largest weight difference and what was seen."""
    cn = network(j_d, kind)
    net = ref.CodeNet(cn, lam_x=2.0, lam_y=0.9)
    tr = Trainer(cn, cfg)
    c = tr.config
    data = task()
    worst, gated, moved = 0.0, [], 0.0
    start = cn.learnable().toarray()
    for k in range(BATCHES):
        sl = slice(k * B, (k + 1) * B)
        x, labels = data.x_train[sl].astype(np.float64), data.y_train[sl]
        y_back, y_out = tr.supervision(labels), data.targets("train", dtype=np.float64)[sl]
        s_sup, s_star, h, _, _ = tr.phases(x, y_back, key=(0, k))
        tr.train_batch(x, y_back, y_out, key=(0, k))
        out = ref.train_batch(net, x, labels, C, **LR, kappa=0.9, kappa_out=3.0, max_steps=5, wd_j=WD, wd_out=WD,
                              double_dynamics=not c.approximate)
        same_states = np.array_equal(s_sup, out["s_sup"]) and np.array_equal(s_star, out["s"])
        worst = max(worst, 0.0 if same_states else np.inf,
                    np.abs(tr.cn.learnable().toarray() - net.J).max(),
                    np.abs(tr.cn.w_in * tr.cn.a_in[:, None] - net.input_skip / 2.0).max(),
                    np.abs(tr.cn.w_out - net.w_out).max(),
                    np.abs(h - out["h"]).max())
        gated.append(out["gate"].mean())
    moved = np.abs(tr.cn.learnable().toarray() - start).max()
    return worst, tr, net, data, float(np.mean(gated)), moved


@pytest.mark.parametrize("kind,j_d", [("core", 0.0), ("core", 0.5), ("chain", 0.5)])
@pytest.mark.parametrize("approximate", [False, True])
def test_code_protocol_equals_the_transcription(kind, j_d, approximate):
    worst, tr, net, data, gated, moved = run_both(j_d, config(approximate=approximate), kind)
    assert worst < 1e-12
    assert 0.0 < gated < 1.0 and moved > 0  # not vacuous: the gate split the neurons and J learned
    pred, states = ref.predict(net, data.x_test.astype(np.float64), C, max_steps=5)
    np.testing.assert_array_equal(tr.infer(data.x_test), states)
    np.testing.assert_array_equal(tr.predict(data.x_test), pred)


@pytest.mark.parametrize("field,value", [("tie", "plus"), ("warmup_in_budget", False), ("supervision_delay", 0),
                                         ("label_encoding", "onehot"), ("gate_threshold", "kappa"),
                                         ("eta_units", "fan-in")])
def test_each_protocol_field_matters(field, value):
    """Mutation check: the code protocol with one field set to the text reading
    no longer equals the transcription (J_D = 0.5, full scheme; the tie rule
    matters only where fields are exactly 0: the chain)."""
    worst, *_ = run_both(0.5, dataclasses.replace(config(), **{field: value}), "chain" if field == "tie" else "core")
    assert worst > 1e-9, field


def test_evaluation_at_the_start_of_each_epoch():
    """evaluate="start": each row holds the accuracy before that epoch's training
    (row 1: the untrained network), as the code's train_loop logs it."""
    data = task()
    fresh = Trainer(network(0.5), config(epochs=2))
    before = fresh.accuracy(data.x_test, data.y_test)
    hist = Trainer(network(0.5), config(epochs=2)).fit(data, validation=(data.x_test, data.y_test))
    assert hist[0]["val_accuracy"] == before
    end = Trainer(network(0.5), config(epochs=2, evaluate="end")).fit(data, validation=(data.x_test, data.y_test))
    assert hist[1]["val_accuracy"] == end[0]["val_accuracy"]
    assert hist[1]["best_val_accuracy"] == max(r["val_accuracy"] for r in hist)
    assert hist[1]["end_val_accuracy"] == end[1]["val_accuracy"]  # the last row also holds the trained model's
    assert "end_val_accuracy" not in hist[0]
