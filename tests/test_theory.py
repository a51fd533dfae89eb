"""Tests of neurosim.theory: closed forms against brute force, properties stated
in the paper (arXiv 004), the local-entropy numbers (End Matter) and the binary
perceptron capacity (paper 000)."""
import io
import json
import math
from contextlib import redirect_stdout

import numpy as np
import pytest
from scipy import integrate

from neurosim import theory as th
from neurosim.theory import local_entropy as le_mod
from neurosim.cli.common import Parser
from neurosim.cli.theory import register


# ----------------------------------------------------------------------------- H

def test_H_values_and_symmetry():
    assert th.H(0.0) == pytest.approx(0.5, abs=1e-16)
    x = np.linspace(-6, 6, 25)
    np.testing.assert_allclose(th.H(x) + th.H(-x), 1.0, atol=1e-15)
    # H(1) = P(Z > 1) for a standard normal
    assert th.H(1.0) == pytest.approx(0.15865525393145707, rel=1e-14)
    pos, neg = x[x >= 0], x[x < 0]
    np.testing.assert_allclose(th.log_H(pos), np.log(th.H(pos)), rtol=1e-13)
    np.testing.assert_allclose(th.log_H(neg), np.log1p(-th.H(-neg)), rtol=1e-13)


def test_log_H_is_accurate_far_in_the_tail():
    # H underflows past x ~ 38; log H must follow the asymptotic series
    for x in (40.0, 100.0, 1e3):
        series = (-0.5 * x * x - math.log(x * math.sqrt(2 * math.pi))
                  + math.log1p(-1 / x ** 2 + 3 / x ** 4 - 15 / x ** 6 + 105 / x ** 8))
        assert th.log_H(x) == pytest.approx(series, rel=1e-12)
    assert th.log_H(-40.0) == pytest.approx(0.0, abs=1e-300)


# ----------------------------------------------------------------------------- annealed entropy

@pytest.mark.parametrize("layers", [1, 2, 3, 4])
@pytest.mark.parametrize("j_d,lam_l,lam_r", [(0.0, 0.0, 0.0), (0.3, 0.2, 0.9), (1.1, 1.5, 0.4), (0.05, 2.0, 0.0)])
def test_transfer_matrix_matches_brute_force(layers, j_d, lam_l, lam_r):
    tm = th.annealed_entropy(j_d, lam_l, lam_r, layers)
    bf = th.annealed_entropy_brute_force(j_d, lam_l, lam_r, layers)
    assert tm == pytest.approx(bf, rel=1e-12, abs=1e-14)


def test_transfer_matrix_matches_brute_force_deeper_chain():
    for layers in (7, 11):
        assert th.annealed_entropy(0.4, 0.7, 0.2, layers) == pytest.approx(
            th.annealed_entropy_brute_force(0.4, 0.7, 0.2, layers), rel=1e-12)


def test_closed_forms():
    H = th.H
    for j_d in (0.0, 0.3, 1.7):
        expected = math.log(2 * H(-j_d))                                   # L = 1, Eq. 26
        assert th.annealed_entropy(j_d, layers=1) == pytest.approx(expected, rel=1e-13, abs=1e-15)
        assert th.annealed_entropy_l1(j_d) == pytest.approx(expected, rel=1e-13, abs=1e-15)
        for lam in (0.0, 0.5, 1.5):                                         # L = 2, Eq. 3
            eq3 = math.log(2) / 2 + 0.5 * math.log(H(-j_d - lam) ** 2 + H(-j_d + lam) ** 2)
            assert th.annealed_entropy(j_d, lam, lam, 2) == pytest.approx(eq3, rel=1e-13, abs=1e-15)
            assert th.annealed_entropy_l2(j_d, lam) == pytest.approx(eq3, rel=1e-13, abs=1e-15)
    # Eq. 27 with unequal couplings
    eq27 = math.log(2) / 2 + 0.5 * math.log(H(-0.2 - 0.9) * H(-0.2 - 0.3) + H(-0.2 + 0.9) * H(-0.2 + 0.3))
    assert th.annealed_entropy_l2(0.2, 0.3, 0.9) == pytest.approx(eq27, rel=1e-13)
    assert th.annealed_entropy(0.2, 0.3, 0.9, 2) == pytest.approx(eq27, rel=1e-13)


