"""Analysis tools of SM-D/E/F/G/H: fixed-point entropy against the exact finite-N
count, symmetry level (Eq. 94), displacement and interpolation paths (Eqs. 95-99),
q_dyn (Table VII), similarity matrices (Fig. 15), local-entropy profiles and the
hetero-association capacity estimator (Eq. 92)."""
import numpy as np
import pytest
from scipy.special import erfc

import neurosim as ns
from neurosim import datasets, topologies
from neurosim.analysis import enumerate_fixed_points
from neurosim.analysis.capacity import (fit_capacity, hetero_network, hetero_overlaps, hetero_trial, learned,
                                        o5)
from neurosim.analysis.fixed_point_entropy import (core_entropy, count_fixed_points, empirical_entropy,
                                                   expected_fixed_points, finite_n_annealed_entropy)
from neurosim.analysis.hamming import hamming, overlap, pairwise_hamming
from neurosim.analysis.landscape import (attractor_displacement, flip_noise, interpolated_inputs,
                                         interpolation_path, pair_curvatures, path_curvature, stable_states,
                                         trajectory_distances)
from neurosim.analysis.local_entropy import local_entropy_profile
from neurosim.analysis.representations import (label_block_means, mean_similarity, q_dyn,
                                               representation_similarity, shift_by_common_mean,
                                               similarity_matrix)
from neurosim.analysis.symmetry import symmetry_level
from neurosim.learning import Trainer, TrainConfig


def pm1(rng, shape):
    return (rng.integers(0, 2, size=shape) * 2 - 1).astype(np.int8)


# ------------------------------------------------------------ fixed-point entropy
def test_expected_count_closed_form():
    """rho = 1, no field: E[#fp] = 2^N H(-J_D/sigma_N)^N with sigma_N^2 = (N-1)/N."""
    for n, j_d in [(12, 0.5), (16, 0.2), (50, 1.0)]:
        sigma = np.sqrt((n - 1) / n)
        h = 0.5 * erfc(-j_d / sigma / np.sqrt(2))
        assert expected_fixed_points(n, j_d) == pytest.approx(2.0 ** n * h ** n, rel=1e-10)
        assert finite_n_annealed_entropy(n, j_d) == pytest.approx(np.log(2 * h), rel=1e-10)
    assert expected_fixed_points(12, 0.0) == pytest.approx(1.0)  # H(0) = 1/2


@pytest.mark.parametrize("n,j_d,rho,draws", [(12, 0.5, 1.0, 200), (14, 0.3, 1.0, 120), (12, 0.5, 0.4, 200)])
def test_enumeration_matches_expected_count(n, j_d, rho, draws):
    res = core_entropy(n, j_d, n_draws=draws, rho=rho, seed=1)
    assert res.counts.shape == (draws,)
    assert abs(res.z_score) < 4.0, (res.mean_count, res.mean_count_stderr, res.expected_count)
    # the quenched entropy never exceeds the annealed one (Jensen)
    assert res.quenched <= res.annealed + 1e-12
    assert abs(res.annealed - res.expected_annealed) < 0.02


def test_enumeration_resolves_the_finite_n_variance():
    """At N = 12 the field variance (N-1)/N differs from 1 by 8 %: the enumeration
    agrees with sigma_N and rejects sigma = 1 (2^N H(-J_D)^N)."""
    res = core_entropy(12, 1.0, n_draws=200, seed=1)
    wrong = (2 * 0.5 * erfc(-1.0 / np.sqrt(2))) ** 12
    assert abs(res.z_score) < 4.0
    assert abs(res.mean_count - wrong) / res.mean_count_stderr > 4.0


def test_expected_count_with_field_matches_enumeration():
    b = np.random.default_rng(1).normal(0.0, 0.7, 10)

    def draw(seed):
        return topologies.core(10, rho=1.0, j_d=0.3, seed=seed)

    res = empirical_entropy(draw, n_draws=300, seed=2, field=b, expected=expected_fixed_points(10, 0.3, field=b))
    assert abs(res.z_score) < 4.0
    # a field breaks the s -> -s symmetry: the count is not the field-free one
    assert abs(expected_fixed_points(10, 0.3, field=b) - expected_fixed_points(10, 0.3)) > 5 * res.mean_count_stderr


def test_count_of_a_single_network():
    cn = ns.compile(topologies.core(10, rho=1.0, j_d=0.5, seed=3))
    res = empirical_entropy(cn)
    assert res.counts.tolist() == [count_fixed_points(cn)] == [len(enumerate_fixed_points(cn))]


