"""Projection identity: names from the declaration to the IR, and the rule with
its own eta, kappa and decay per projection, checked against the hand
computation of Eqs. 84 and 89 (tests/test_learning.py) applied block by block."""
import dataclasses

import numpy as np
import pytest

import neurosim as ns
from neurosim import topologies
from neurosim.learning import Trainer, TrainConfig, rules

from test_learning import hand_update, tiny


def two_rules(cn, rule, own):
    """The expected J after one update: each learnable projection p by
    hand_update on its own pattern with its own (eta, kappa, decay)."""
    def expected(J, s, h):
        out = np.zeros_like(J)
        for name, _, _, learnable, _ in cn.projections():
            if learnable:
                A = cn.projection_matrix(name).toarray() != 0
                eta, kappa, decay = own.get(name, (rule.eta, rule.kappa, rule.decay))
                out += hand_update(J * A, A, s, h, kappa, eta, rule.variant, rule.gamma, decay)
        return out
    return expected


@pytest.mark.parametrize("layout", ["csc", "dense"])
@pytest.mark.parametrize("variant,gamma", [("asym", None), ("sym1", None), ("sym2", None), ("asym", 2.0)])
def test_each_projection_learns_with_its_own_eta_kappa_and_decay(layout, variant, gamma):
    cn, J = tiny()
    cn = ns.CompiledNetwork(**{k: getattr(cn, k) for k in cn.ARRAYS + cn.SCALARS}, layouts={"j": layout, "k": "csc"})
    assert cn.j.layout == layout
    s = np.array([[1, -1, 1, 1], [-1, -1, 1, -1], [1, 1, -1, 1]], dtype=np.int8)
    h = ns.local_fields(cn, s, cn.field(x=np.array([[1.0, -1.0], [0.5, 2.0], [-1.0, 0.0]])))
    own = {"b<-a": (0.05, -0.3, 0.5), "a<-b": (0.0, 0.4, 0.0)}
    rule = rules.MarginRule(0.4, 0.1, decay=0.2, gamma=gamma, variant=variant,
                            projections=tuple((k, *v) for k, v in own.items()))
    expected = two_rules(cn, rule, own)(J, s.astype(float), h)
    rule.apply(cn, s, h)
    np.testing.assert_allclose(cn.learnable().toarray(), expected, atol=1e-15)
    assert np.array_equal(cn.projection_matrix("a<-b").toarray(), J * (cn.projection_matrix("a<-b").toarray() != 0))
    np.testing.assert_array_equal(cn.k_data, [0.3, 0.3])


def test_the_margin_of_a_projection_moves_with_j_d_under_the_code_threshold():
    cn, J = tiny()
    s = np.array([[1, -1, 1, 1], [-1, 1, 1, -1]], dtype=np.int8)
    h = np.array([[0.2, 0.9, -0.1, 0.4], [0.7, 0.3, 0.6, -0.8]])
    rule = rules.MarginRule(0.1, 0.2, threshold="kappa+jd", projections=(("a<-a", 0.2, 0.25, 0.0),))
    A = cn.projection_matrix("a<-a").toarray() != 0
    rule.apply(cn, s, h)
    unshifted = h - cn.j_d * s                   # s h - J_D = s (h - J_D s): the gate at kappa + J_D
    expected = hand_update(J * ~A, (J != 0) & ~A, s.astype(float), unshifted, 0.1, 0.2)
    expected += hand_update(J * A, A, s.astype(float), unshifted, 0.25, 0.2)
    np.testing.assert_allclose(cn.learnable().toarray(), expected, atol=1e-15)