def test_transfer_matrix_is_eq23():
    m = th.transfer_matrix(0.2, 0.5, 0.7)
    h = lambda t1, t2: th.H(-0.2 + t1 * 0.5 + t2 * 0.7)                    # Eq. 24
    expected = np.array([[h(-1, -1), 0, h(1, -1), 0], [h(-1, 1), 0, h(1, 1), 0],
                         [0, h(1, 1), 0, h(-1, 1)], [0, h(1, -1), 0, h(-1, -1)]])
    np.testing.assert_allclose(m, expected, rtol=1e-14)


def test_annealed_entropy_properties_from_the_paper():
    # vanishes at J_D = lam = 0 for every depth (L = 1: log(2 H(0)) = 0)
    for layers in (1, 2, 3, 6, 40):
        assert th.annealed_entropy(0.0, 0.0, 0.0, layers) == pytest.approx(0.0, abs=1e-14)
    # increasing in J_D and in lam; tends to log 2
    js = np.linspace(0.0, 4.0, 41)
    for layers, lam in ((1, 0.0), (2, 0.5), (3, 1.0), (5, 0.3)):
        s = np.array([th.annealed_entropy(j, lam, lam, layers) for j in js])
        assert np.all(np.diff(s) > 0)
        assert 0 < s[-1] < math.log(2)
    # Eq. 3 (L = 2) is increasing in lam for the J_D of Fig. 5 (right) ...
    lams = np.linspace(0.0, 4.0, 41)
    for j in (0.0, 0.125, 0.25):
        s = np.array([th.annealed_entropy(j, l, l, 2) for l in lams])
        assert np.all(np.diff(s) > 0)
    # ... not for large J_D, where lam only forces the two layers to align
    s1 = np.array([th.annealed_entropy(1.0, l, l, 2) for l in lams])
    assert np.all(np.diff(s1) < 0)
    # ... and for L = 3, J_D > 0 it overshoots its large-lam limit log(2)/3
    # (only the two aligned columns survive) and comes back down
    s3 = np.array([th.annealed_entropy(0.25, l, l, 3) for l in lams])
    assert np.any(np.diff(s3) < 0) and s3.max() > math.log(2) / 3
    for layers in (2, 3):
        assert th.annealed_entropy(0.0, 40.0, 40.0, layers) == pytest.approx(math.log(2) / layers, abs=1e-12)
    # L = 4: a domain wall between layers 2 and 3 leaves both with zero net
    # bias, weight H(0)^2 = 1/4, so z -> 2 + 2/4
    assert th.annealed_entropy(0.0, 40.0, 40.0, 4) == pytest.approx(math.log(2.5) / 4, abs=1e-12)
    # all configurations become fixed points for large J_D: S -> log 2
    for layers in (1, 2, 5):
        assert th.annealed_entropy(12.0, 1.0, 1.0, layers) == pytest.approx(math.log(2), abs=1e-12)
    # reversing the chain swaps lam_L and lam_R
    assert th.annealed_entropy(0.3, 0.2, 0.9, 5) == pytest.approx(th.annealed_entropy(0.3, 0.9, 0.2, 5), rel=1e-13)


def test_annealed_entropy_deep_chain_is_finite():
    s = th.annealed_entropy(0.1, 0.4, 0.4, 2000)
    assert 0 < s < math.log(2)
    # per-layer entropy converges with depth
    assert abs(th.annealed_entropy(0.1, 0.4, 0.4, 4000) - s) < 1e-4


# ----------------------------------------------------------------------------- RS stability

def test_rs_stability_closed_forms_agree_with_general_derivation():
    for j_d in (0.0, 0.3, 1.0, 2.0):
        assert th.rs_stability_l1(j_d) == pytest.approx(th.rs_stability_coefficient(j_d, layers=1), rel=1e-12)
        assert th.rs_stability_coefficient(j_d, 0.0, 0.0, 2) == pytest.approx(th.rs_stability_l1(j_d), rel=1e-12)
        for lam in (0.5, 1.0, 1.5):
            assert th.rs_stability_l2(j_d, lam) == pytest.approx(
                th.rs_stability_coefficient(j_d, lam, lam, 2), rel=1e-10)


