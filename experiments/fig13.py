"""Fig. 13 (SM-G, "Landscape analysis"): normalised distances along interpolated
trajectories between the attractors of two training inputs, before and after
training (the same core module and protocol as Fig. 12: Table VI, N = 1600,
J_D = 0.5, lambda_x 2, lambda_y 0.9, 30 epochs on Entangled-MNIST).

For a pair (x_mu, x_nu) of training inputs of different classes the inputs
x_tau are drawn at normalised distance tau along the Hamming geodesic from x_mu
to x_nu (Eq. 96, one random ordering of the differing positions per resample)
and each is relaxed under Eq. 95 to s*_tau. The trajectory distance is

    D(tau_1, tau_2) = d(s*_tau1, s*_tau2) / d(s*_mu, s*_nu)          (Eq. 99)

averaged over resamples; D(0, 1) = 1. The normalised path length
sum_k D(tau_k, tau_k+1) is 1 when the attractors move monotonically along a
shortest Hamming path and grows as the trajectory wanders. The paper shows
heatmaps of D for representative pairs: after training the trajectories are
shorter and closer to the geodesic (no numbers are given).
"""
import numpy as np

from . import _common as C

TITLE = "Fig. 13: normalised distances along interpolated trajectories before / after training"
PAPER_REF = "SM-G, Fig. 13 and Eq. 99 (core, N = 1600, Table VI hyperparameters, Entangled-MNIST)"
PAPER = {"statement": "after training, trajectories between attractors show shorter paths, closer to the "
                      "geodesic (heatmaps of representative pairs; no numbers)"}

QUICK = dict(C.LANDSCAPE_QUICK, n_pairs=20, n_show=3, n_taus=11, n_resamples=4)
FULL = dict(C.LANDSCAPE_FULL, n_pairs=200, n_show=4, n_taus=21, n_resamples=8)


def pick_pairs(labels, n_pairs, seed):
    """``n_pairs`` random pairs (mu, nu) of training samples with different labels."""
    rng = np.random.default_rng([seed, 13])
    pairs = []
    while len(pairs) < n_pairs:
        a, b = rng.choice(len(labels), size=2, replace=False)
        if labels[a] != labels[b]:
            pairs.append((a, b))
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


def path_length(D):
    """Normalised length sum_k D(tau_k, tau_k+1) of the trajectories D [..., T, T]."""
    t = np.arange(D.shape[-1] - 1)
    return D[..., t, t + 1].sum(axis=-1)


def trajectories(cn, data, p):
    """Mean D [n_pairs, T, T] over resamples, the path length of each pair (mean
    over resamples) and its curvature kappa (Eq. 98)."""
    from neurosim.analysis import interpolation_path
    x = np.asarray(data.x_train, dtype=np.float64)
    pairs = pick_pairs(data.y_train, p["n_pairs"], p["seed"])
    taus = np.linspace(0.0, 1.0, p["n_taus"])
    D = np.empty((len(pairs), len(taus), len(taus)))
    length, kappa = np.empty(len(pairs)), np.empty(len(pairs))
    for k, (a, b) in enumerate(pairs):
        path = interpolation_path(cn, x[a], x[b], taus, p["n_resamples"], seed=p["seed"] + k + 1, lam_x=p["lam_x"],
                                  max_steps=p["max_steps"])
        d = path.distances()
        D[k] = d.mean(axis=0)
        length[k] = path_length(d).mean()
        kappa[k] = path.kappa
    return {"pairs": pairs, "labels": data.y_train[pairs], "D": D, "length": length, "kappa": kappa}


def run(quick=True, out_dir=".", **overrides):
    p = C.settings(quick, QUICK, FULL, overrides)
    out = C.Outputs("fig13", out_dir)
    clock = C.Stopwatch()
    res, acc = C.before_after(p, trajectories)
    seconds = clock()
    C.write_h5(out.h5, {**res, "taus": np.linspace(0.0, 1.0, p["n_taus"]), "train_accuracy": acc[0],
                        "val_accuracy": acc[1]},
               attrs={"experiment": "fig13", "quick": quick, "params": p,
                      "D": "[pair, tau_1, tau_2], Eq. 99 averaged over resamples; length: sum_k D(tau_k, tau_k+1)"})
    draw(out.png, p, res)
    C.write_text(out.md, summary(p, res, acc, quick, seconds))
    ours = {"mean_length": {k: float(np.nanmean(r["length"])) for k, r in res.items()},
            "shorter_after": float(np.nanmean(res["after"]["length"] < res["before"]["length"])),
            "kappa_mean": {k: float(np.nanmean(r["kappa"])) for k, r in res.items()},
            "train_accuracy": float(acc[0]), "val_accuracy": float(acc[1])}
    return C.result(out, quick, seconds, p, ours, PAPER)


