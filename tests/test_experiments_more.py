"""Experiments fig2, fig3, fig4, fig10, fig11, fig12, fig13, fig15 and continuous at reduced quick settings:
the three files are written and one qualitative fact each holds."""
import numpy as np
import pytest

from conftest import check_files


def test_fig3_ensemble_learns_at_every_point(pkg, common, tmp_path):
    res = pkg.run("fig3", quick=True, out_dir=tmp_path, n=60, j_ds=[0.0, 1.0], lams=[0.0, 1.0], train_size=1000,
                  val_size=200, epochs=1)
    tree, _ = check_files(res, common)
    # J_D = lambda = 0 is the same network in both sweeps: trained once, stored twice.
    assert tree["vs_j_d"]["val"][0, 0] == tree["vs_lam"]["val"][0, 0]
    # Both cores see input and readout, so even J_D = lambda = 0 learns above chance (the paper's remark).
    for k in ("vs_j_d", "vs_lam"):
        assert np.all(tree[k]["val"] > 2 * common.CHANCE)


def test_fig11_symmetry_levels(pkg, common, tmp_path):
    res = pkg.run("fig11", quick=True, out_dir=tmp_path, n=60, epochs=1, train_size=1000, val_size=200)
    tree, _ = check_files(res, common)
    for key, r in tree.items():
        if key == "attrs":
            continue
        lv = r["symmetry_level"]
        assert lv.shape == (2,)
        if r["init"] == "sym0":
            assert lv[0] == pytest.approx(1.0, abs=1e-12)     # (G + G^T)/sqrt(2) is symmetric
            assert lv[1] < 1.0 - 1e-3                         # Eq. 89 gates row i on s_i only
        else:
            assert abs(lv[0]) < 0.1                           # i.i.d. Gaussian: ||S|| ~ ||A||


def test_fig10_sym1_sym2_keep_symmetry(pkg, common, tmp_path):
    res = pkg.run("fig10", quick=True, out_dir=tmp_path, n=60, j_ds=[0.5], epochs=1, train_size=1000, val_size=200)
    tree, _ = check_files(res, common)
    for v in ("sym1", "sym2"):
        np.testing.assert_allclose(tree[v]["symmetry_end"], 1.0, atol=1e-9)
    assert np.all(tree["sym0"]["symmetry_init"] == pytest.approx(1.0, abs=1e-12))
    assert np.all(tree["sym0"]["symmetry_end"] < 1.0 - 1e-3)
    assert np.all(tree["asym"]["val"] > 2 * common.CHANCE)


def test_fig15_similarity_matrix(pkg, common, tmp_path):
    res = pkg.run("fig15", quick=True, out_dir=tmp_path, n=100, train_size=3000, val_size=200, epochs=2,
                  n_patterns=100)
    tree, _ = check_files(res, common)
    for k in ("before", "after"):
        S = tree[k]["matrix"]
        assert S.shape == (100, 100)
        np.testing.assert_array_equal(np.diag(S), 1.0)
        np.testing.assert_allclose(S, S.T)
        assert tree[k]["within"] > tree[k]["between"]   # same-label inputs are already closer
    assert np.all(np.diff(tree["labels_sorted"]) >= 0)
    assert tree["after"]["contrast"] > tree["before"]["contrast"]   # training sharpens the label blocks


def test_fig12_curvature_and_displacement(pkg, common, tmp_path):
    res = pkg.run("fig12", quick=True, out_dir=tmp_path, n=100, train_size=3000, val_size=200, epochs=2,
                  n_pairs=8, n_taus=6, n_resamples=2, n_states=50, p_noise=[0.0, 0.1], noise_samples=1)
    tree, _ = check_files(res, common)
    for k in ("before", "after"):
        kappa = tree[k]["kappa"]
        assert np.all(kappa[np.isfinite(kappa)] >= 1.0 - 1e-12)   # triangle inequality (Eq. 97)
        d = tree[k]["displacement"]
        # noise level 0 restarts from s*: displacement 0 wherever s* is a fixed point
        assert np.all(d[0][tree[k]["converged_states"]] == 0.0)
    assert np.nanmean(tree["after"]["kappa"]) < np.nanmean(tree["before"]["kappa"])