def test_rs_quadratic_form_eq49():
    j = 0.7
    g2 = (math.exp(-j * j / 2) / math.sqrt(2 * math.pi) / th.H(-j)) ** 2
    c_qq, c_qx, c_xx = th.rs_quadratic_form(j)
    assert c_xx == pytest.approx(-0.25, rel=1e-14)
    assert c_qx == pytest.approx(0.5 - math.exp(-j * j) / (4 * math.pi * th.H(-j) ** 2), rel=1e-12)
    assert c_qq == pytest.approx(-j * j * math.exp(-j * j) / (8 * math.pi * th.H(-j) ** 2), rel=1e-12)
    assert c_qx == pytest.approx(0.5 * (1 - g2), rel=1e-12)


@pytest.mark.parametrize("j_d,lam_l,lam_r,layers", [(0.3, 0.0, None, 1), (0.5, 0.3, 0.8, 2)])
def test_rs_stability_against_brute_force_quadrature(j_d, lam_l, lam_r, layers):
    exact = th.rs_quadratic_form(j_d, lam_l, lam_r, layers)
    numeric = th.rs_quadratic_form_numeric(j_d, lam_l, lam_r, layers)
    np.testing.assert_allclose(numeric, exact, atol=2e-4)
    assert th.rs_stability_numeric(j_d, lam_l, lam_r, layers) == pytest.approx(
        th.rs_stability_coefficient(j_d, lam_l, lam_r, layers), rel=1e-3)


def test_rs_stability_signs_from_the_paper():
    # L = 1: stable for J_D >= -0.178 (Eq. 51 and text)
    assert th.rs_stability_l1(-0.17) > 0 > th.rs_stability_l1(-0.19)
    # Fig. 6: positive for J_D in [0, 2] and lam in {0, .5, 1, 1.5}
    for j in np.linspace(0, 2, 9):
        for lam in (0.0, 0.5, 1.0, 1.5):
            assert th.rs_stability_l2(j, lam) > 0
    # at J_D = 2 the curves are ordered top to bottom by lam
    c = [th.rs_stability_l2(2.0, lam) for lam in (0.0, 0.5, 1.0, 1.5)]
    assert c == sorted(c, reverse=True)


# ----------------------------------------------------------------------------- convergence bound

def test_expected_max_exact_small_n():
    assert th.expected_max_gaussian(1) == pytest.approx(0.0, abs=1e-12)
    assert th.expected_max_gaussian(2) == pytest.approx(1 / math.sqrt(math.pi), rel=1e-10)
    assert th.expected_max_gaussian(3) == pytest.approx(1.5 / math.sqrt(math.pi), rel=1e-10)
    assert th.expected_max_gaussian(1, absolute=True) == pytest.approx(math.sqrt(2 / math.pi), rel=1e-10)


def test_expected_max_against_monte_carlo():
    rng = np.random.default_rng(1234)
    for n in (10, 300):
        x = rng.standard_normal((20000, n))
        for absolute, sample in ((False, x.max(1)), (True, np.abs(x).max(1))):
            err = 5 * sample.std() / math.sqrt(len(sample))
            assert abs(th.expected_max_gaussian(n, absolute) - sample.mean()) < err


def test_bound_is_above_the_exact_value():
    for n in (1, 2, 5, 100, 10 ** 4, 10 ** 8):
        assert th.expected_max_bound(n) >= th.expected_max_gaussian(n) - 1e-12
        assert th.expected_max_bound(n, absolute=True) >= th.expected_max_gaussian(n, absolute=True)
        assert th.convergence_threshold(n) == pytest.approx(math.sqrt(2 * math.log(n)), abs=1e-15)
    for n in (10, 1000):
        for j in (0.5, 2.0, th.convergence_threshold(n), 5.0):
            assert th.exceedance_probability(j, n) <= th.union_bound(j, n)
    # Eq. 30: at J_D = sqrt(2 ln N) the union bound is exactly 2 (an O(1) probability)
    assert th.union_bound(th.convergence_threshold(1000), 1000) == pytest.approx(2.0, rel=1e-12)
    # the exceedance probability of the fields at that threshold is O(1), not small
    assert 0.05 < th.exceedance_probability(th.convergence_threshold(1000), 1000) < 1