def summary(p, res, acc, quick, seconds):
    rows = [[k, f"{np.nanmean(r['length']):.3f}", f"{np.nanmedian(r['length']):.3f}",
             f"{np.nanmean(r['kappa']):.3f}"] for k, r in res.items()]
    shorter = np.nanmean(res["after"]["length"] < res["before"]["length"])
    shown = [f"pair {k} (labels {a} → {b}): length {res['before']['length'][k]:.2f} → "
             f"{res['after']['length'][k]:.2f}" for k, (a, b) in enumerate(res["before"]["labels"][:p["n_show"]])]
    body = ("Core of N = {n} (rho = {rho}, J_D = {jd}), {ep} epochs on {t} samples (train {a:.3f} / validation "
            "{b:.3f}). {np_} random pairs of training inputs with different labels, {nt} values of τ, {nr} "
            "resamples; the same pairs and resamples before and after training.\n\n"
            .format(n=p["n"], rho=p["rho"], jd=p["j_d"], ep=p["epochs"], t=p["train_size"], a=acc[0], b=acc[1],
                    np_=p["n_pairs"], nt=p["n_taus"], nr=p["n_resamples"])
            + "Normalised trajectory length Σ_k D(τ_k, τ_k+1) (1 = monotone along a shortest path):\n\n"
            + C.md_table(["", "mean length", "median length", "mean κ (Eq. 98)"], rows)
            + f"\n\nShorter after training for {shorter:.0%} of the pairs. Heatmaps: "
            + "; ".join(shown) + f".\n\nPaper: {PAPER['statement']}.")
    gaps = ("- Size: N = {n} (paper 1600), {ep} epochs on {t} samples (paper 30 on 60000).\n"
            "- The paper shows heatmaps only; the path length is our summary of them. The shortening it describes "
            "is reproduced for {s:.0%} of our pairs.\n"
            "- Which pairs the paper shows, and how many τ values and resamples it used, is not stated; ours are "
            "random pairs of different labels. The density of J is not stated either; we use rho = {rho}.").format(
        n=p["n"], ep=p["epochs"], t=p["train_size"], s=shorter, rho=p["rho"])
    return C.summary_text(TITLE, PAPER_REF, quick, seconds, p, body, gaps)


def draw(path, p, res):
    n_show = min(p["n_show"], len(res["before"]["D"]))
    fig, axes = C.new_figure(ncols=4, nrows=max(n_show, 2), width=3.3, height=2.9)
    taus = np.linspace(0.0, 1.0, p["n_taus"])
    top = max(np.nanmax(res[k]["D"][:n_show]) for k in res)
    extent = (taus[0], taus[-1], taus[-1], taus[0])
    for row in range(n_show):
        a, b = res["before"]["labels"][row]
        for col, k in enumerate(("before", "after")):
            ax = axes[row, col]
            im = ax.imshow(res[k]["D"][row], vmin=0.0, vmax=top, cmap="viridis", extent=extent)
            ax.set_title(f"{k}: labels {a}→{b}, length {res[k]['length'][row]:.2f}", fontsize=8)
            ax.set_xlabel("τ₂", fontsize=8)
            ax.set_ylabel("τ₁", fontsize=8)
        fig.colorbar(im, ax=axes[row, :2], shrink=0.9, label="D(τ₁, τ₂)")
        ax = axes[row, 2]
        for k, color in (("before", "tab:green"), ("after", "tab:blue")):
            ax.plot(taus, res[k]["D"][row][0], "o-", ms=3, color=color, label=f"{k}: D(0, τ)")
            ax.plot(taus, res[k]["D"][row][-1], "s--", ms=3, color=color, label=f"{k}: D(τ, 1)")
        ax.plot(taus, taus, "k:", lw=1, label="geodesic")
        ax.set_xlabel("τ", fontsize=8)
        ax.set_title("distance to the endpoints", fontsize=8)
        if row == 0:
            ax.legend(fontsize=6)
    scatter = (("length", "path length Σ D(τ_k, τ_k+1)"), ("kappa", "curvature κ (Eq. 98)"))
    for row, (key, name) in enumerate(scatter):
        ax = axes[row, 3]
        before, after = res["before"][key], res["after"][key]
        ax.scatter(before, after, s=12, color="tab:purple")
        lim = (min(np.nanmin(before), np.nanmin(after), 1.0), max(np.nanmax(before), np.nanmax(after)))
        ax.plot(lim, lim, "k:", lw=1)
        ax.set_xlabel(f"before: {name}", fontsize=8)
        ax.set_ylabel("after", fontsize=8)
        ax.set_title(f"all {len(before)} pairs", fontsize=8)
    for ax in axes[2:, 3]:
        ax.set_axis_off()
    for ax in axes[n_show:, :3].ravel():
        ax.set_axis_off()
    C.save_figure(fig, path)
