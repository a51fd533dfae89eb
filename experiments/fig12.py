"""Fig. 12 (SM-G, "Landscape analysis"): the geometry of the stable states of a
core module (Table VI: N = 1600, J_D = 0.5, lambda_x 2, lambda_y 0.9, 30 epochs
on Entangled-MNIST) before and after training.

(a) Path curvature. For a pair of training inputs (x_mu, x_nu) the inputs x_tau
are drawn at normalised distance tau from x_mu along the Hamming geodesic to
x_nu (Eq. 96); each is relaxed under Eq. 95 (input field only, from 0) to
s*_tau, and C(tau) = [d(s*_mu, s*_tau) + d(s*_tau, s*_nu)] / d(s*_mu, s*_nu)
(Eq. 97); kappa = max over 0 < tau < 1 of C averaged over resamples (Eq. 98).
The paper: kappa falls from mean 1.367 (s.d. 0.027) at initialisation to 1.222
(s.d. 0.055) after training.

(b) Attractor displacement. Each stable state s*_mu is hit with spin-flip noise
of probability p_noise and relaxed again under the same input field;
Delta = d(s*_mu, s~*_mu). The paper: Delta is small (< 5 %) already before
training and shifts to smaller values after training (median and IQR shown).
"""
import numpy as np

from . import _common as C

TITLE = "Fig. 12: path curvature and attractor displacement before / after training"
PAPER_REF = "SM-G, Fig. 12 (core, N = 1600, Table VI hyperparameters, Entangled-MNIST)"
PAPER = {"kappa_mean": {"before": 1.367, "after": 1.222}, "kappa_sd": {"before": 0.027, "after": 0.055},
         "displacement": "below 5 % before training; smaller after training"}

QUICK = dict(C.LANDSCAPE_QUICK, n_pairs=20, n_taus=11, n_resamples=4, n_states=200,
             p_noise=(0.0, 0.05, 0.1, 0.2, 0.3, 0.4), noise_samples=2)
FULL = dict(C.LANDSCAPE_FULL, n_pairs=200, n_taus=21, n_resamples=8, n_states=1000,
            p_noise=(0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5), noise_samples=4)


def landscape(cn, data, p):
    """kappa [n_pairs], pairs, and the displacement percentiles [K, 3] (25, 50, 75)
    with the raw displacements [K, B, S], on the training inputs of ``data``."""
    from neurosim.analysis import attractor_displacement, pair_curvatures, stable_states
    x = np.asarray(data.x_train, dtype=np.float64)
    taus = np.linspace(0.0, 1.0, p["n_taus"])
    pairs, kappa = pair_curvatures(cn, x, p["n_pairs"], taus=taus, n_resamples=p["n_resamples"], seed=p["seed"],
                                   lam_x=p["lam_x"], max_steps=p["max_steps"])
    xs = x[:p["n_states"]]
    stable = stable_states(cn, x=xs, lam_x=p["lam_x"], max_steps=p["max_steps"])
    disp = attractor_displacement(cn, stable.states, p["p_noise"], x=xs, lam_x=p["lam_x"],
                                  n_samples=p["noise_samples"], seed=p["seed"], max_steps=p["max_steps"])
    return {"pairs": pairs, "kappa": kappa, "displacement": disp.displacement,
            "displacement_q": disp.summary((25, 50, 75)), "converged_states": stable.converged}


def run(quick=True, out_dir=".", **overrides):
    p = C.settings(quick, QUICK, FULL, overrides)
    out = C.Outputs("fig12", out_dir)
    clock = C.Stopwatch()
    res, acc = C.before_after(p, landscape)
    seconds = clock()
    C.write_h5(out.h5, {**res, "p_noise": np.array(p["p_noise"], float), "train_accuracy": acc[0],
                        "val_accuracy": acc[1]},
               attrs={"experiment": "fig12", "quick": quick, "params": p,
                      "displacement": "[noise level, state, noise sample]; displacement_q: [level, (25, 50, 75) %]"})
    draw(out.png, p, res)
    C.write_text(out.md, summary(p, res, acc, quick, seconds))
    ours = {"kappa_mean": {k: float(np.nanmean(r["kappa"])) for k, r in res.items()},
            "kappa_sd": {k: float(np.nanstd(r["kappa"])) for k, r in res.items()},
            "median_displacement": {k: {f"{q:g}": float(r["displacement_q"][i, 1]) for i, q in enumerate(p["p_noise"])}
                                    for k, r in res.items()},
            "train_accuracy": float(acc[0]), "val_accuracy": float(acc[1])}
    return C.result(out, quick, seconds, p, ours, PAPER)


