"""Algorithm 1: the rules against hand-computed updates, a synthetic task learned,
baselines, checkpoint resume, and the train CLI interface."""
import json

import numpy as np
import pytest

import neurosim as ns
from neurosim import datasets, topologies
from neurosim.cli import main
from neurosim.learning import Trainer, TrainConfig, random_features, reservoir, rules
from neurosim.learning.checkpoint import load_checkpoint, save_checkpoint


def tiny():
    """Four neurons, two populations, partial masks and one frozen coupling."""
    net = ns.Network(seed=0, lam_x=1.0)
    net.add_population("a", 2, j_d=0.5, a_in=[1, 0])
    net.add_population("b", 2, j_d=0.0, a_out=[0, 1])
    J = np.array([[0, 0.5, 0.25, 0], [-0.5, 0, 0, 0.75], [1.0, 0, 0, -0.25], [0, 0, 0.5, 0]])
    big = np.zeros((4, 4))
    big[:] = J
    net.connect("a", "a", pattern=J[:2, :2])
    net.connect("a", "b", pattern=J[:2, 2:])
    net.connect("b", "a", pattern=J[2:, :2])
    net.connect("b", "b", pattern=J[2:, 2:])
    net.couple_chain("a", "b", 0.3, 0.0)
    net.set_input(2, weights=np.array([[1.0, -0.5], [0.5, 0.5], [0.0, 1.0], [2.0, 0.0]]))
    net.set_output(2, weights=np.array([[0.1, 0.2, 0.3, 0.4], [-0.1, 0.0, 0.2, -0.3]]))
    return ns.compile(net), J


def hand_update(J, A, s, h, kappa, eta, variant="asym", gamma=None, decay=0.0):
    B, n = s.shape
    m = s * h
    g = (m <= kappa).astype(float) if gamma is None else 0.5 - 0.5 * np.tanh(gamma * (m - kappa))
    dJ = np.zeros((n, n))
    for mu in range(B):
        for i in range(n):
            for j in range(n):
                if not A[i, j]:
                    continue
                if variant == "asym":
                    dJ[i, j] += eta * s[mu, i] * s[mu, j] * g[mu, i]
                elif variant == "sym1":
                    dJ[i, j] += eta * s[mu, i] * s[mu, j] * g[mu, i] * g[mu, j]
                else:
                    dJ[i, j] += eta * s[mu, i] * s[mu, j] * (g[mu, i] + g[mu, j]) / 2
    return J * (1 - eta * decay) * A + dJ / B


@pytest.mark.parametrize("variant,gamma,decay", [("asym", None, 0.0), ("asym", None, 0.1), ("sym1", None, 0.0),
                                                  ("sym2", None, 0.0), ("asym", 2.0, 0.0)])
def test_coupling_rule_matches_hand_computation(variant, gamma, decay):
    cn, J = tiny()
    s = np.array([[1, -1, 1, 1], [-1, -1, 1, -1], [1, 1, -1, 1]], dtype=np.int8)
    x = np.array([[1.0, -1.0], [0.5, 2.0], [-1.0, 0.0]])
    b = cn.field(x=x)
    h = ns.local_fields(cn, s, b)
    np.testing.assert_allclose(h, s @ cn.coupling_matrix().T + b)  # includes J_D and K, no W_back
    g = rules.margin_gate(s, h, 0.4, gamma)
    assert 0 < g.mean() < 1
    rules.coupling_update(cn, s, g, 0.1, decay, variant)
    expected = hand_update(J, J != 0, s.astype(float), h, 0.4, 0.1, variant, gamma, decay)
    np.testing.assert_allclose(cn.learnable().toarray(), expected, atol=1e-15)
    np.testing.assert_array_equal(cn.k_data, [0.3, 0.3])          # chain couplings never learn
    np.testing.assert_array_equal(cn.j_d, [0.5, 0.5, 0.0, 0.0])   # nor does J_D


