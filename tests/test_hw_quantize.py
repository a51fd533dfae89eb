"""neurosim.hw without Lava: hardware profile, quantisation (error bounds,
saturation, exponents, purity, the integer network the numba engine runs), the
resource estimate and the ``hw estimate`` command."""
import dataclasses
import json

import numpy as np
import pytest

import neurosim as ns
from neurosim import topologies
from neurosim.hw import LOIHI2, estimate, get_profile, quantize
from neurosim.hw.profiles import LOIHI2_SOURCES, Profile
from conftest import TOPOLOGY_CASES


def two_groups(J, K, j_d=0.0):
    """Learnable J on population a -> a and fixed K on a -> b (b mirrors a)."""
    n = J.shape[0]
    net = ns.Network(seed=0)
    net.add_population("a", n, j_d=j_d)
    net.add_population("b", n, j_d=j_d)
    net.connect("a", "a", pattern=np.asarray(J, float))
    net.connect("b", "a", pattern=np.asarray(K, float), learnable=False)
    return ns.compile(net)


# ----------------------------------------------------------------------- profile
def test_profile_numbers_and_sources():
    p = get_profile("loihi2")
    assert p is LOIHI2 and isinstance(p, Profile)
    assert (p.weight_mant_bits, p.weight_min, p.weight_max, p.weight_lsb) == (8, -256, 254, 2)
    assert p.weight_range() == (-254, 254) and p.weight_range(symmetric=False) == (-256, 254)
    assert (p.state_bits, p.learn_weight_bits, p.trace_bits) == (24, 9, 7)
    assert (p.neurons_per_core, p.cores_per_chip) == (8192, 128)
    assert p.synapse_mem_bytes_per_core > 0 and p.synapses_per_chip == 120_000_000
    for f in dataclasses.fields(p):
        assert f.name in LOIHI2_SOURCES, f"no source for {f.name}"
    assert set(p.soft) <= {f.name for f in dataclasses.fields(p)}
    assert "neurons_per_core" in p.soft and "weight_mant_bits" not in p.soft
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.state_bits = 32
    with pytest.raises(ValueError, match="unknown hardware profile 'loihi9'"):
        get_profile("loihi9")
    json.dumps(p.as_dict())


# ------------------------------------------------------------------ quantisation
def test_hand_made_weights_scale_errors_and_saturation():
    J = np.array([[0.0, 0.5, -0.25],
                  [0.1, 0.0, 0.3],
                  [-0.5, 0.001, 0.0]])
    cn = ns.compile(_one_pop(J, j_d=0.3))
    h0 = cn.content_hash()
    qn = quantize(cn)
    assert cn.content_hash() == h0                       # pure: the input is untouched
    S = 254 / 0.5
    assert qn.scale == pytest.approx(S) and qn.weight_exp == {"p<-p": 0}
    Jq = qn.network.learnable().toarray()
    A = J != 0
    assert np.all(Jq[~A] == 0)
    expect = 2 * np.round(J * S / 2)
    assert np.array_equal(Jq[A], expect[A])
    assert np.all(Jq % 2 == 0) and np.abs(Jq).max() == 254
    g = qn.report.groups["p<-p"]
    err = np.abs(J[A] - Jq[A] / S)
    assert g.max_abs_error == pytest.approx(err.max()) and g.mean_abs_error == pytest.approx(err.mean())
    assert g.step == pytest.approx(2 / S) and g.bound == pytest.approx(1 / S) and g.max_abs_error <= g.bound
    assert g.bits_lost == 1 and g.saturated == 0 and g.count == 6
    assert g.zeroed == 1                                  # 0.001 * 508 rounds to 0
    assert qn.network.j_d[0] == np.round(0.3 * S) and qn.report.groups["J_D"].max_abs_error <= 0.5 / S
    # a scale twice too large saturates exactly the weights beyond the range
    q2 = quantize(cn, scale=2 * S)
    assert q2.weight_exp["p<-p"] == 1                     # e grows instead: nothing saturates
    assert q2.report.groups["p<-p"].saturated == 0
    tight = dataclasses.replace(LOIHI2, weight_exp_max=0)
    q3 = quantize(cn, profile=tight, scale=2 * S)
    sat = np.abs(np.round(J[A] * 2 * S / 2)) > 127
    assert q3.report.groups["p<-p"].saturated == int(sat.sum()) == 3   # 0.5, -0.5 and 0.3
    assert q3.report.saturated == 3
    assert np.abs(q3.network.learnable().toarray()).max() == 254
    ok = ~sat
    e3 = np.abs(J[A] - q3.network.learnable().toarray()[A] / (2 * S))
    bound = q3.report.groups["p<-p"].bound
    assert np.all(e3[ok] <= bound + 1e-15) and np.all(e3[sat] > bound)


def _one_pop(J, j_d=0.0):
    net = ns.Network(seed=0)
    net.add_population("p", J.shape[0], j_d=j_d)
    net.connect("p", "p", pattern=np.asarray(J, float))
    return net