# ----------------------------------------------------------------------------- local entropy

@pytest.mark.parametrize("j_d", [0.05, 0.5])
@pytest.mark.parametrize("d", [0.003, 0.05, 0.3])
def test_local_entropy_at_y1_is_the_total_entropy(j_d, d):
    pt = th.local_entropy_point(d, 1.0, j_d)
    total = math.log(2 * th.H(-j_d))
    assert -pt.free_energy == pytest.approx(total, abs=1e-11)
    assert pt.s_internal + pt.s_external == pytest.approx(total, abs=1e-11)   # S_I + S_E/y at y = 1


def test_two_layer_at_y1_is_the_annealed_entropy():
    pt = th.local_entropy_point(0.05, 1.0, 0.0, lam=0.45, layers=2)
    assert -pt.free_energy == pytest.approx(th.annealed_entropy(0.0, 0.45, 0.45, 2), abs=1e-9)


def test_two_layer_without_coupling_is_two_core_modules():
    one = th.local_entropy_point(0.02, 4.0, 0.1)
    two = th.local_entropy_point(0.02, 4.0, 0.1, lam=0.0, layers=2)
    assert two.qhat == pytest.approx(one.qhat, rel=1e-6)
    for f in ("free_energy", "s_internal", "s_external"):
        assert getattr(two, f) == pytest.approx(getattr(one, f), abs=1e-8)


def test_core_integral_against_scipy_dblquad():
    """The adapted trapezoid rules against an independent adaptive quadrature."""
    qhat, q1, y, j = 0.4, 0.8, 2.5, 0.2
    log_i, tanh2, mean_log = le_mod._core_moments(qhat, q1, y, j)
    a, sq, sr = math.sqrt(qhat), math.sqrt(q1), math.sqrt(1 - q1)
    phi = lambda x: math.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)

    def zeta(z, t):
        return (math.exp(a * t) * th.H(-(j + sq * z) / sr) + math.exp(-a * t) * th.H(-(j - sq * z) / sr))

    def integral(f):
        return integrate.dblquad(lambda t, z: phi(z) * phi(t) * f(z, t), -9, 9, -12, 12,
                                 epsabs=1e-13, epsrel=1e-11)[0]

    i0 = integral(lambda z, t: zeta(z, t) ** y)
    assert log_i == pytest.approx(math.log(i0), abs=1e-9)
    num = integral(lambda z, t: zeta(z, t) ** y * math.tanh(a * t + 0.5 * math.log(
        th.H(-(j + sq * z) / sr) / th.H(-(j - sq * z) / sr))) ** 2)
    assert tanh2 == pytest.approx(num / i0, abs=1e-9)


def test_internal_entropy_is_the_y_derivative():
    """S_I = -d(y Phi)/dy: checks the S_I formula and that qhat is stationary."""
    d, y, h = 0.02, 3.0, 1e-4
    for j_d in (0.05, 0.3):
        f = lambda yy: yy * th.local_free_energy(d, yy, j_d)
        fd = -(f(y + h) - f(y - h)) / (2 * h)
        pt = th.local_entropy_point(d, y, j_d)
        assert pt.s_internal == pytest.approx(fd, abs=1e-7)
        assert pt.s_external == pytest.approx(-y * (pt.free_energy + pt.s_internal), abs=1e-14)


def test_y_star_zeroes_the_external_entropy():
    d, j_d = 0.01, 0.1
    ys = th.y_star(d, j_d)
    assert 1 < ys < 100
    assert abs(th.external_entropy(d, ys, j_d)) < 1e-9
    assert th.external_entropy(d, 0.9 * ys, j_d) > 0 > th.external_entropy(d, 1.1 * ys, j_d)
    # at y > 1 the internal entropy grows with y (End Matter)
    s = [th.internal_entropy(d, y, j_d) for y in (1.5, 3, 6, 12)]
    assert s == sorted(s)