def test_input_and_readout_rules_match_hand_computation():
    cn, _ = tiny()
    s = np.array([[1, -1, 1, 1], [-1, 1, 1, -1]], dtype=np.int8)
    x = np.array([[1.0, -1.0], [0.5, 2.0]])
    y = np.array([[1.0, -1.0], [-1.0, 1.0]])
    h = ns.local_fields(cn, s, cn.field(x=x))
    g = rules.margin_gate(s, h, 1.0)
    w_in, w_out = cn.w_in.copy(), cn.w_out.copy()
    rules.input_update(cn, s, g, x, 0.2)
    on = (w_in != 0) & np.array([1, 0, 1, 1], bool)[:, None] & cn.a_in[:, None]
    expected = w_in + 0.2 / 2 * ((g * s).T @ x) * on
    np.testing.assert_allclose(cn.w_in, expected, atol=1e-15)
    assert cn.w_in[1].tolist() == w_in[1].tolist()  # a_in = 0 row untouched
    logits = (s * cn.a_out) @ w_out.T
    rules.ReadoutRule(kappa=0.1, eta=0.5).apply(cn, s, y)
    gate = (y * logits <= 0.1)
    dW = sum(0.5 / 2 * np.outer(y[m] * gate[m], s[m] * cn.a_out) for m in range(2))
    np.testing.assert_allclose(cn.w_out, w_out + dW, atol=1e-15)
    assert (cn.w_out[:, ~cn.a_out] == w_out[:, ~cn.a_out]).all()


def prototype_task():
    return datasets.prototypes(n_classes=4, dim=40, n_train=400, n_test=200, flip=0.2, seed=1)


def prototype_net(seed=0):
    return ns.compile(topologies.core(150, rho=0.1, j_d=0.5, seed=seed, input_dim=40, n_classes=4,
                                      lam_x=2.0, lam_y=0.9))


def test_margin_rule_apply_is_the_rules_one_by_one():
    """MarginRule.apply = margin_gate, coupling_update, input_update, back_update
    with the gate of J shifted by J_D under threshold "kappa+jd"."""
    cn = ns.compile(topologies.core(6, rho=1.0, j_d=0.5, seed=0, input_dim=3, n_classes=2, lam_x=1.0, rho_in=1.0))
    rng = np.random.default_rng(3)
    s = rng.choice([-1, 1], size=(3, 6)).astype(np.int8)
    h, x, y = rng.normal(size=(3, 6)), rng.normal(size=(3, 3)), rng.normal(size=(3, 2))
    rule = rules.MarginRule(0.3, 0.1, decay=0.2, kappa_in=0.8, eta_in=0.05, eta_back=0.02, threshold="kappa+jd")
    a, b = cn.copy(), cn.copy()
    g = rule.apply(a, s, h, x, y)
    g_ref = rules.margin_gate(s, h, 0.3 + cn.j_d)
    rules.coupling_update(b, s, g_ref, 0.1, 0.2)
    rules.input_update(b, s, rules.margin_gate(s, h, 0.8 + cn.j_d), x, 0.05)
    rules.back_update(b, s, g_ref, y, 0.02)
    assert np.array_equal(g, g_ref)
    assert np.array_equal(a.j_data, b.j_data) and np.array_equal(a.w_in, b.w_in)
    assert np.array_equal(a.w_back, b.w_back)


def test_margin_rule_forms():
    """The Brian2 statements and the Loihi rules of one MarginRule; on-chip
    learning refuses what the chip does not run."""
    code = rules.MarginRule(1.0, 0.1, gamma=2.0, variant="sym1").brian2_code("m")
    assert code["gates"] == "g = 0.5 - 0.5*tanh(gamma*(m - kj))\ngin = 0.5 - 0.5*tanh(gamma*(m - kin))"
    assert "g_pre*a_pre" in code["j"] and "gin_post*a_post*x_pre" in code["in"]
    fixed = rules.MarginRule(2, 3, eta_in=2.0).lava_rule(fixed=True, lam_x=2.0)
    assert fixed["y1_step"] == fixed["y1_zero"] == 4 and fixed["kappa_in"] == 2
    assert fixed["dw_in"] == "2 * x0 * (y1 - 4) - u0 * (y1 - 4)"
    assert rules.MarginRule(2.0, 3.0, eta_in=2.0).lava_rule()["dw_in"] == "2 * x0 * y1 - u0 * y1"
    with pytest.raises(ValueError, match="hard asym"):
        rules.MarginRule(1.0, 0.1, decay=0.1).lava_rule()


def test_run_epochs_orders_batches_and_stops():
    from neurosim.learning.loop import epoch_order, run_epochs
    seen = []
    ran = run_epochs(lambda e, k, idx: seen.append((e, k, list(idx))) or len(idx), 5, 2, 4, start=1, seed=7,
                     end=lambda e, sizes: e == 2 and sizes == [2, 2, 1])
    assert ran == 2 and [(e, k) for e, k, _ in seen] == [(1, 0), (1, 1), (1, 2), (2, 0), (2, 1), (2, 2)]
    assert sum((i for e, _, i in seen if e == 2), []) == list(epoch_order(7, 2, 5))
    assert run_epochs(lambda e, k, idx: len(idx), 5, None, 3, end=lambda e, sizes: sizes != [5]) == 3