def test_naming_every_projection_with_the_default_values_changes_no_bit():
    """The per-projection kernel is the Eq. 89 kernel: with each projection given
    the rule's own values, training gives the same bits."""
    net = topologies.chain(2, 30, rho=0.3, j_d=0.3, lam=0.5, seed=4, input_dim=8, n_classes=3)
    cn = ns.compile(net)
    data = ns.datasets.synthetic.prototypes(n_classes=3, dim=8, n_train=48, n_test=8, seed=1)
    base = TrainConfig(epochs=2, batch_size=8, eta_j=0.02, decay_j=0.1, kappa_j=0.5, eval_samples=0)
    named = dataclasses.replace(base, projections={name: {"eta": 0.02, "kappa": 0.5, "decay": 0.1}
                                                   for name, _, _, lrn, _ in cn.projections() if lrn})
    a, b = Trainer(cn.copy(), base), Trainer(cn.copy(), named)
    a.fit(data)
    b.fit(data)
    assert np.array_equal(a.cn.j_data, b.cn.j_data) and a.history == b.history
    assert not np.array_equal(a.cn.j_data, cn.j_data)


def test_a_projection_at_eta_zero_stays_frozen_while_the_others_learn():
    net = topologies.chain(2, 30, rho=0.3, j_d=0.3, lam=0.5, seed=4, input_dim=8, n_classes=3)
    cn = ns.compile(net)
    data = ns.datasets.synthetic.prototypes(n_classes=3, dim=8, n_train=48, n_test=8, seed=1)
    frozen = "layer1<-layer1"
    tr = Trainer(cn.copy(), TrainConfig(epochs=1, batch_size=8, eta_j=0.05, projections={frozen: {"eta": 0.0}}))
    tr.fit(data)
    mine = cn.j_proj == cn.projection_index(frozen)
    assert mine.any() and (~mine).any()
    assert np.array_equal(tr.cn.j_data[mine], cn.j_data[mine])
    assert not np.array_equal(tr.cn.j_data[~mine], cn.j_data[~mine])


def test_projection_rules_are_checked_by_name():
    cn = ns.compile(topologies.chain(2, 10, rho=0.5, lam=0.5, seed=0, input_dim=3, n_classes=2))
    with pytest.raises(ValueError, match="projection 'nope' is not in this network.*layer0<-layer0"):
        Trainer(cn, TrainConfig(projections={"nope": {"eta": 0.1}}))
    with pytest.raises(ValueError, match="'layer1<-layer0:fixed' is a fixed projection"):
        Trainer(cn, TrainConfig(projections={"layer1<-layer0:fixed": {"eta": 0.1}}))
    with pytest.raises(ValueError, match=r"unknown key 'rate'"):
        TrainConfig(projections={"layer0<-layer0": {"rate": 0.1}}).validated()
    with pytest.raises(ValueError, match=r"projections\['layer0<-layer0'\]\['eta'\]"):
        TrainConfig(projections={"layer0<-layer0": {"eta": -1.0}}).validated()
    with pytest.raises(ValueError, match="must be a dict"):
        TrainConfig(projections=[("layer0<-layer0", 0.1)]).validated()


def test_backends_that_run_one_rule_refuse_per_projection_values():
    rule = rules.MarginRule(0.4, 0.1, projections=(("a<-a", 0.2, 0.4, 0.0),))
    with pytest.raises(ValueError, match="Brian2 trainer runs one eta"):
        rule.brian2_code("m")
    with pytest.raises(ValueError, match="one rate and margin for every projection"):
        rule.lava_rule()


def test_projection_names_are_declared_or_defaulted():
    net = ns.Network(seed=0)
    net.add_population("a", 5)
    net.add_population("b", 5)
    net.connect("a", "a", rho=0.5, name="local")
    net.connect("a", "a", pattern=np.zeros((5, 5)))     # an empty second projection of a onto a
    net.connect("b", "a", rho=0.5)
    net.couple_chain("a", "b", 0.5, 0.5)
    assert [p.name for p in net.projections] == ["local", "a<-a", "b<-a", "b<-a:fixed", "a<-b:fixed"]
    with pytest.raises(ValueError, match="projection 'local' is declared twice"):
        net.connect("b", "b", rho=0.5, name="local")
    cn = ns.compile(net)
    assert cn.proj_names == ("local", "a<-a", "b<-a", "b<-a:fixed", "a<-b:fixed")
    assert [(n, l, k) for n, _, _, l, k in cn.projections()][:2] == [("local", True, cn.projection_matrix("local").nnz),
                                                                    ("a<-a", True, 0)]
    total = sum(cn.projection_matrix(n) for n, *_, l, _ in cn.projections() if l)
    assert (total != cn.learnable()).nnz == 0


