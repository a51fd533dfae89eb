"""Fig. 3 (main text, SM-E): test accuracy of a two-layer ensemble on
Entangled-MNIST, once against the self-coupling J_D with the inter-layer
coupling lambda = 0, and once against lambda with J_D = 0.

The network is ``topologies.ensemble``: two independently initialised cores
joined homologously (Eq. 2) that both see the input and the supervision and
both feed the readout, so information reaches the output even at
J_D = lambda = 0. The paper: chance-level accuracy for small J_D and lambda,
then a sudden, large improvement as either grows (the onset of the RM).

Hyperparameters: Table VI (lambda_x 2, lambda_y 0.9, eta_J 0.005, eta_in 0.01,
eta_out 0.01, kappa_J = 0.9 + J_D, kappa_in = kappa_out = 3, 5 steps a phase);
the paper does not state Fig. 3's own.
"""
import numpy as np

from . import _common as C

TITLE = "Fig. 3: two-layer ensemble accuracy vs J_D (lambda = 0) and vs lambda (J_D = 0)"
PAPER_REF = "main text, Fig. 3 (2-layer chain / ensemble of two cores, Entangled-MNIST test set)"
PAPER = {"statements": "near chance for small J_D and lambda; accuracy jumps sharply once J_D or lambda "
                       "exceeds a threshold (curves given only as a figure, no numbers in the text)"}

QUICK = dict(n=150, rho=1.0, j_ds=(0.0, 0.25, 0.5, 0.75, 1.0), lams=(0.0, 0.25, 0.5, 0.75, 1.0), seeds=(0,),
             lam_x=2.0, lam_y=0.9, train_size=4000, val_size=1000, epochs=2, batch_size=16, seed_data=0)
FULL = dict(n=800, rho=1.0, j_ds=tuple(np.round(np.linspace(0.0, 1.0, 11), 3)),
            lams=tuple(np.round(np.linspace(0.0, 1.0, 11), 3)), seeds=(0, 1, 2), lam_x=2.0, lam_y=0.9,
            train_size=60000, val_size=10000, epochs=20, batch_size=16, seed_data=0)


def ensemble_trainer(p, j_d, lam, seed):
    import neurosim as ns
    from neurosim import topologies
    from neurosim.learning import Trainer, TrainConfig
    net = topologies.ensemble(p["n"], rho=p["rho"], j_d=j_d, lam=lam, seed=seed, input_dim=100, n_classes=10,
                              lam_x=p["lam_x"], lam_y=p["lam_y"], **C.network_kw(p["protocol"]))
    cfg = C.table_vi_config(j_d, p["epochs"], batch_size=p["batch_size"], **C.reading(p))
    return Trainer(ns.compile(net), TrainConfig(seed=seed, **cfg))


def run(quick=True, out_dir=".", **overrides):
    p = C.settings(quick, QUICK, FULL, overrides)
    out = C.Outputs("fig3", out_dir)
    clock = C.Stopwatch()
    data, val = C.entangled(p["train_size"], p["val_size"], seed=p["seed_data"], protocol=p["protocol"])
    cache = {}

    def point(j_d, lam, seed):
        key = (float(j_d), float(lam), int(seed))
        if key not in cache:
            h = ensemble_trainer(p, j_d, lam, seed).fit(data, validation=val)
            cache[key] = (h[-1]["train_accuracy"], h[-1]["val_accuracy"])
        return cache[key]

    sweeps = {"j_d": np.array(p["j_ds"], float), "lam": np.array(p["lams"], float)}
    acc = {}
    for name, values in sweeps.items():
        a = {"train": np.full((len(values), len(p["seeds"])), np.nan), "val": np.full((len(values), len(p["seeds"])), np.nan)}
        for i, v in enumerate(values):
            for c, seed in enumerate(p["seeds"]):
                tr_acc, va_acc = point(v if name == "j_d" else 0.0, v if name == "lam" else 0.0, seed)
                a["train"][i, c], a["val"][i, c] = tr_acc, va_acc
        acc[name] = a
    seconds = clock()
    C.write_h5(out.h5, {"vs_j_d": {"j_d": sweeps["j_d"], **acc["j_d"]},
                        "vs_lam": {"lam": sweeps["lam"], **acc["lam"]}, "seed": np.array(p["seeds"])},
               attrs={"experiment": "fig3", "quick": quick, "params": p,
                      "axes": "[value, seed]; vs_j_d has lambda = 0, vs_lam has J_D = 0"})
    draw(out.png, p, sweeps, acc)
    C.write_text(out.md, summary(p, sweeps, acc, quick, seconds))
    ours = {f"vs_{k}": {f"{v:g}": float(np.mean(acc[k]["val"][i])) for i, v in enumerate(sweeps[k])} for k in sweeps}
    return C.result(out, quick, seconds, p, ours, PAPER)


