"""Ready topologies: structure of the coupling matrix, masks, seeds, statistics
of the draws and argument checks."""
import numpy as np
import pytest

import neurosim
from neurosim import topologies as T

# Small instances of every topology (N <= 500), with input and classes.
SMALL = {
    "core": dict(n=60, rho=0.2),
    "chain": dict(layers=3, n=30, rho=0.2, lam=0.8),
    "fc_chain": dict(layers=3, n=20, rho=0.5),
    "skip": dict(layers=3, n=20, rho=0.2, input_layers=[0, 2], output_layers=[1]),
    "ensemble": dict(n=40, rho=0.2, lam=0.6),
    "local": dict(height=5, width=6, radius=1, rho=1.0),
    "symmetric": dict(n=40, rho=0.5),
}


def small(name, seed=0, **extra):
    io = {"n_classes": 3} if name == "local" else {"input_dim": 12, "n_classes": 3}
    return T.build(name, seed=seed, **SMALL[name], **io, **extra)


def blocks(c):
    """Dense coupling matrix and the slice of every population."""
    return c.coupling_matrix(), {p: c.population_slice(p) for p in c.pop_names}


def test_registry_lists_every_family():
    assert set(T.TOPOLOGIES) == set(SMALL)
    assert all(T.TOPOLOGIES[k] is getattr(T, k) for k in SMALL)


@pytest.mark.parametrize("name", sorted(SMALL))
def test_every_topology_builds_and_compiles(name):
    net = small(name)
    c = neurosim.compile(net)
    assert c.n == net.n > 0
    assert c.w_in.shape[0] == c.n and c.w_in.shape[1] >= 1
    assert c.w_back.shape == (c.n, 3) and c.w_out.shape == (3, c.n)
    assert c.j_data.size > 0
    assert np.allclose(np.diag(c.coupling_matrix()), SMALL[name].get("j_d", 0.5))
    assert net.meta["topology"] == name
    assert all(net.meta[k] == v for k, v in SMALL[name].items() if not k.endswith("_layers"))


@pytest.mark.parametrize("name", sorted(SMALL))
def test_same_seed_same_network_other_seed_other(name):
    h0 = neurosim.compile(small(name, seed=3)).content_hash()
    assert neurosim.compile(small(name, seed=3)).content_hash() == h0
    assert neurosim.compile(small(name, seed=4)).content_hash() != h0


def test_core_is_one_population_without_fixed_couplings():
    c = neurosim.compile(T.core(50, rho=0.3, j_d=0.7, seed=1))
    assert c.pop_names == ("core",)
    assert c.k_data.size == 0 and c.w_in.shape == (50, 0) and c.w_out.shape == (0, 50)
    assert np.all(np.diag(c.coupling_matrix()) == 0.7)


def test_core_variance_and_density_match_the_paper():
    n, rho = 2000, 0.05
    c = neurosim.compile(T.core(n, rho=rho, seed=11))
    nnz = c.j_data.size
    expected = rho * n * (n - 1)
    assert abs(nnz - expected) < 5 * np.sqrt(expected)
    # Var J = 1/(rho n): relative standard error of the sample variance is sqrt(2/nnz).
    ratio = c.j_data.var() * rho * n
    assert abs(ratio - 1.0) < 5 * np.sqrt(2.0 / nnz)
    assert abs(c.j_data.mean()) < 5 / np.sqrt(rho * n * nnz)


def test_chain_homologous_couplings_and_diagonal():
    L, n, lam_l, lam_r = 3, 25, 0.7, 0.3
    c = neurosim.compile(T.chain(L, n, rho=0.2, j_d=0.4, lam_l=lam_l, lam_r=lam_r, seed=2))
    M, sl = blocks(c)
    assert c.pop_names == ("layer0", "layer1", "layer2")
    assert np.all(np.diag(M) == 0.4)
    for l in range(L):
        for m in range(L):
            B = M[sl[f"layer{l}"], sl[f"layer{m}"]]
            if m == l - 1:
                assert np.array_equal(B, lam_l * np.eye(n))
            elif m == l + 1:
                assert np.array_equal(B, lam_r * np.eye(n))
            elif m != l:
                assert not B.any()
    K = c.fixed()
    assert K.nnz == 2 * (L - 1) * n
    assert c.learnable().diagonal().sum() == 0


def test_chain_lam_defaults_to_both_directions():
    M, sl = blocks(neurosim.compile(T.chain(2, 10, lam=0.9, seed=0)))
    assert np.array_equal(M[sl["layer1"], sl["layer0"]], 0.9 * np.eye(10))
    assert np.array_equal(M[sl["layer0"], sl["layer1"]], 0.9 * np.eye(10))


