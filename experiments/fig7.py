"""Fig. 7 (SM-C, "Approximate training scheme"): training and validation
accuracy of the full Algorithm 1 and of the approximate scheme, which skips the
free relaxation and applies the plasticity at s* := s', over J_D in [0.1, 0.9]
for N = 400 and 1600 (paper: two runs, 100 epochs each).

The paper: the approximation keeps the accuracy at N ~ 400, costs a measurable
amount at large N (N ~ 3200) in the classification-optimal J_D range, and still
learns at small J_D (~0.1) where the full model is unstable.

Hyperparameters: Table VI (lambda_x 2, lambda_y 0.9, eta_J 0.005, eta_in 0.01,
eta_out 0.01, kappa_J = 0.9 + J_D, kappa_in = kappa_out = 3, 5 steps a phase).
"""
import numpy as np

from . import _common as C

TITLE = "Fig. 7: full vs approximate training over J_D"
PAPER_REF = "SM-C, Fig. 7 (core module, Entangled-MNIST, N = 400 and 1600, 2 runs x 100 epochs)"
PAPER = {"statements": "approximate ~ full at N ~ 400; approximate below full at large N near the optimal J_D; "
                       "approximate still learns at J_D ~ 0.1"}
SCHEMES = ("full", "approximate")

QUICK = dict(ns=(100, 400), j_ds=(0.1, 0.5, 0.9), seeds=(0,), rho=0.1, lam_x=2.0, lam_y=0.9, train_size=3000,
             val_size=1000, epochs=2, batch_size=16, seed_data=0)
FULL = dict(ns=(400, 1600), j_ds=tuple(np.round(np.linspace(0.1, 0.9, 9), 3)), seeds=(0, 1), rho=0.1, lam_x=2.0,
            lam_y=0.9, train_size=60000, val_size=10000, epochs=100, batch_size=16, seed_data=0)


def run(quick=True, out_dir=".", **overrides):
    p = C.settings(quick, QUICK, FULL, overrides)
    out = C.Outputs("fig7", out_dir)
    clock = C.Stopwatch()
    data, val = C.entangled(p["train_size"], p["val_size"], seed=p["seed_data"], protocol=p["protocol"])
    shape = (len(p["ns"]), len(p["j_ds"]), len(p["seeds"]))
    acc = {s: {"train": np.full(shape, np.nan), "val": np.full(shape, np.nan)} for s in SCHEMES}
    for a, n in enumerate(p["ns"]):
        for b, j_d in enumerate(p["j_ds"]):
            for c, seed in enumerate(p["seeds"]):
                for scheme in SCHEMES:
                    cfg = C.table_vi_config(j_d, p["epochs"], batch_size=p["batch_size"],
                                            approximate=scheme == "approximate", **C.reading(p))
                    tr = C.core_trainer(n, j_d, p["lam_x"], p["lam_y"], p["rho"], seed, **cfg)
                    h = tr.fit(data, validation=val)
                    acc[scheme]["train"][a, b, c] = h[-1]["train_accuracy"]
                    acc[scheme]["val"][a, b, c] = h[-1]["val_accuracy"]
    seconds = clock()
    C.write_h5(out.h5, {"n": np.array(p["ns"]), "j_d": np.array(p["j_ds"], float), "seed": np.array(p["seeds"]),
                        **{s: acc[s] for s in SCHEMES}},
               attrs={"experiment": "fig7", "quick": quick, "params": p, "axes": "[n, j_d, seed]"})
    draw(out.png, p, acc)
    C.write_text(out.md, summary(p, acc, quick, seconds))
    ours = {s: {f"N={n}": {f"J_D={j}": float(np.mean(acc[s]["val"][a, b])) for b, j in enumerate(p["j_ds"])}
                for a, n in enumerate(p["ns"])} for s in SCHEMES}
    return C.result(out, quick, seconds, p, ours, PAPER)


def summary(p, acc, quick, seconds):
    rows = []
    for a, n in enumerate(p["ns"]):
        for b, j_d in enumerate(p["j_ds"]):
            rows.append([n, j_d] + [f"{np.mean(acc[s]['train'][a, b]):.3f} / {np.mean(acc[s]['val'][a, b]):.3f}"
                                    for s in SCHEMES])
    body = ("Train / validation accuracy (mean over seeds {seeds}) after {ep} epochs on {t} samples:\n\n"
            .format(seeds=list(p["seeds"]), ep=p["epochs"], t=p["train_size"])
            + C.md_table(["N", "J_D", "full", "approximate (s* := s')"], rows)
            + f"\n\nPaper: {PAPER['statements']}.")
    gaps = ("- N = {ns}, {ep} epochs on {t} samples (paper: N = 400 and 1600, 100 epochs on 60000, two runs).\n"
            "- The paper's figure gives no numbers in the text; compare the shapes.\n"
            "- Fig. 7's own hyperparameters are not stated; we use Table VI's.").format(
        ns=list(p["ns"]), ep=p["epochs"], t=p["train_size"])
    return C.summary_text(TITLE, PAPER_REF, quick, seconds, p, body, gaps)


def draw(path, p, acc):
    fig, axes = C.new_figure(ncols=2, width=4.6, height=3.6)
    for ax, key, name in ((axes[0, 0], "train", "training"), (axes[0, 1], "val", "validation")):
        for a, n in enumerate(p["ns"]):
            for s, style in zip(SCHEMES, ("o-", "s--")):
                m = acc[s][key][a].mean(axis=1)
                ax.plot(p["j_ds"], m, style, color=f"C{a}", label=f"{s}, N = {n}")
        ax.axhline(C.CHANCE, color="k", ls=":", lw=1)
        ax.set_ylim(0, 1)
        ax.set_xlabel("self-coupling J_D")
        ax.set_ylabel(f"{name} accuracy")
        ax.set_title(f"{name} ({p['epochs']} epochs, {p['train_size']} samples)")
    axes[0, 0].legend(fontsize=7)
    C.save_figure(fig, path)