# ---------------------------------------------------------------- symmetry
def test_symmetry_level_limits():
    rng = np.random.default_rng(0)
    G = rng.normal(size=(300, 300))
    assert symmetry_level(G + G.T) == pytest.approx(1.0)
    assert symmetry_level(G - G.T) == pytest.approx(-1.0)
    assert abs(symmetry_level(G)) < 0.02
    assert np.isnan(symmetry_level(np.zeros((4, 4))))
    # partial symmetry lies strictly between
    assert 0.1 < symmetry_level(G + 0.5 * G.T) < 0.9


def test_symmetry_level_of_networks():
    asym = ns.compile(topologies.core(300, rho=0.2, j_d=0.5, seed=0))
    sym = ns.compile(topologies.symmetric(300, rho=0.2, j_d=0.5, seed=0))
    assert abs(symmetry_level(asym)) < 0.03
    assert symmetry_level(sym) == pytest.approx(1.0)
    # the (symmetric) diagonal J_D pulls the level up when included
    assert symmetry_level(asym, include_diagonal=True) > symmetry_level(asym) + 0.05
    chain = ns.compile(topologies.chain(2, 100, rho=0.5, j_d=0.5, lam=0.5, seed=1))
    assert abs(symmetry_level(chain, population="layer1")) < 0.05


# ------------------------------------------------------------------ hamming
def test_hamming_and_overlap():
    rng = np.random.default_rng(0)
    s = pm1(rng, (7, 50))
    d = pairwise_hamming(s)
    assert np.allclose(d, [[hamming(a, b) for b in s] for a in s])
    assert np.allclose(overlap(s[0], s[1]), 1 - 2 * hamming(s[0], s[1]))
    with pytest.raises(ValueError):
        pairwise_hamming(np.zeros((2, 3)))


# -------------------------------------------------------------- landscape
def input_network(n=60, j_d=0.5, seed=0):
    cn = ns.compile(topologies.core(n, rho=0.2, j_d=j_d, seed=seed, input_dim=30, lam_x=2.0, rho_in=0.5))
    x = pm1(np.random.default_rng(seed), (12, 30))
    return cn, x


def test_flip_noise():
    rng = np.random.default_rng(0)
    s = pm1(rng, (5, 40))
    assert np.array_equal(flip_noise(s, 0.0, rng), s)
    assert np.array_equal(flip_noise(s, 1.0, rng), -s)
    exact = flip_noise(s, 0.25, rng, exact=True)
    assert np.all(np.sum(exact != s, axis=1) == 10)


def test_displacement_is_zero_without_noise():
    cn, x = input_network()
    res = stable_states(cn, x=x)
    assert res.converged.all()
    disp = attractor_displacement(cn, res.states, [0.0, 0.1, 0.3], x=x, n_samples=3, seed=4)
    assert disp.displacement.shape == (3, len(x), 3)
    assert np.all(disp.displacement[0] == 0.0)
    assert disp.displacement[1:].mean() > 0.0
    assert disp.displacement[2].mean() >= disp.displacement[1].mean()
    assert disp.summary().shape == (3, 3)


def identity_network(n=40, j_d=0.5):
    """No couplings and W_in = identity: the stable state of x is x itself."""
    net = ns.Network(seed=0, lam_x=1.0)
    net.add_population("core", n, j_d=j_d)
    net.set_input(n, weights=np.eye(n))
    return ns.compile(net)


def test_interpolated_inputs_lie_on_the_path():
    rng = np.random.default_rng(1)
    x_mu = pm1(rng, 40)
    x_nu = x_mu.copy()
    x_nu[:20] *= -1                                   # m = 20 differing positions
    taus = np.arange(21) / 20
    xs = interpolated_inputs(x_mu, x_nu, taus, n_resamples=5, seed=2)
    k = np.sum(xs != x_mu, axis=-1)
    assert np.array_equal(k, np.tile(np.arange(21), (5, 1)))
    assert np.array_equal(np.sum(xs != x_nu, axis=-1), 20 - k)
    assert np.array_equal(xs[:, -1], np.tile(x_nu, (5, 1)))
    literal = interpolated_inputs(x_mu, x_nu, taus, n_resamples=5, seed=2, geodesic=False)
    assert np.array_equal(np.sum(literal != x_mu, axis=-1), k)
    assert np.any(np.sum(literal != x_nu, axis=-1) != 20 - k)  # off the shortest path