def test_chain_masks_input_first_output_last():
    c = neurosim.compile(T.chain(3, 10, seed=0, input_dim=4, n_classes=2))
    first, last = c.population_slice("layer0"), c.population_slice("layer2")
    expect_in = np.zeros(30, bool)
    expect_in[first] = True
    expect_out = np.zeros(30, bool)
    expect_out[last] = True
    assert np.array_equal(c.a_in, expect_in)
    assert np.array_equal(c.a_back, expect_out) and np.array_equal(c.a_out, expect_out)


def test_chain_single_layer_sees_everything():
    c = neurosim.compile(T.chain(1, 10, seed=0))
    assert c.a_in.all() and c.a_back.all() and c.a_out.all() and c.k_data.size == 0


def test_chain_p_masks_override():
    mask = np.r_[np.ones(5), np.zeros(5)]
    c = neurosim.compile(T.chain(2, 10, seed=0, p_masks={1: {"a_in": mask}, "layer0": {"a_out": True}}))
    assert np.array_equal(c.a_in, np.r_[np.ones(10), mask].astype(bool))
    assert c.a_out.all()
    with pytest.raises(ValueError, match="p_masks"):
        T.chain(2, 10, p_masks={0: {"a_inn": True}})
    with pytest.raises(ValueError, match="layer 5"):
        T.chain(2, 10, p_masks={5: {"a_in": True}})


def test_fc_chain_is_block_tridiagonal():
    L, n = 4, 12
    c = neurosim.compile(T.fc_chain(L, n, rho=1.0, j_d=0.3, seed=5))
    M, sl = blocks(c)
    assert c.k_data.size == 0
    J = c.learnable().toarray()
    for l in range(L):
        for m in range(L):
            B = J[sl[f"layer{l}"], sl[f"layer{m}"]]
            if l == m:
                assert np.all((B != 0) == ~np.eye(n, dtype=bool))
            elif abs(l - m) == 1:
                assert np.all(B != 0)
            else:
                assert not B.any()
    assert np.all(np.diag(M) == 0.3)
    assert c.a_in[sl["layer0"]].all() and not c.a_in[sl["layer1"]].any()
    assert c.a_out[sl["layer3"]].all() and not c.a_out[sl["layer2"]].any()


def test_fc_chain_one_layer_is_the_core():
    a = neurosim.compile(T.fc_chain(1, 50, rho=0.3, seed=4))
    b = neurosim.compile(T.core(50, rho=0.3, seed=4))
    assert np.array_equal(a.coupling_matrix(), b.coupling_matrix())


def test_fc_chain_variance_uses_the_total_fan_in():
    n = 120
    c = neurosim.compile(T.fc_chain(3, n, rho=1.0, seed=1))
    interior = c.learnable()[c.population_slice("layer1")].data
    assert interior.size == n * (3 * n - 1)
    assert abs(interior.var() * 3 * n - 1) < 5 * np.sqrt(2 / interior.size)


def test_skip_masks_follow_the_layer_lists():
    c = neurosim.compile(T.skip(3, 10, seed=0, input_layers=[0, 2], output_layers=[1]))
    sl = {p: c.population_slice(p) for p in c.pop_names}
    assert c.a_in[sl["layer0"]].all() and c.a_in[sl["layer2"]].all() and not c.a_in[sl["layer1"]].any()
    assert c.a_out[sl["layer1"]].all() and c.a_out.sum() == 10 and c.a_back.sum() == 10
    assert c.fixed().nnz == 2 * 2 * 10
    d = neurosim.compile(T.skip(3, 10, seed=0))
    assert d.a_in.all() and d.a_back.all() and d.a_out.all()


def test_skip_rejects_bad_layer_lists():
    with pytest.raises(ValueError, match="input_layers"):
        T.skip(3, 10, input_layers=[3])
    with pytest.raises(ValueError, match="output_layers"):
        T.skip(3, 10, output_layers=[])
    with pytest.raises(ValueError, match="input_layers"):
        T.skip(3, 10, input_layers=1)


def test_ensemble_two_independent_cores_all_masks():
    n, lam = 30, 0.6
    c = neurosim.compile(T.ensemble(n, rho=0.3, lam=lam, seed=7, input_dim=5, n_classes=2))
    M, sl = blocks(c)
    assert c.pop_names == ("core0", "core1")
    assert c.a_in.all() and c.a_back.all() and c.a_out.all()
    assert np.array_equal(M[sl["core0"], sl["core1"]], lam * np.eye(n))
    assert np.array_equal(M[sl["core1"], sl["core0"]], lam * np.eye(n))
    J0, J1 = M[sl["core0"], sl["core0"]], M[sl["core1"], sl["core1"]]
    assert not np.array_equal(J0 != 0, J1 != 0)  # independently drawn patterns


def _chebyshev(height, width):
    r, c = np.divmod(np.arange(height * width), width)
    return np.maximum(np.abs(r[:, None] - r[None]), np.abs(c[:, None] - c[None]))


