"""Fig. 8 (SM-D, "Feature learning"): training and validation accuracy on
Entangled-MNIST against the feature dimension N for the trained core module,
a random-features perceptron and a reservoir, all read out linearly.

The baselines are special cases of the core module (Table V): the reservoir
freezes J and W_in (eta_J = eta_in = lambda_y = 0) and trains only the readout
on the fixed points of the free dynamics; random features additionally stop
after one step (max_iter = 1), so s = sgn(lambda_x W_in x). Hyperparameters:
Table V (J_D 0.5, eta_J 0.005, eta_in 0.03, eta_out 0.03, kappa_J 1.4,
kappa_in = kappa_out = 3, lambda_x 5, lambda_y 0.9, max_iter 5; paper 200 epochs).
The paper: the trained model consistently beats both baselines, most clearly at
small N.
"""
import dataclasses

import numpy as np

from . import _common as C

TITLE = "Fig. 8: trained core vs random features vs reservoir"
PAPER_REF = "SM-D, Fig. 8 and Table V (Entangled-MNIST)"
PAPER = {"statements": "ours > random features and reservoir in train and test accuracy at every N, "
                       "with the largest gains at small N (N = 100 ... 6400, 200 epochs)"}
MODELS = ("trained", "random_features", "reservoir")

QUICK = dict(ns=(50, 100, 200, 400), rho=0.1, j_d=0.5, lam_x=5.0, lam_y=0.9, train_size=4000, val_size=1000, epochs=3,
             batch_size=16, seed=0)
FULL = dict(ns=(100, 200, 400, 800, 1600, 3200), rho=0.1, j_d=0.5, lam_x=5.0, lam_y=0.9, train_size=60000,
            val_size=10000, epochs=200, batch_size=16, seed=0)


def trainer_for(model, n, p):
    from neurosim.learning import random_features, reservoir
    tr = C.core_trainer(n, p["j_d"], p["lam_x"], p["lam_y"], p["rho"], p["seed"],
                        **C.table_v_config(p["epochs"], j_d=p["j_d"], batch_size=p["batch_size"], **C.reading(p)))
    if model == "reservoir":
        tr.config = reservoir(tr.config).validated()
    elif model == "random_features":
        tr.config = random_features(tr.config).validated()
    return tr


def run(quick=True, out_dir=".", **overrides):
    p = C.settings(quick, QUICK, FULL, overrides)
    out = C.Outputs("fig8", out_dir)
    clock = C.Stopwatch()
    data, val = C.entangled(p["train_size"], p["val_size"], seed=p["seed"], protocol=p["protocol"])
    acc = {m: {"train": np.full(len(p["ns"]), np.nan), "val": np.full(len(p["ns"]), np.nan)} for m in MODELS}
    configs = {}
    for a, n in enumerate(p["ns"]):
        for m in MODELS:
            tr = trainer_for(m, n, p)
            configs[m] = dataclasses.asdict(tr.config)
            h = tr.fit(data, validation=val)
            acc[m]["train"][a], acc[m]["val"][a] = h[-1]["train_accuracy"], h[-1]["val_accuracy"]
    seconds = clock()
    C.write_h5(out.h5, {"n": np.array(p["ns"]), **{m: acc[m] for m in MODELS}},
               attrs={"experiment": "fig8", "quick": quick, "params": p, "train_configs": configs})
    draw(out.png, p, acc)
    C.write_text(out.md, summary(p, acc, quick, seconds))
    ours = {m: {f"N={n}": {"train": float(acc[m]["train"][a]), "val": float(acc[m]["val"][a])}
                for a, n in enumerate(p["ns"])} for m in MODELS}
    return C.result(out, quick, seconds, p, ours, PAPER)


def summary(p, acc, quick, seconds):
    rows = [[n] + [f"{acc[m]['train'][a]:.3f} / {acc[m]['val'][a]:.3f}" for m in MODELS]
            for a, n in enumerate(p["ns"])]
    gain = acc["trained"]["val"] - np.maximum(acc["random_features"]["val"], acc["reservoir"]["val"])
    body = ("Train / validation accuracy after {ep} epochs on {t} samples:\n\n".format(ep=p["epochs"],
                                                                                      t=p["train_size"])
            + C.md_table(["N", "trained (ours)", "random features", "reservoir"], rows)
            + "\n\nValidation gain of the trained model over the best baseline: "
            + ", ".join(f"N={n}: {g:+.3f}" for n, g in zip(p["ns"], gain))
            + f".\n\nPaper: {PAPER['statements']}.")
    gaps = ("- {ep} epochs on {t} samples (paper: 200 epochs on 60000); N = {ns}.\n"
            "- The density of J is not in Table V; we use rho = {rho}.\n"
            "- The paper gives no numbers in the text, only the figure; compare the ordering.").format(
        ep=p["epochs"], t=p["train_size"], ns=list(p["ns"]), rho=p["rho"])
    return C.summary_text(TITLE, PAPER_REF, quick, seconds, p, body, gaps)


def draw(path, p, acc):
    fig, axes = C.new_figure(ncols=2, width=4.6, height=3.6)
    style = {"trained": ("tab:blue", "ours (trained)"), "random_features": ("tab:orange", "random features"),
             "reservoir": ("tab:green", "reservoir")}
    for ax, key, name in ((axes[0, 0], "train", "training"), (axes[0, 1], "val", "validation")):
        for m in MODELS:
            ax.plot(p["ns"], acc[m][key], "o-", color=style[m][0], label=style[m][1])
        ax.set_xscale("log")
        ax.set_xlabel("feature dimension N")
        ax.set_ylabel(f"{name} accuracy")
        ax.set_title(f"{name} ({p['epochs']} epochs, {p['train_size']} samples)")
    axes[0, 0].legend(fontsize=8)
    C.save_figure(fig, path)