def test_internal_entropy_curve_shapes_fig4():
    ds = [0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.45, 0.5]
    lo = th.internal_entropy_curve(0.05, d=ds)
    hi = th.internal_entropy_curve(0.1, d=ds)
    assert np.max(np.abs(lo["s_external"][:-1])) < 1e-8
    # J_D = 0.1 > J_Dc: monotonic, plateau = entropy of typical fixed points at d = 0.5
    assert np.all(np.diff(hi["s_internal"]) > 0)
    assert hi["s_internal"][-1] == pytest.approx(math.log(2 * th.H(-0.1)), abs=1e-14)
    assert math.isinf(hi["y_star"][-1])
    # J_D = 0.05 < J_Dc: a maximum at small d, then a dip (negative) before rising
    s = lo["s_internal"]
    assert s[0] > 0 and s[3] < 0 and np.any(np.diff(s) < 0)
    # larger J_D lies above
    assert np.all(hi["s_internal"] > lo["s_internal"])


def test_critical_self_coupling_close_to_paper():
    """Paper: J_Dc ~ 0.07 (quoted to two decimals, i.e. +-0.005).  This
    computation gives 0.0731; the refined value moves by < 5e-4 with the
    d-grid, so |J_Dc - 0.07| < 0.005 is the tolerance that can be justified."""
    assert th.internal_entropy_min_slope(0.065)[0] < 0 < th.internal_entropy_min_slope(0.08)[0]
    jdc = th.critical_self_coupling(xtol=1e-3)
    assert abs(jdc - 0.07) < 0.005
    assert jdc == pytest.approx(0.0731, abs=1e-3)


def test_two_layer_chain_critical_lambda_brackets_045():
    """Paper: at J_D = 0 the two-layer chain turns monotonic at lam ~ 0.45
    (Fig. 4, orange curves 0.4 / 0.45 / 0.5); the full search gives 0.452.
    Here only the sign of the steepest slope near d ~ 0.005 at lam = 0.4 and 0.5."""
    def slope(lam):
        return th.internal_entropy_min_slope(0.0, lam, 2, d_min=3.5e-3, d_max=0.012, n=4, refine=False)[0]
    assert slope(0.4) < 0 < slope(0.5)


def test_local_entropy_bad_input():
    with pytest.raises(ValueError, match="d must be"):
        th.local_entropy_point(0.0, 2.0, 0.1)
    with pytest.raises(ValueError, match="d must be"):
        th.local_entropy_point(0.6, 2.0, 0.1)
    with pytest.raises(ValueError, match="j_d must be"):
        th.local_entropy_point(0.1, 2.0, -0.1)
    with pytest.raises(ValueError, match="y must be"):
        th.local_entropy_point(0.1, 0.0, 0.1)
    with pytest.raises(ValueError, match="layers must be"):
        th.local_entropy_point(0.1, 2.0, 0.1, layers=3)
    with pytest.raises(ValueError, match="lam must be 0 for layers=1"):
        th.local_entropy_point(0.1, 2.0, 0.1, lam=0.3)


# ----------------------------------------------------------------------------- perceptron

def test_perceptron_capacity_kappa0():
    assert abs(th.perceptron_capacity(0.0) - 0.833) < 1e-3


def test_perceptron_entropy_properties():
    assert th.perceptron_entropy(0.0) == pytest.approx(math.log(2), abs=1e-14)
    alphas = [0.1, 0.3, 0.5, 0.7]
    s = [th.perceptron_entropy(a) for a in alphas]
    assert s == sorted(s, reverse=True)
    # RS entropy <= annealed bound log 2 + alpha log H(kappa)
    for a in alphas:
        for k in (0.0, 0.5):
            assert th.perceptron_entropy(a, k) <= math.log(2) + a * math.log(th.H(k)) + 1e-12
    caps = [th.perceptron_capacity(k) for k in (-0.5, 0.0, 0.5, 1.0)]
    assert caps == sorted(caps, reverse=True)
    assert th.perceptron_entropy(th.perceptron_capacity(0.5), 0.5) == pytest.approx(0.0, abs=1e-10)