def test_synthetic_task_is_learned():
    data = prototype_task()
    tr = Trainer(prototype_net(), TrainConfig(epochs=4, batch_size=8, kappa_j=1.4))
    before = tr.accuracy(data.x_test, data.y_test)
    hist = tr.fit(data, validation=(data.x_test, data.y_test))
    assert hist[-1]["val_accuracy"] >= 0.95 > before
    assert hist[-1]["q_dyn"] > 0.9


def test_reservoir_changes_no_internal_weight():
    data = prototype_task()
    cn = prototype_net()
    j, w_in = cn.j_data.copy(), cn.w_in.copy()
    for cfg in (reservoir(TrainConfig(epochs=1)), random_features(TrainConfig(epochs=1))):
        Trainer(cn, cfg).fit(data)
        np.testing.assert_array_equal(cn.j_data, j)
        np.testing.assert_array_equal(cn.w_in, w_in)
    assert random_features(TrainConfig()).max_steps == 1


def test_frozen_first_stage_skips_its_relaxations():
    """A reservoir with the softmax readout learns nothing in the first stage: those
    epochs run no batch (no relaxation statistics), the readout still learns."""
    data = prototype_task()
    cn = prototype_net()
    j, w_out = cn.j_data.copy(), cn.w_out.copy()
    tr = Trainer(cn, reservoir(TrainConfig(epochs=4, readout="softmax", eta_out=0.05)))
    hist = tr.fit(data)
    assert "q_dyn" not in hist[0] and "q_dyn" not in hist[1]
    np.testing.assert_array_equal(cn.j_data, j)
    assert not np.array_equal(cn.w_out, w_out) and hist[-1]["train_accuracy"] > 0.8


def test_random_features_are_one_step_from_neutral():
    data = prototype_task()
    cn = prototype_net()
    tr = Trainer(cn, random_features(TrainConfig()))
    s = tr.infer(data.x_test[:10])
    np.testing.assert_array_equal(s, np.where(cn.field(x=data.x_test[:10]) >= 0, 1, -1))


def test_softmax_readout_two_stage():
    data = prototype_task()
    cn = prototype_net()
    tr = Trainer(cn, TrainConfig(epochs=4, batch_size=8, readout="softmax", eta_out=0.05))
    w_out = cn.w_out.copy()
    tr.fit(data, epochs=2)  # first half of 4 epochs: W_out frozen
    np.testing.assert_array_equal(cn.w_out, w_out)
    j = cn.j_data.copy()
    hist = tr.fit(data)     # second half: only the readout moves
    np.testing.assert_array_equal(cn.j_data, j)
    assert hist[-1]["train_accuracy"] >= 0.95


def test_resume_equals_uninterrupted(tmp_path):
    data = prototype_task()
    cfg = TrainConfig(epochs=3, batch_size=16, mode="prob", p=0.7, seed=5)
    full = Trainer(prototype_net(), cfg)
    full.fit(data)
    part = Trainer(prototype_net(), cfg)
    part.fit(data, epochs=1)
    save_checkpoint(part, tmp_path / "ck.h5", {"dataset": "prototypes"})
    resumed, info = load_checkpoint(tmp_path / "ck.h5")
    resumed.fit(data)
    assert info == {"dataset": "prototypes"}
    np.testing.assert_array_equal(resumed.cn.j_data, full.cn.j_data)
    np.testing.assert_array_equal(resumed.cn.w_out, full.cn.w_out)
    assert resumed.history == full.history


def test_approximate_scheme_uses_supervised_state():
    data = prototype_task()
    tr = Trainer(prototype_net(), TrainConfig(approximate=True))
    stats = tr.train_batch(data.x_train[:8], np.eye(4)[data.y_train[:8]], data.targets()[:8])
    assert stats["q_dyn"] == 1.0


def test_scaled_rates_are_relative_to_the_fan_in_or_width():
    """eta_units fan-in: eta sqrt(B / k) per map, k its mean fan-in (a fully
    connected core: N - 1 couplings per neuron; W_in: rho_in D weights per row on
    average); width: k = N (the population), D, the a_out count, C."""
    cn = ns.compile(topologies.core(64, rho=1.0, j_d=0.5, seed=0, input_dim=40, rho_in=0.25, n_classes=4))
    cfg = TrainConfig(eta_j=0.01, eta_in=0.02, eta_out=0.03, eta_back=0.04)
    assert Trainer(cn, cfg).rates(16) == {"j": 0.01, "in": 0.02, "out": 0.03, "back": 0.04}
    tr = Trainer(cn, TrainConfig(eta_j=0.01, eta_in=0.02, eta_out=0.03, eta_back=0.04, eta_units="fan-in"))
    r = tr.rates(16)
    k_in = cn.w_in_mask.sum() / 64
    np.testing.assert_allclose([r["j"], r["in"], r["out"], r["back"]],
                               [0.01 * np.sqrt(16 / 63), 0.02 * np.sqrt(16 / k_in), 0.03 * np.sqrt(16 / 64),
                                0.04 * np.sqrt(16 / 4)])
    r = Trainer(cn, TrainConfig(eta_j=0.01, eta_in=0.02, eta_out=0.03, eta_back=0.04, eta_units="width")).rates(16)
    np.testing.assert_allclose([r["j"], r["in"], r["out"], r["back"]],
                               [0.01 * np.sqrt(16 / 64), 0.02 * np.sqrt(16 / 40), 0.03 * np.sqrt(16 / 64),
                                0.04 * np.sqrt(16 / 4)])