def test_per_connection_exponent_when_fixed_couplings_are_larger():
    J = np.array([[0, 0.25], [-0.25, 0]])
    K = np.array([[1.0, 0], [0, -0.75]])
    cn = two_groups(J, K, j_d=0.1)
    qn = quantize(cn)
    assert qn.weight_exp == {"a<-a": 0, "b<-a:fixed": 2}    # 1.0 * 1016 needs 2^2 x 254
    Kq = qn.network.fixed().data
    assert np.all(Kq % (2 * 4) == 0)
    g = qn.report.groups["b<-a:fixed"]
    assert g.weight_exp == 2 and g.bits_lost == 3 and g.max_abs_error <= g.bound
    assert g.step == pytest.approx(8 / qn.scale)


def test_each_projection_keeps_its_own_exponent():
    """Two learnable projections an order of magnitude apart: at a scale that
    pushes the strong one past the 8-bit mantissa, only its exponent grows; the
    weak one keeps its full resolution (one exponent per Lava connection)."""
    net = ns.Network(seed=0)
    net.add_population("a", 3)
    net.add_population("b", 3)
    weak = np.array([[0, 0.1, -0.05], [0.02, 0, 0.1], [-0.1, 0.03, 0]])
    net.connect("a", "a", pattern=weak)
    net.connect("a", "b", pattern=10 * np.eye(3), name="strong")
    cn = ns.compile(net)
    qn = quantize(cn, scale=254 / 1.0)             # |10 S| needs 2^4 x 254 > 2540 > 2^3 x 254
    assert qn.weight_exp == {"a<-a": 0, "strong": 4}
    weak_g, strong_g = qn.report.groups["a<-a"], qn.report.groups["strong"]
    assert strong_g.step == 16 * weak_g.step and weak_g.max_abs_error <= weak_g.bound
    Jq = qn.network.learnable().toarray()
    assert np.array_equal(Jq[:3, :3], 2 * np.round(weak * 254 / 2))
    assert np.all(Jq[:3, 3:][np.eye(3) > 0] == 2540 // 32 * 32)   # a multiple of 2 * 2^4
    held = quantize(cn, scale=254 / 1.0, weight_exp={"strong": 2})  # set, not chosen: 4 x 254 = 1016 saturates
    assert held.weight_exp == {"a<-a": 0, "strong": 2} and held.report.groups["strong"].saturated == 3
    with pytest.raises(ValueError, match="projection 'weak' is not in this network"):
        quantize(cn, weight_exp={"weak": 0})
    with pytest.raises(ValueError, match=r"weight_exp\['strong'\] must be an integer in 0..7"):
        quantize(cn, weight_exp={"strong": 9})


def test_field_kappa_eta_and_dequantize():
    cn = ns.compile(TOPOLOGY_CASES["chain"]())
    x = np.random.default_rng(0).choice([-1.0, 1.0], (3, cn.input_dim))
    b = cn.field(x=x)
    qn = quantize(cn, field=b)
    S = qn.scale
    qb = qn.quantize_field(b)
    assert np.array_equal(qb, np.round(b * S)) and np.array_equal(qn.field(x=x), qb)
    gb = qn.report.groups["bias"]
    assert gb.count == b.size and gb.max_abs_error <= 0.5 / S + 1e-12
    assert qn.quantize_kappa(0.7) == np.floor(0.7 * S) and qn.quantize_eta(0.01) == max(1, round(0.01 * S))
    back = qn.dequantize()
    bound = max(qn.report.groups[name].bound for name, *_, learnable, _ in cn.projections() if learnable)
    assert np.allclose(back.learnable().toarray(), cn.learnable().toarray(), atol=bound + 1e-12)
    assert json.loads(qn.network.meta)["hw_quantized"]["scale"] == pytest.approx(S)


def test_state_saturation_is_reported():
    cn = ns.compile(_one_pop(np.array([[0, 1.0], [1.0, 0]])))
    qn = quantize(cn, field=np.array([[1e9, -3.0]]))
    g = qn.report.groups["bias"]
    assert g.saturated == 1 and qn.quantize_field([[1e9, 0]])[0, 0] == LOIHI2.state_max()
    assert qn.report.state_max >= LOIHI2.state_max()


def test_fixed_points_kept_and_integer_network_runs_in_numba():
    cn = ns.compile(TOPOLOGY_CASES["core"]())
    rng = np.random.default_rng(3)
    b = rng.normal(0, 0.5, (8, cn.n))
    res = ns.relax(cn, s0=rng.choice([-1, 1], (8, cn.n)), field=b, max_steps=100)
    fp = res.states[res.converged]
    assert fp.shape[0] >= 4
    qn = quantize(cn, field=b[res.converged], fixed_points=fp)
    r = qn.report
    assert r.fixed_points == fp.shape[0] and 0 <= r.fixed_points_kept <= r.fixed_points and r.states_not_fixed == 0
    # states that are not fixed points of the real network are left out of the fraction
    other = quantize(cn, field=b[:2], fixed_points=-res.states[res.converged][:2]).report
    assert other.states_not_fixed == 2 and other.fixed_points == 0 and other.fraction_fixed_kept is None
    kept = ns.is_fixed_point(qn.network, fp, field=qn.quantize_field(b[res.converged]))
    assert r.fixed_points_kept == int(kept.sum()) and r.fraction_fixed_kept == pytest.approx(kept.mean())
    assert r.fraction_fixed_kept >= 0.5
    # the numba engine runs the integer network directly; integer fields stay integers
    q = ns.relax(qn.network, s0=fp, field=qn.quantize_field(b[res.converged]), max_steps=50)
    h = ns.local_fields(qn.network, q.states, qn.quantize_field(b[res.converged]))
    assert np.all(h == np.round(h))
    assert "fixed points kept" in r.table() and json.dumps(r.as_dict())


def test_quantize_rejects_bad_input():
    with pytest.raises(TypeError, match="CompiledNetwork"):
        quantize(np.zeros((3, 3)))
    cn = ns.compile(TOPOLOGY_CASES["core"]())
    with pytest.raises(ValueError, match="scale"):
        quantize(cn, scale=-1.0)
    with pytest.raises(ValueError, match="field"):
        quantize(cn, field=np.zeros((1, 3)))


# ---------------------------------------------------------------------- estimate
def test_estimate_counts_and_packing():
    J = np.array([[0, 1, 1], [1, 0, 0], [0, 1, 0]], float)
    K = np.eye(3)
    cn = two_groups(J, K)
    e = estimate(cn, wire="graded", input_on_chip=False)
    assert e.neurons == 6 and e.synapses == {"learnable": 4, "fixed": 3, "input": 0, "total": 7}
    assert e.synapses_stored == 7 and e.max_fan_in == 2 and e.cores == 1 and e.chips == 1
    assert e.synapse_memory_bytes == pytest.approx(7 * LOIHI2.synapse_bytes())
    d = estimate(cn, wire="dual", input_on_chip=False)
    assert d.synapses_stored == 14 and d.max_fan_in_stored == 4
    # a tiny profile: 2 neurons per core, memory for 2.5 stored synapses per core
    tiny = dataclasses.replace(LOIHI2, name="tiny", neurons_per_core=2, cores_per_chip=2,
                               synapse_mem_bytes_per_core=2.5 * LOIHI2.synapse_bytes())
    t = estimate(cn, profile=tiny, wire="graded", input_on_chip=False)
    # fan-in per neuron: a: 2, 1, 1; b: 1, 1, 1 -> cores [2 | 1 1 | 1 1 | 1] by memory and count
    assert t.cores == 4 and t.cores_by_neurons == 3 and t.chips == 2
    assert any("2 chips" in p for p in t.does_not_fit)
    small = dataclasses.replace(tiny, synapse_mem_bytes_per_core=1.5 * LOIHI2.synapse_bytes(), max_fan_in=1)
    s = estimate(cn, profile=small, wire="graded", input_on_chip=False)
    assert any("more incoming synapses than one core" in p for p in s.does_not_fit)
    assert any("max fan-in 2 > 1" in p for p in s.does_not_fit)
    assert "does not fit" in s.table() and json.dumps(s.as_dict())


def test_estimate_table_vi_network():
    cn = ns.compile(topologies.core(1600, rho=0.01, j_d=0.5, seed=0, input_dim=100, rho_in=0.1, n_classes=10))
    e = estimate(cn)
    assert e.neurons_recurrent == 1600 and e.neurons_input == 100
    assert e.synapses["learnable"] == cn.learnable().nnz
    assert e.synapses["input"] == int(((cn.w_in != 0) | cn.w_in_mask).sum())
    assert e.synapses_stored == 2 * e.synapses["total"] and e.chips == 1 and e.does_not_fit == []
    assert e.cores >= e.cores_by_memory >= 1


# ---------------------------------------------------------------------- command
def _parser():
    from neurosim.cli.common import Parser
    from neurosim.cli.hw import register
    parser = Parser(prog="neurosim")
    register(parser.add_subparsers(dest="command"))
    return parser


@pytest.mark.parametrize("kind", ["compiled", "network", "dict"])
def test_cli_hw_estimate(tmp_path, capsys, kind):
    net = TOPOLOGY_CASES["chain"]()
    obj = {"compiled": ns.compile(net), "network": net, "dict": {"network": ns.compile(net), "x": np.zeros(3)}}[kind]
    path = tmp_path / "net.h5"
    ns.save(obj, path)
    args = _parser().parse_args(["hw", "estimate", str(path), "--profile", "loihi2", "--json"])
    assert args.func(args) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["neurons_recurrent"] == 60 and out["profile"] == "loihi2" and out["chips"] == 1
    args = _parser().parse_args(["hw", "estimate", str(path)])
    assert args.func(args) == 0 and "cores" in capsys.readouterr().out


def test_cli_rejects_a_file_without_network(tmp_path):
    path = tmp_path / "x.h5"
    ns.save({"result": np.zeros(3)}, path)
    args = _parser().parse_args(["hw", "estimate", str(path)])
    with pytest.raises(ValueError, match="without a 'network' item"):
        args.func(args)