@pytest.mark.parametrize("radius", [0, 1, 2])
def test_local_couplings_only_within_radius(radius):
    h, w = 6, 7
    c = neurosim.compile(T.local(h, w, radius=radius, rho=1.0, seed=1))
    D = _chebyshev(h, w)
    J = c.learnable().toarray()
    assert np.array_equal(J != 0, (D <= radius) & (D > 0))
    assert c.w_in.shape == (h * w, h * w)
    assert np.array_equal(c.w_in_mask, D <= 1)


def test_local_thinned_and_input_radius():
    h, w = 10, 10
    c = neurosim.compile(T.local(h, w, radius=2, rho=0.5, input_radius=0, seed=2))
    D = _chebyshev(h, w)
    on = c.learnable().toarray() != 0
    assert not (on & ((D > 2) | (D == 0))).any()
    frac = on.sum() / ((D <= 2) & (D > 0)).sum()
    assert 0.4 < frac < 0.6
    assert np.array_equal(c.w_in_mask, np.eye(h * w, dtype=bool))
    with pytest.raises(ValueError, match="input_dim"):
        T.local(3, 3, input_dim=5)


def test_local_input_variance_is_one_over_fan_in():
    c = neurosim.compile(T.local(20, 20, radius=1, input_radius=2, seed=3))
    fan = c.w_in_mask.sum(1)
    z = (c.w_in * np.sqrt(fan)[:, None])[c.w_in_mask]
    assert abs(z.var() - 1) < 5 * np.sqrt(2 / z.size)


def test_symmetric_is_exactly_symmetric_with_core_variance():
    n, rho = 300, 0.5
    c = neurosim.compile(T.symmetric(n, rho=rho, j_d=0.2, seed=9))
    M = c.coupling_matrix()
    assert np.array_equal(M, M.T)
    assert np.all(np.diag(M) == 0.2)
    off = M[~np.eye(n, dtype=bool)]
    nz = off[off != 0]
    assert abs(nz.size / off.size - rho) < 0.02
    assert abs(nz.var() * rho * n - 1) < 5 * np.sqrt(4 / nz.size)


def test_symmetric_sym0_dense_matches_recipe():
    c = neurosim.compile(T.symmetric(50, seed=0))
    J = c.learnable().toarray()
    assert np.count_nonzero(J) == 50 * 49 and np.array_equal(J, J.T)


def test_no_input_no_classes_by_default_and_lams_recorded():
    net = T.core(20, seed=0, lam_x=0.5, lam_y=2.0)
    c = neurosim.compile(net)
    assert c.input_dim == 0 and c.n_classes == 0
    assert (c.lam_x, c.lam_y) == (0.5, 2.0)


BAD = [
    (T.core, dict(n=0), "n"),
    (T.core, dict(n=2.5), "n"),
    (T.core, dict(n=10, rho=1.5), "rho"),
    (T.core, dict(n=10, rho=-0.1), "rho"),
    (T.core, dict(n=10, j_d=-1), "j_d"),
    (T.core, dict(n=10, seed=-1), "seed"),
    (T.core, dict(n=10, input_dim=0), "input_dim"),
    (T.core, dict(n=10, n_classes=-2), "n_classes"),
    (T.core, dict(n=10, rho_in=2.0), "rho_in"),
    (T.core, dict(n=10, lam_x=float("nan")), "lam_x"),
    (T.core, dict(n=10, bogus=1), "bogus"),
    (T.chain, dict(layers=0, n=10), "layers"),
    (T.chain, dict(layers=2, n=10, lam=-1), "lam"),
    (T.chain, dict(layers=2, n=10, lam_l=-1), "lam_l"),
    (T.chain, dict(layers=2, n=10, lam_r=float("inf")), "lam_r"),
    (T.fc_chain, dict(layers=-1, n=10), "layers"),
    (T.fc_chain, dict(layers=2, n=10, rho=2), "rho"),
    (T.skip, dict(layers=2, n=0), "n"),
    (T.ensemble, dict(n=10, lam=-0.5), "lam"),
    (T.local, dict(height=0, width=3), "height"),
    (T.local, dict(height=3, width=3, radius=-1), "radius"),
    (T.local, dict(height=3, width=3, input_radius=1.5), "input_radius"),
    (T.symmetric, dict(n=10, j_d=-0.1), "j_d"),
]


@pytest.mark.parametrize("fn,kwargs,arg", BAD, ids=[f"{f.__name__}-{a}" for f, _, a in BAD])
def test_bad_arguments_name_the_argument(fn, kwargs, arg):
    with pytest.raises(ValueError, match=arg):
        fn(**kwargs)


def test_unknown_topology_lists_the_known_ones():
    with pytest.raises(ValueError, match="'ring'") as err:
        T.build("ring", n=10)
    assert all(name in str(err.value) for name in T.TOPOLOGIES)
    assert neurosim.compile(T.build("core", n=10)).n == 10