def test_curvature_of_a_straight_path_is_one():
    cn = identity_network()
    rng = np.random.default_rng(3)
    x_mu = pm1(rng, 40)
    x_nu = x_mu.copy()
    x_nu[rng.permutation(40)[:20]] *= -1
    taus = np.arange(21) / 20
    path = interpolation_path(cn, x_mu, x_nu, taus, n_resamples=4, seed=5)
    assert np.array_equal(path.s_mu, x_mu) and np.array_equal(path.s_nu, x_nu)
    assert np.allclose(path.curvature, 1.0)
    assert path.kappa == pytest.approx(1.0)
    D = path.distances()                              # Eq. 99 on a straight path: |tau1 - tau2|
    assert np.allclose(D, np.abs(taus[:, None] - taus[None, :]))


def test_curvature_of_a_detour():
    s_mu = np.ones(40, dtype=np.int8)
    s_nu = s_mu.copy()
    s_nu[:10] = -1
    s_tau = s_mu.copy()
    s_tau[20:25] = -1                                 # off the path: 5 + 15 over 10
    assert path_curvature(s_mu, s_nu, s_tau) == pytest.approx(2.0)
    assert np.isnan(path_curvature(s_mu, s_mu, s_tau))
    D = trajectory_distances(np.stack([s_mu, s_tau, s_nu]), s_mu, s_nu)
    assert np.allclose(D, D.T) and np.allclose(np.diag(D), 0.0)
    assert D[0, 2] == pytest.approx(1.0) and D[0, 1] == pytest.approx(0.5)


def test_random_network_paths_bend():
    cn, x = input_network(n=100, j_d=0.3)
    pairs, kappa = pair_curvatures(cn, x, n_pairs=3, taus=np.linspace(0, 1, 6), n_resamples=3, seed=1)
    assert pairs.shape == (3, 2) and np.all(pairs[:, 0] != pairs[:, 1])
    assert np.all(kappa >= 1.0)


# ------------------------------------------------------------- q_dyn / similarity
def small_trainer(approximate):
    cn = ns.compile(topologies.core(80, rho=0.3, j_d=0.5, seed=2, input_dim=20, n_classes=3, lam_x=2.0,
                                    lam_y=0.9))
    data = datasets.prototypes(n_classes=3, dim=20, n_train=60, n_test=10, flip=0.1, seed=0)
    return Trainer(cn, TrainConfig(epochs=1, batch_size=20, approximate=approximate, max_steps=10)), data


def test_q_dyn_of_the_approximate_scheme_is_one():
    trainer, data = small_trainer(approximate=True)
    q = q_dyn(trainer, data.x_train, data.y_train, batch_size=25)
    assert q.overlaps.shape == (60,)
    assert np.all(q.overlaps == 1.0) and q.median == 1.0 and q.low == 1.0 and q.high == 1.0


def test_q_dyn_matches_the_training_statistic():
    trainer, data = small_trainer(approximate=False)
    x = data.x_train[:20].astype(float)
    y = (data.targets("train", dtype=np.float64)[:20] > 0).astype(float)
    q = q_dyn(trainer, x, y)
    assert np.all(np.abs(q.overlaps) <= 1.0) and q.low <= q.median <= q.high
    assert q.mean < 1.0                               # the free phase moves away from s'
    stats = trainer.train_batch(x, y, None, readout=False)  # sync dynamics: same s', s*
    assert stats["q_dyn"] == pytest.approx(q.mean)


def test_similarity_matrix():
    rng = np.random.default_rng(0)
    s = pm1(rng, (9, 30))
    labels = np.array([2, 0, 1, 2, 0, 1, 0, 2, 1])
    S, order = similarity_matrix(s, labels)
    assert np.allclose(S, S.T) and np.allclose(np.diag(S), 1.0)
    assert np.all((S >= 0) & (S <= 1))
    assert np.array_equal(labels[order], np.sort(labels))
    assert np.array_equal(order[:3], [1, 4, 6])       # stable within a label
    assert S[0, 1] == pytest.approx(1 - hamming(s[1], s[4]))
    opp, _ = similarity_matrix(np.stack([s[0], -s[0]]))
    assert opp[0, 1] == 0.0
    blocks = label_block_means(S, labels[order])
    assert blocks.shape == (3, 3) and np.allclose(blocks, blocks.T)
    shifted, c = shift_by_common_mean([S, S + 0.1])
    assert c == pytest.approx(mean_similarity(S) + 0.05)