def test_fig13_trajectory_distances(pkg, common, tmp_path):
    res = pkg.run("fig13", quick=True, out_dir=tmp_path, n=100, train_size=3000, val_size=200, epochs=2,
                  n_pairs=6, n_show=2, n_taus=6, n_resamples=2)
    tree, _ = check_files(res, common)
    for k in ("before", "after"):
        D = tree[k]["D"]
        assert D.shape == (6, 6, 6)
        np.testing.assert_array_equal(D[:, np.arange(6), np.arange(6)], 0.0)   # D(tau, tau) = 0
        np.testing.assert_allclose(D, np.swapaxes(D, 1, 2))                    # symmetric
        np.testing.assert_allclose(D[:, 0, -1], 1.0)                           # D(0, 1) = 1 (Eq. 99)
        assert np.all(tree[k]["length"] >= 1.0 - 1e-12)                         # triangle inequality
        assert np.all(tree[k]["labels"][:, 0] != tree[k]["labels"][:, 1])
    assert np.mean(tree["after"]["length"]) < np.mean(tree["before"]["length"])   # trained paths are shorter


def test_fig4_internal_entropy_curves(pkg, common, tmp_path):
    # the two-layer curves cost seconds each (their shapes are checked in test_theory.py)
    res = pkg.run("fig4", quick=True, out_dir=tmp_path, n_d=12, chain_cases=[])
    tree, _ = check_files(res, common)
    curves = {c["label"]: c for c in tree["curves"].values()}
    for c in curves.values():
        d, s = c["d"], c["s_internal"]
        assert np.all(s <= c["ball_entropy"] + 1e-12)      # never more than the whole Hamming ball: S_I -> 0 at d = 0
        assert 0.0 < s[0] < 0.01
        assert s[-1] == pytest.approx(c["plateau"], abs=1e-12) and d[-1] == 0.5   # typical fixed points at d = 1/2
    # OGP below J_Dc ~ 0.07, RM above it (End Matter)
    assert not curves["core J_D = 0.05"]["monotonic"] and curves["core J_D = 0.1"]["monotonic"]
    assert np.all(curves["core J_D = 0.1"]["s_internal"] > curves["core J_D = 0.05"]["s_internal"])
    assert abs(tree["j_dc"] - 0.07) < 0.005


def test_continuous_and_discrete_training_both_learn(pkg, common, tmp_path):
    res = pkg.run("continuous", quick=True, out_dir=tmp_path, runs=["discrete", "hard-event"], n=100,
                  train_size=1500, val_size=200, epochs=1)
    tree, md = check_files(res, common)
    for name in ("discrete", "hard-event"):
        r = tree[name]
        assert r["val_accuracy"][-1] > 3 * common.CHANCE and r["other_val_accuracy"] > 3 * common.CHANCE
        assert r["converged_free"][-1] > 0.9          # both dynamics reach fixed points in the free phase
    assert tree["discrete"]["other_inference"] == "hard-euler" and tree["hard-event"]["other_inference"] == "discrete"
    assert "| hard-event |" in md
    with pytest.raises(ValueError, match="unknown dynamics"):
        pkg.run("continuous", quick=True, out_dir=tmp_path, runs=["nope"])


def test_fig2_core_vs_mlp_falls_back_to_entangled_mnist(pkg, common, tmp_path):
    from neurosim.learning.mlp import mlp_parameters
    res = pkg.run("fig2", quick=True, out_dir=tmp_path / "out", data_dir=str(tmp_path / "no-data"), ns=[100, 200],
                  train_size=2000, val_size=300, epochs=4, mlp_epochs=5)
    tree, md = check_files(res, common)
    assert sorted(tree["missing"]) == ["fashion-mnist", "mnist", "tiny-imagenet-features"]
    assert "MNIST not found" in md and "Tiny-ImageNet features not found" in md
    r = tree["entangled-mnist"]
    # the MLP's width is the one whose parameter count is closest: within half a width step (< 3 % here)
    width, ours, mlp = r["mlp"]["width"], r["ours"]["params"], r["mlp"]["params"]
    half_step = (mlp_parameters(100, width + 1, 10) - mlp_parameters(100, width, 10)) / 2
    assert np.all(np.abs(mlp - ours) <= half_step) and np.all(np.abs(mlp - ours) < 0.03 * ours)
    np.testing.assert_array_equal(mlp, mlp_parameters(100, width, 10))
    for model in ("ours", "mlp"):
        assert np.all(r[model]["test"] > 2 * r["chance"]), (model, r[model]["test"])