def summary(p, res, acc, quick, seconds):
    krows = [[k, f"{np.nanmean(r['kappa']):.3f} (s.d. {np.nanstd(r['kappa']):.3f})",
              f"{PAPER['kappa_mean'][k]:.3f} (s.d. {PAPER['kappa_sd'][k]:.3f})"] for k, r in res.items()]
    drows = [[f"{q:g}"] + ["{1:.3f} [{0:.3f}, {2:.3f}]".format(*res[k]["displacement_q"][i]) for k in res]
             for i, q in enumerate(p["p_noise"])]
    body = ("Core of N = {n} (rho = {rho}, J_D = {jd}), {ep} epochs on {t} samples (train {a:.3f} / "
            "validation {b:.3f}). Curvature over {np_} random pairs of training inputs, {nt} values of τ, {nr} "
            "resamples; displacement over {ns} stable states × {nsm} noise samples.\n\n"
            .format(n=p["n"], rho=p["rho"], jd=p["j_d"], ep=p["epochs"], t=p["train_size"], a=acc[0], b=acc[1],
                    np_=p["n_pairs"], nt=p["n_taus"], nr=p["n_resamples"], ns=p["n_states"], nsm=p["noise_samples"])
            + "(a) Maximum normalised path curvature κ (Eq. 98):\n\n"
            + C.md_table(["", "ours: mean (s.d.)", "paper: mean (s.d.)"], krows)
            + "\n\n(b) Attractor displacement Δ, median [25 %, 75 %]:\n\n"
            + C.md_table(["p_noise", "before", "after"], drows)
            + f"\n\nPaper (b): {PAPER['displacement']}.")
    gaps = ("- Size: N = {n} (paper 1600), {ep} epochs on {t} samples (paper 30 on 60000), {np_} pairs.\n"
            "- κ: compare the direction (the paper's drop is 1.367 → 1.222) as well as the values; small N "
            "changes the level of κ.\n"
            "- Δ: before training our median displacement passes 5 % for p_noise >= 0.2 (the paper's "
            "'< 5 %' is for its N = 1600 network and its noise range); after training it is ~0 at every level, "
            "so the shift towards smaller Δ is reproduced, more strongly than in the paper.\n"
            "- The paper does not say how many pairs, τ values, resamples or noise samples it used, nor the "
            "density of J; we use rho = {rho}.").format(n=p["n"], ep=p["epochs"], t=p["train_size"],
                                                        np_=p["n_pairs"], rho=p["rho"])
    return C.summary_text(TITLE, PAPER_REF, quick, seconds, p, body, gaps)


def draw(path, p, res):
    fig, axes = C.new_figure(ncols=2, width=4.4, height=3.6)
    ax = axes[0, 0]
    colors = {"before": "tab:green", "after": "tab:blue"}
    k_all = np.concatenate([r["kappa"][np.isfinite(r["kappa"])] for r in res.values()])
    bins = np.linspace(min(1.0, k_all.min()), max(k_all.max(), 1.5), 25)
    for k, r in res.items():
        ax.hist(r["kappa"][np.isfinite(r["kappa"])], bins=bins, alpha=0.6, color=colors[k],
                label=f"{k} (ours, mean {np.nanmean(r['kappa']):.3f})")
        ax.axvline(PAPER["kappa_mean"][k], color=colors[k], ls="--", lw=1.2, label=f"paper mean {k}")
    ax.set_xlabel("max normalised path curvature κ (Eq. 98)")
    ax.set_ylabel("pairs")
    ax.set_title(f"(a) curvature, N = {p['n']}", fontsize=9)
    ax.legend(fontsize=7)
    ax = axes[0, 1]
    q = np.array(p["p_noise"], float)
    for k, r in res.items():
        d = r["displacement_q"]
        ax.plot(q, d[:, 1], "o-", color=colors[k], label=f"{k} (median)")
        ax.fill_between(q, d[:, 0], d[:, 2], color=colors[k], alpha=0.25)
    ax.axhline(0.05, color="k", ls=":", lw=1, label="5 % (paper: before < 5 %)")
    ax.set_xlabel("flip probability p_noise")
    ax.set_ylabel("attractor displacement Δ")
    ax.set_title("(b) displacement, median and IQR", fontsize=9)
    ax.legend(fontsize=7)
    C.save_figure(fig, path)