def test_perceptron_saddle_point_equations():
    alpha, kappa = 0.6, 0.3
    q, qhat = th.perceptron_saddle_point(alpha, kappa)
    z = np.linspace(-12, 12, 4801)
    w = np.exp(-0.5 * z * z)
    w /= w.sum()
    assert q == pytest.approx(w @ np.tanh(math.sqrt(qhat) * z) ** 2, abs=1e-10)
    u = (kappa - math.sqrt(q) * z) / math.sqrt(1 - q)
    r = np.exp(-0.5 * u * u) / math.sqrt(2 * math.pi) / th.H(u)
    assert qhat == pytest.approx(alpha / (1 - q) * (w @ r ** 2), rel=1e-9)


# ----------------------------------------------------------------------------- CLI

def _cli():
    parser = Parser(prog="neurosim")
    register(parser.add_subparsers(dest="command"))
    return parser


def _run(argv):
    args = _cli().parse_args(argv)
    buf = io.StringIO()
    with redirect_stdout(buf):
        rc = args.func(args)
    return rc, buf.getvalue()


def test_cli_entropy_json_and_table():
    rc, out = _run(["theory", "entropy", "--j-d", "0.5", "--lam", "1", "--layers", "3", "--json"])
    assert rc == 0
    obj = json.loads(out.strip().splitlines()[-1])
    assert obj["annealed_entropy"] == pytest.approx(th.annealed_entropy(0.5, 1, 1, 3), rel=1e-12)
    assert obj["rs_stable"] is True
    rc, out = _run(["theory", "entropy", "--j-d", "0.5", "--lam-l", "0.3", "--lam-r", "0.8", "--layers", "2"])
    assert rc == 0 and f"{th.annealed_entropy(0.5, 0.3, 0.8, 2):.10f}" in out


def test_cli_local_entropy_and_capacity():
    rc, out = _run(["theory", "local-entropy", "--j-d", "0.1", "--d", "0.01", "0.1", "0.5", "--json"])
    obj = json.loads(out.strip().splitlines()[-1])
    assert rc == 0 and obj["monotonic_on_grid"] is True and len(obj["rows"]) == 3
    assert obj["rows"][2]["y"] is None                       # y* = inf at d = 0.5
    assert abs(obj["rows"][0]["s_external"]) < 1e-9
    rc, out = _run(["theory", "local-entropy", "--j-d", "0.1", "--d", "0.1", "--y", "1"])
    assert rc == 0 and "S_I" in out
    rc, out = _run(["theory", "local-entropy", "--critical", "--json"])
    assert rc == 0 and json.loads(out.strip().splitlines()[-1])["critical_j_d"] == pytest.approx(0.0731, abs=1e-3)
    rc, out = _run(["theory", "capacity", "--kappa", "0", "--json"])
    assert rc == 0 and json.loads(out.strip().splitlines()[-1])["alpha_c"] == pytest.approx(0.833, abs=1e-3)


@pytest.mark.parametrize("argv,flag", [
    (["theory", "entropy", "--j-d", "-1"], "--j-d"),
    (["theory", "entropy", "--j-d", "1", "--layers", "0"], "--layers"),
    (["theory", "entropy", "--j-d", "1", "--lam-r", "-0.5"], "--lam-r"),
    (["theory", "local-entropy", "--j-d", "0.1", "--d", "0.7"], "--d"),
    (["theory", "local-entropy", "--j-d", "0.1", "--d", "0"], "--d"),
    (["theory", "local-entropy", "--j-d", "-0.1"], "--j-d"),
    (["theory", "local-entropy", "--j-d", "0.1", "--layers", "3"], "--layers"),
    (["theory", "local-entropy"], "--j-d"),
])
def test_cli_bad_arguments_raise_value_error(argv, flag):
    args = _cli().parse_args(argv)
    with pytest.raises(ValueError, match=flag):
        args.func(args)


def test_library_bad_arguments_raise_value_error():
    with pytest.raises(ValueError, match="j_d must be"):
        th.annealed_entropy(-0.1)
    with pytest.raises(ValueError, match="layers must be an integer >= 1"):
        th.annealed_entropy(0.1, layers=0)
    with pytest.raises(ValueError, match="layers must be an integer"):
        th.annealed_entropy(0.1, layers=1.5)
    with pytest.raises(ValueError, match="lam_r must be"):
        th.annealed_entropy(0.1, 0.2, -0.2, 3)
    with pytest.raises(ValueError, match="n must be"):
        th.expected_max_gaussian(0)