def test_bad_config_is_rejected():
    for kw, match in ((dict(eta_j=-1), "eta_j"), (dict(mode="x"), "mode"), (dict(variant="sym3"), "variant"),
                      (dict(batch_size=0), "batch_size"), (dict(p=2.0), "p must")):
        with pytest.raises(ValueError, match=match):
            Trainer(prototype_net(), TrainConfig(**kw))


def test_train_cli_json_interface(tmp_path, capsys):
    out = tmp_path / "run.h5"
    rc = main(["train", "--topology", "core", "--n", "120", "--dataset", "prototypes", "--epochs", "2",
               "--seed", "3", "--j-d", "0.5", "--lam-x", "2", "--lam-y", "0.9", "--eta-j", "0.005",
               "--eta-in", "0.01", "--eta-out", "0.01", "--kappa-j", "1.4", "--kappa-in", "3",
               "--kappa-out", "3", "--batch-size", "8", "--out", str(out), "--json", "--no-progress"])
    assert rc == 0
    last = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert 0.0 <= last["val_accuracy"] <= 1.0 and last["train_accuracy"] > 0.5
    assert last["epochs"] == 2
    assert main(["eval", str(out), "--json"]) == 0
    ev = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert ev["test_accuracy"] == last["val_accuracy"]


def test_binary_mlp_width_and_learning():
    from neurosim.learning.mlp import BinaryMLP, matching_width, mlp_parameters, recurrent_parameters
    assert matching_width(mlp_parameters(784, 109, 10), 784, 10) == 109  # Table I's smallest width
    cn = prototype_net()
    n = recurrent_parameters(cn)
    assert n == cn.j_data.size + (cn.w_in != 0).sum() + 4 * 150
    w = matching_width(n, 40, 4)
    assert abs(mlp_parameters(40, w, 4) - n) <= abs(mlp_parameters(40, w + 1, 4) - n)
    data = prototype_task()
    mlp = BinaryMLP(40, 32, 4, seed=1)
    before = mlp.accuracy(data.x_test, data.y_test)
    mlp.fit(data.x_train, data.y_train, epochs=10, batch_size=32, lr=0.01)
    assert mlp.accuracy(data.x_test, data.y_test) >= 0.9 > before


def test_straight_through_gradient_is_the_gradient_of_the_tanh_surrogate():
    """With c = sgn(tanh z) - tanh z frozen at the current weights, the network
    a = tanh(z) + c has the same forward pass, and its true gradient is the
    straight-through one."""
    from neurosim.learning.mlp import BinaryMLP
    from neurosim.learning.readout import softmax
    mlp = BinaryMLP(5, 4, 3, seed=2)
    x = np.random.default_rng(0).normal(size=(6, 5))
    y = np.array([0, 1, 2, 0, 1, 2])
    W1, b1, W2, b2, W3, b3 = mlp.params
    _, (_, z1, a1, z2, a2) = mlp.forward(x)
    c1, c2 = a1 - np.tanh(z1), a2 - np.tanh(z2)

    def loss(W):
        h1 = np.tanh(x @ W + b1) + c1
        h2 = np.tanh(h1 @ W2 + b2) + c2
        p = softmax(h2 @ W3 + b3)
        return -np.mean(np.log(p[np.arange(6), y]))

    eps = 1e-6
    num = np.zeros_like(W1)
    for i in range(W1.shape[0]):
        for j in range(W1.shape[1]):
            E = np.zeros_like(W1)
            E[i, j] = eps
            num[i, j] = (loss(W1 + E) - loss(W1 - E)) / (2 * eps)
    np.testing.assert_allclose(mlp.gradients(x, y)[0], num, rtol=1e-5, atol=1e-9)


