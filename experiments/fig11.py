"""Fig. 11 (SM-F, "Evolution of symmetry"): the symmetry level of the internal
couplings, rho_sym = (||S|| - ||A||) / (||S|| + ||A||) (Eq. 94, S and A the
symmetric and antisymmetric parts of J), during training of a core module on
Entangled-MNIST, for J_D = 0 and 0.5, the full and the approximate algorithm,
and two initialisations: asym (i.i.d. Gaussian J, rho = 1, level ~ 0) and sym0
(J = (G + G^T)/sqrt(2), level 1).

The plasticity rule (Eq. 89) gates each row i on s_i's own margin, so it is not
symmetric: from sym0 the level can only fall, from asym it moves with the
learned (Hebbian-like, s_i s_j) component. rho_sym is measured on the
learnable off-diagonal couplings (``analysis.symmetry_level``); the fixed
diagonal J_D is excluded.

Hyperparameters: Table VI (lambda_x 2, lambda_y 0.9, eta_J 0.005, eta_in 0.01,
eta_out 0.01, kappa_J = 0.9 + J_D, kappa_in = kappa_out = 3, 5 steps a phase).
"""
import numpy as np

from . import _common as C

TITLE = "Fig. 11: symmetry level (Eq. 94) of J during training"
PAPER_REF = "SM-F, Fig. 11 (core module, Entangled-MNIST; left asym init, right sym0 init)"
PAPER = {"statements": "rho = 1 for a symmetric, -1 for an antisymmetric, ~0 for an i.i.d. Gaussian matrix; "
                       "the figure shows the level of asym and sym0 initialisations evolving during training "
                       "for J_D = 0, 0.5 and full / approximate training (no numbers in the text)"}
INITS = ("asym", "sym0")
SCHEMES = ("full", "approximate")

QUICK = dict(n=150, j_ds=(0.0, 0.5), seed=0, lam_x=2.0, lam_y=0.9, train_size=3000, val_size=500, epochs=3,
             batch_size=16, seed_data=0)
FULL = dict(n=1600, j_ds=(0.0, 0.5), seed=0, lam_x=2.0, lam_y=0.9, train_size=60000, val_size=10000, epochs=20,
            batch_size=16, seed_data=0)


def make_trainer(p, init, j_d, approximate=False, variant="asym"):
    """A fully connected core (``init`` "asym": topologies.core with rho = 1;
    "sym0": topologies.symmetric) and its Trainer with Table VI's settings."""
    import neurosim as ns
    from neurosim import topologies
    from neurosim.learning import Trainer, TrainConfig
    build = topologies.core if init == "asym" else topologies.symmetric
    net = build(p["n"], rho=1.0, j_d=j_d, seed=p["seed"], input_dim=100, n_classes=10, lam_x=p["lam_x"],
                lam_y=p["lam_y"], **C.network_kw(p["protocol"]))
    cfg = C.table_vi_config(j_d, p["epochs"], batch_size=p["batch_size"], approximate=approximate, variant=variant,
                            **C.reading(p))
    return Trainer(ns.compile(net), TrainConfig(seed=p["seed"], **cfg))


def symmetry_history(trainer, data, val):
    """(levels [epochs + 1] with epoch 0 = initialisation, history rows)."""
    from neurosim.analysis import symmetry_level
    levels = [symmetry_level(trainer.cn)]
    hist = trainer.fit(data, validation=val, on_epoch=lambda tr, row: levels.append(symmetry_level(tr.cn)))
    return np.array(levels), hist


def run(quick=True, out_dir=".", **overrides):
    p = C.settings(quick, QUICK, FULL, overrides)
    out = C.Outputs("fig11", out_dir)
    clock = C.Stopwatch()
    data, val = C.entangled(p["train_size"], p["val_size"], seed=p["seed_data"], protocol=p["protocol"])
    tree, ours = {}, {}
    for init in INITS:
        for j_d in p["j_ds"]:
            for scheme in SCHEMES:
                tr = make_trainer(p, init, j_d, approximate=scheme == "approximate")
                levels, hist = symmetry_history(tr, data, val)
                key = f"{init}_jd{j_d:g}_{scheme}"
                tree[key] = {"init": init, "j_d": float(j_d), "scheme": scheme, "symmetry_level": levels,
                             "train_accuracy": np.array([h["train_accuracy"] for h in hist]),
                             "val_accuracy": np.array([h["val_accuracy"] for h in hist])}
                ours[key] = {"init_level": float(levels[0]), "final_level": float(levels[-1]),
                             "val_accuracy": float(hist[-1]["val_accuracy"])}
    seconds = clock()
    C.write_h5(out.h5, tree, attrs={"experiment": "fig11", "quick": quick, "params": p,
                                    "symmetry_level": "[epochs + 1], index 0 = initialisation"})
    draw(out.png, p, tree)
    C.write_text(out.md, summary(p, tree, quick, seconds))
    return C.result(out, quick, seconds, p, ours, PAPER)


def summary(p, tree, quick, seconds):
    rows = []
    for key, r in tree.items():
        lv = r["symmetry_level"]
        rows.append([r["init"], f"{r['j_d']:g}", r["scheme"], f"{lv[0]:.3f}", f"{lv[1]:.3f}", f"{lv[-1]:.3f}",
                     f"{r['val_accuracy'][-1]:.3f}"])
    body = ("Core of N = {n}, {ep} epochs on {t} samples (seed {s}).\n\n".format(
        n=p["n"], ep=p["epochs"], t=p["train_size"], s=p["seed"])
        + C.md_table(["init", "J_D", "training", "ρ_sym at init", "after epoch 1", f"after epoch {p['epochs']}",
                      "val acc"], rows)
        + f"\n\nPaper: {PAPER['statements']}.")
    gaps = ("- Size: N = {n} (paper: N not stated for Fig. 11; its landscape runs use 1600), {t} samples, "
            "{ep} epochs.\n"
            "- The paper's curves are given only as a figure; we check the end points: asym starts at ~0 "
            "(i.i.d. Gaussian, finite-N deviation ~ 1/N) and sym0 at exactly 1, and the asymmetric rule then "
            "moves both towards each other.\n"
            "- ρ_sym excludes the fixed diagonal J_D (with it, J_D = 0.5 would push every level towards 1; "
            "see neurosim.analysis.symmetry).").format(n=p["n"], t=p["train_size"], ep=p["epochs"])
    return C.summary_text(TITLE, PAPER_REF, quick, seconds, p, body, gaps)


def draw(path, p, tree):
    fig, axes = C.new_figure(ncols=2, width=4.4, height=3.6)
    for ax, init in zip(axes[0], INITS):
        k = 0
        for j_d in p["j_ds"]:
            for scheme, style in zip(SCHEMES, ("o-", "s--")):
                r = tree[f"{init}_jd{j_d:g}_{scheme}"]
                lv = r["symmetry_level"]
                ax.plot(np.arange(lv.size), lv, style, color=f"C{k}", label=f"J_D = {j_d:g}, {scheme}")
            k += 1
        ax.set_xlabel("epoch (0 = initialisation)")
        ax.set_ylabel("symmetry level ρ_sym (Eq. 94)")
        ax.set_ylim(-0.1, 1.05)
        ax.axhline(0.0, color="k", lw=0.5)
        ax.set_title(f"{init} initialisation, N = {p['n']}", fontsize=9)
        ax.legend(fontsize=7)
    C.save_figure(fig, path)