def test_train_cli_takes_projection_rules_and_keeps_them_in_the_checkpoint(tmp_path, capsys):
    from neurosim.cli import main
    from neurosim.learning.checkpoint import load_checkpoint
    out = tmp_path / "run.h5"
    flags = ["train", "--topology", "chain", "--layers", "2", "--n", "20", "--dataset", "prototypes",
             "--train-size", "64", "--val-size", "16", "--batch-size", "8", "--seed", "2", "--out", str(out),
             "--no-progress", "--projection", "layer1<-layer1:eta=0", "--projection", "layer0<-layer0:kappa=0.5"]
    assert main(flags + ["--epochs", "1"]) == 0
    trainer, info = load_checkpoint(out)
    assert trainer.config.projections == {"layer1<-layer1": {"eta": 0.0}, "layer0<-layer0": {"kappa": 0.5}}
    start = ns.compile(topologies.chain(2, 20, **{k: info["args"][k] for k in ("rho", "j_d", "lam")}, seed=2,
                                        input_dim=trainer.cn.input_dim, n_classes=trainer.cn.n_classes))
    frozen = trainer.cn.j_proj == trainer.cn.projection_index("layer1<-layer1")
    assert np.array_equal(trainer.cn.j_data[frozen], start.j_data[frozen])
    assert not np.array_equal(trainer.cn.j_data[~frozen], start.j_data[~frozen])
    assert main(flags + ["--epochs", "2", "--resume"]) == 0
    assert load_checkpoint(out)[0].epoch == 2
    capsys.readouterr()
    other = [f if f != "layer1<-layer1:eta=0" else "layer1<-layer1:eta=0.1" for f in flags]
    assert main(other + ["--epochs", "3", "--resume"]) == 2
    assert "--projection" in capsys.readouterr().err


def test_projection_names_survive_files_and_graphs(tmp_path):
    from neurosim.graph import network_from_networkx, network_to_networkx
    net = ns.Network(seed=3)
    net.add_population("a", 6)
    net.connect("a", "a", pattern=np.eye(6, k=1) + np.eye(6, k=-1), name="near")
    net.connect("a", "a", pattern=np.eye(6, k=3) + np.eye(6, k=-3), name="far")
    cn = ns.compile(net)
    assert cn.proj_names == ("near", "far") and cn.projections()[1][4] == 6
    ns.save(net, tmp_path / "net.h5")
    ns.save(cn, tmp_path / "cn.h5")
    assert [p.name for p in ns.load(tmp_path / "net.h5").projections] == ["near", "far"]
    back = ns.load(tmp_path / "cn.h5")
    assert back.content_hash() == cn.content_hash() and np.array_equal(back.j_proj, cn.j_proj)
    assert ns.compile(network_from_networkx(network_to_networkx(net))).content_hash() == cn.content_hash()


def test_a_projection_that_learns_keeps_the_first_stage_of_a_softmax_readout():
    """eta_j = 0 but one projection with its own rate: the J stage is not skipped."""
    from test_learning import prototype_net, prototype_task
    cn = prototype_net()
    j = cn.j_data.copy()
    cfg = TrainConfig(epochs=2, readout="softmax", eta_j=0.0, eta_in=0.0, projections={"core<-core": {"eta": 0.01}})
    hist = Trainer(cn, cfg).fit(prototype_task())
    assert "q_dyn" in hist[0] and not np.array_equal(cn.j_data, j)