@pytest.mark.parametrize("mode,approximate,warmup", [("sync", False, 1), ("prob", False, 1), ("async", False, 1),
                                                     ("prob", True, 1), ("sync", False, 0), ("prob", False, 0)])
def test_fused_phases_equal_three_relax_calls(mode, approximate, warmup):
    """The fused kernel of Algorithm 1 = warmup, supervised and free ``relax`` calls
    (without warmup the supervised phase takes the step out of the neutral state)."""
    data = prototype_task()
    cn = prototype_net()
    tr = Trainer(cn, TrainConfig(mode=mode, p=0.6, max_steps=7, approximate=approximate, seed=4, warmup=warmup))
    x, y = data.x_train[:12].astype(float), np.eye(4)[data.y_train[:12]]
    s1, s2, h, steps, conv = tr.phases(x, y, key=(3, 5))
    b = cn.field(x=x, lam_x=2.0)
    b_sup = b + cn.field(y=y, lam_y=0.9)
    seed = [tr._seed(3, 5, k) for k in range(3)]
    w = ns.relax(cn, field=b, s0=np.zeros((12, cn.n)), mode=mode, p=0.6, max_steps=warmup, seed=seed[0])
    sup = ns.relax(cn, field=b_sup, s0=w.states, mode=mode, p=0.6, max_steps=7, seed=seed[1])
    free = sup if approximate else ns.relax(cn, field=b, s0=sup.states, mode=mode, p=0.6, max_steps=7, seed=seed[2])
    np.testing.assert_array_equal(s1, sup.states)
    np.testing.assert_array_equal(s2, free.states)
    np.testing.assert_array_equal(steps, np.c_[sup.steps, free.steps])
    np.testing.assert_array_equal(conv, np.c_[sup.converged, free.converged])
    np.testing.assert_allclose(h, ns.local_fields(cn, s2, b), atol=1e-12)


def test_training_never_touches_the_declared_network():
    net = topologies.core(100, rho=0.1, j_d=0.5, seed=0, input_dim=40, n_classes=4, lam_x=2.0, lam_y=0.9)
    before = ns.compile(net).content_hash()
    Trainer(ns.compile(net), TrainConfig(epochs=1)).fit(prototype_task())
    assert ns.compile(net).content_hash() == before


def test_tie_zero_carries_the_input_layer_by_layer():
    """Under tie "zero" a neuron whose field is exactly 0 stays neutral: in a
    3-layer chain (lam = 1, no J inside or between layers) step t reaches layer t,
    so after 3 steps every layer copies sgn(W_in x); tie "plus" instead sets
    layers 2 and 3 to +1 at step 1, and J_D keeps them."""
    n = 6
    net = topologies.chain(3, n, rho=0.0, j_d=2.0, lam=1.0, seed=0, lam_x=1.0)
    net.set_input(n, weights=np.vstack([np.eye(n), np.zeros((2 * n, n))]))
    cn = ns.compile(net)
    x = np.array([[1.0, -1, 1, -1, -1, 1]])
    neutral = Trainer(cn, TrainConfig(tie="zero"))
    b = neutral.free_field(x)
    two = ns.relax(cn, field=b, max_steps=2, tie="zero").states
    np.testing.assert_array_equal(two, [np.concatenate([x[0], x[0], np.zeros(n)])])  # layer 3 not reached
    np.testing.assert_array_equal(neutral.infer(x), [np.tile(x[0], 3)])
    plain = Trainer(cn, TrainConfig()).infer(x)
    np.testing.assert_array_equal(plain, [np.concatenate([x[0], np.ones(2 * n)])])


def test_tie_zero_changes_nothing_where_the_input_reaches_every_neuron():
    """On a core with input on every neuron no field is 0 at step 1, so both tie
    rules give the same phases and inference (sync)."""
    cn = ns.compile(topologies.core(60, rho=0.3, j_d=0.5, seed=1, input_dim=20, rho_in=0.5, n_classes=3,
                                    lam_x=2.0, lam_y=0.9))
    rng = np.random.default_rng(0)
    x, y = rng.choice([-1.0, 1.0], (8, 20)), np.eye(3)[rng.integers(0, 3, 8)]
    for approximate in (False, True):
        a = Trainer(cn, TrainConfig(approximate=approximate))
        b = Trainer(cn, TrainConfig(approximate=approximate, tie="zero"))
        pa, pb = a.phases(x, y, (0, 1)), b.phases(x, y, (0, 1))
        for k in (0, 1, 3, 4):
            np.testing.assert_array_equal(pa[k], pb[k])
        np.testing.assert_allclose(pa[2], pb[2], atol=1e-12)
        np.testing.assert_array_equal(a.infer(x), b.infer(x))