def summary(p, sweeps, acc, quick, seconds):
    parts = []
    for k, label in (("j_d", "J_D (λ = 0)"), ("lam", "λ (J_D = 0)")):
        rows = [[f"{v:g}", f"{np.mean(acc[k]['train'][i]):.3f}", f"{np.mean(acc[k]['val'][i]):.3f}"]
                for i, v in enumerate(sweeps[k])]
        parts.append(C.md_table([label, "train acc", "validation acc"], rows))
    spread = {k: float(np.ptp(acc[k]["val"].mean(axis=1))) for k in sweeps}
    body = ("Two cores of N = {n} each (rho = {rho}), {ep} epochs on {t} samples, mean over seeds {s}; "
            "validation = first {v} test samples.\n\n".format(n=p["n"], rho=p["rho"], ep=p["epochs"],
                                                             t=p["train_size"], s=list(p["seeds"]), v=p["val_size"])
            + "\n\n".join(parts)
            + "\n\nSpread (max - min) of validation accuracy: over J_D {a:.3f}, over λ {b:.3f}.\n\nPaper: {st}."
            .format(a=spread["j_d"], b=spread["lam"], st=PAPER["statements"]))
    gaps = ("- Size: N = {n} per core, {t} samples, {ep} epochs (paper: larger N, full data, more epochs; "
            "its exact N, density and epoch count for Fig. 3 are not stated).\n"
            "- The threshold at J_D = λ = 0: {verdict}.\n"
            "- kappa_J = 0.9 + J_D as in Table VI; along the λ sweep kappa_J stays 0.9 (the paper does not say "
            "whether it grows with λ; the authors' Fig. 3 configuration adds λ when λ_left = λ_right).").format(
        n=p["n"], t=p["train_size"], ep=p["epochs"],
        verdict=C.jd0_verdict(p["protocol"], float(np.mean(acc["j_d"]["val"][0])), float(np.max(
            [np.mean(acc[k]["val"][i]) for k in sweeps for i in range(len(sweeps[k]))])),
            where="J_D = λ = 0", ref="the best point of either sweep"))
    return C.summary_text(TITLE, PAPER_REF, quick, seconds, p, body, gaps)


def draw(path, p, sweeps, acc):
    fig, axes = C.new_figure(ncols=2, width=4.4, height=3.6)
    for ax, k, label in ((axes[0, 0], "j_d", "self-coupling J_D   (λ = 0)"), (axes[0, 1], "lam", "inter-layer λ   (J_D = 0)")):
        for key, style, name in (("train", "s--", "train"), ("val", "o-", "validation")):
            m = acc[k][key].mean(axis=1)
            sd = acc[k][key].std(axis=1)
            ax.errorbar(sweeps[k], m, yerr=sd, fmt=style, capsize=2, label=name)
        ax.axhline(C.CHANCE, color="k", ls=":", lw=1, label="chance")
        ax.set_ylim(0, 1)
        ax.set_xlabel(label)
        ax.set_ylabel("accuracy")
        ax.set_title(f"ensemble of 2 × N = {p['n']}, {p['epochs']} epochs", fontsize=9)
    axes[0, 0].legend(fontsize=7, loc="lower right")
    C.save_figure(fig, path)