def test_representations_cluster_by_prototype():
    cn = ns.compile(topologies.core(100, rho=0.2, j_d=0.5, seed=1, input_dim=40, lam_x=3.0, rho_in=0.5))
    data = datasets.prototypes(n_classes=3, dim=40, n_train=30, n_test=1, flip=0.05, seed=1)
    sim = representation_similarity(cn, data.x_train, data.y_train)
    assert sim.matrix.shape == (30, 30) and np.allclose(np.diag(sim.matrix), 1.0)
    blocks = label_block_means(sim.matrix, sim.labels)
    assert np.all(np.diag(blocks) > blocks[~np.eye(3, dtype=bool)].max())


# ------------------------------------------------------------- local entropy
def test_local_entropy_exact_equals_full_enumeration():
    cn = ns.compile(topologies.core(14, rho=1.0, j_d=0.6, seed=3))
    fps = enumerate_fixed_points(cn)
    s = fps[0]
    full = local_entropy_profile(cn, s, method="full")
    exact = local_entropy_profile(cn, s, method="exact", d_max=14)
    assert np.array_equal(full.counts, exact.counts)
    assert full.counts.sum() == len(fps) and full.counts[0] == 1
    sample = local_entropy_profile(cn, s, method="sample", d_max=4, n_samples=20000, seed=1)
    for k in (1, 2, 3, 4):
        if full.counts[k] > 0:
            assert abs(sample.counts[k] - full.counts[k]) < 5 * sample.rel_stderr[k] * full.counts[k] + 1e-9


def test_local_entropy_auto_at_larger_n():
    cn, x = input_network(n=120)
    b = cn.field(x=x[:1])[0]
    s = stable_states(cn, x=x[:1]).states[0]
    prof = local_entropy_profile(cn, s, field=b, budget=10_000, n_samples=2000)
    assert prof.method[0] == "exact" and prof.counts[0] == 1     # s is a fixed point
    assert "sample" in prof.method
    assert np.all(prof.log_upper >= prof.log_counts)
    assert prof.entropy[0] == 0.0


# ------------------------------------------------------------------ capacity
def test_capacity_recovers_a_known_threshold():
    rng = np.random.default_rng(0)
    p = rng.integers(100, 201, size=40).astype(float)          # P ~ U[N/2, N], N = 200
    true = 150.0
    curve = 1.0 - 0.05 * (p / true) ** 4                       # O_5(150) = 0.95 exactly
    fit = fit_capacity(p, curve + rng.normal(0.0, 0.004, p.size), eps=0.05)
    assert fit.status == "crossing"
    assert fit.p_max == pytest.approx(true, abs=4.0)
    grid = np.arange(100, 201, 5.0)
    assert fit_capacity(grid, np.ones_like(grid)).status == "above"
    assert fit_capacity(grid, np.zeros_like(grid)).status == "below"


def test_overlap_criterion():
    y = pm1(np.random.default_rng(0), (20, 40))
    s = y.copy()
    s[0, :10] *= -1                                            # one pattern badly wrong
    q = hetero_overlaps(s, y)
    assert q[0] == pytest.approx(0.5) and np.all(q[1:] == 1.0)
    assert learned(q, 0.05, 0.95) and not learned(q, 0.05, 1.0)
    assert o5(q) < 1.0


def test_hetero_trial_runs():
    cn = hetero_network(1, 30, rho=1.0, j_d=0.5, lam_x=1.0, lam_y=2.0, rho_in=1.0)
    sl = cn.population_slice(cn.pop_names[-1])
    assert np.array_equal(cn.w_back[sl], np.eye(30))
    data = datasets.hetero_association(6, 30, 30, seed=0)
    cfg = TrainConfig(epochs=30, batch_size=3, eta_j=0.05, eta_in=0.05, eta_out=0.0, kappa_j=1.0, kappa_in=1.0,
                      max_steps=10, approximate=True)
    before = hetero_trial(cn, data.x, data.y, TrainConfig(epochs=1, eta_j=0.0, eta_in=0.0, eta_out=0.0))
    after = hetero_trial(cn, data.x, data.y, cfg)
    assert after.shape == (6,) and np.all(np.abs(after) <= 1.0)
    assert after.mean() > before.mean() + 0.3
