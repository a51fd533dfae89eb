"""Fig. 4 (End Matter): internal entropy S_I(d, y*(d)) of the dense regions of
fixed points around a reference configuration, against the distance d, for the
core module and the two-layer chain (replica-symmetric local entropy, Eqs. 7-9
and 73-81; ``neurosim.theory.internal_entropy_curve``).

y*(d) is the largest reweighting exponent at which the external entropy is
still >= 0. The paper: for the core module S_I is non-monotonic in d below
J_Dc ~ 0.07 (overlap-gap property, OGP) and grows monotonically to the entropy of
typical fixed points above it (a rare dense manifold, RM, accessible); the
two-layer chain at J_D = 0 turns monotonic at lambda_c <~ 0.45. Curves (divided
by L): core J_D = 0.05, 0.07, 0.1; L = 2 with J_D = 0.05, lambda = 0.2, 0.3, 0.4
and J_D = 0, lambda = 0.4, 0.45, 0.5. All vanish at d = 0 (the reference alone);
at d = 0.5 they reach the annealed entropy of all fixed points.

Besides the curves this writes J_Dc (root of the steepest slope of S_I in log d,
``critical_self_coupling``) and, in the full run, lambda_c (``critical_lambda``,
a few minutes). S_I(d) <= H2(d), the entropy of the whole Hamming ball of radius
d, is checked on every point.
"""
import numpy as np

from . import _common as C

TITLE = "Fig. 4: internal entropy of the dense region around the reference vs distance"
PAPER_REF = "End Matter, Fig. 4 and Eqs. 7-9 (SM-B, Eqs. 73-81)"
PAPER = {"j_dc": 0.07, "lam_c_at_j_d_0": 0.45,
         "statement": "S_I vanishes at d = 0; non-monotonic in d for J_D < J_Dc ~ 0.07 (core) and lambda < "
                      "lambda_c <~ 0.45 (L = 2, J_D = 0); monotonic above; increasing J_D or lambda drives the "
                      "OGP-RM transition"}

QUICK = dict(core_j_ds=(0.05, 0.07, 0.1), chain_cases=((0.0, 0.4), (0.0, 0.5)), d_min=2e-4, d_max=0.45, n_d=34,
             chain_d_min=2e-3, chain_n_d=5, critical_lambda=False)
FULL = dict(core_j_ds=(0.05, 0.07, 0.1),
            chain_cases=((0.05, 0.2), (0.05, 0.3), (0.05, 0.4), (0.0, 0.4), (0.0, 0.45), (0.0, 0.5)),
            d_min=2e-4, d_max=0.45, n_d=34, chain_d_min=1e-3, chain_n_d=20, critical_lambda=True)


def distances(d_min, d_max, n):
    """n log-spaced distances in [d_min, d_max], then d = 0.5 (the plateau)."""
    return np.append(np.geomspace(d_min, d_max, n), 0.5)


def ball_entropy(d):
    """H2(d): log of the number of configurations within distance d, per neuron."""
    d = np.asarray(d, dtype=np.float64)
    return -d * np.log(d) - (1.0 - d) * np.log1p(-d)


def curve(layers, j_d, lam, d):
    """S_I(d, y*(d)) of one case with its derived facts (monotonic, steepest slope)."""
    from neurosim.theory import annealed_entropy, internal_entropy_curve
    c = internal_entropy_curve(j_d, lam, layers, d=d)
    s = c["s_internal"]
    slope = np.diff(s) / np.diff(np.log(c["d"]))
    return {**c, "layers": layers, "j_d": j_d, "lam": lam, "plateau": annealed_entropy(j_d, lam, lam, layers),
            "monotonic": bool(np.all(slope > 0)), "min_slope": float(np.nanmin(slope)),
            "ball_entropy": ball_entropy(c["d"]), "below_ball": bool(np.all(s <= ball_entropy(c["d"])))}


def label(r):
    return f"core J_D = {r['j_d']:g}" if r["layers"] == 1 else f"L = 2, J_D = {r['j_d']:g}, λ = {r['lam']:g}"


def run(quick=True, out_dir=".", **overrides):
    from neurosim.theory import critical_lambda, critical_self_coupling
    p = C.settings(quick, QUICK, FULL, overrides)
    out = C.Outputs("fig4", out_dir)
    clock = C.Stopwatch()
    core_d = distances(p["d_min"], p["d_max"], p["n_d"])
    chain_d = distances(p["chain_d_min"], p["d_max"], p["chain_n_d"])
    curves = [curve(1, float(j), 0.0, core_d) for j in p["core_j_ds"]]
    curves += [curve(2, float(j), float(lam), chain_d) for j, lam in p["chain_cases"]]
    crit = {"j_dc": critical_self_coupling(xtol=1e-3)}
    if p["critical_lambda"]:
        crit["lam_c_at_j_d_0"] = critical_lambda(0.0)
    seconds = clock()
    C.write_h5(out.h5, {"curves": {str(k): dict(r, label=label(r)) for k, r in enumerate(curves)}, **crit},
               attrs={"experiment": "fig4", "quick": quick, "params": p,
                      "curves": "S_I(d, y*(d)) per neuron per layer; S_I(0) = 0 by definition (not computed)"})
    draw(out.png, curves, crit)
    C.write_text(out.md, summary(p, curves, crit, quick, seconds))
    ours = {**crit, "monotonic": {label(r): r["monotonic"] for r in curves},
            "s_internal_at_d_min": {label(r): float(r["s_internal"][0]) for r in curves}}
    return C.result(out, quick, seconds, p, ours, PAPER)


def summary(p, curves, crit, quick, seconds):
    rows = [[label(r), f"{r['d'][0]:.1e}", f"{r['s_internal'][0]:.5f}", f"{r['min_slope']:+.5f}",
             "yes" if r["monotonic"] else "**no**", f"{r['s_internal'][-1]:.4f}", f"{r['plateau']:.4f}"]
            for r in curves]
    lam_c = crit.get("lam_c_at_j_d_0")
    body = ("S_I(d, y*(d)) per neuron per layer on {n} log-spaced distances in [{a:g}, {b:g}] plus d = 0.5 (two-layer "
            "curves: {m} distances from {c:g}: smaller d costs minutes per curve). Monotonic means a positive slope "
            "dS_I / d log d between every pair of neighbouring distances.\n\n"
            .format(n=p["n_d"], a=p["d_min"], b=p["d_max"], m=p["chain_n_d"], c=p["chain_d_min"])
            + C.md_table(["curve", "smallest d", "S_I there", "min slope", "monotonic", "S_I(0.5)",
                          "annealed entropy"], rows)
            + "\n\n" + C.md_table(["critical value", "ours", "paper"],
                                  [["J_Dc (core)", f"{crit['j_dc']:.4f}", f"~{PAPER['j_dc']}"],
                                   ["λ_c (L = 2, J_D = 0)", "–" if lam_c is None else f"{lam_c:.4f}",
                                    f"<~{PAPER['lam_c_at_j_d_0']}"]])
            + f"\n\nPaper: {PAPER['statement']}.")
    shape = "; ".join(f"{label(r)}: {'monotonic' if r['monotonic'] else 'non-monotonic'}" for r in curves)
    near_zero = sum(0.0 < r["s_internal"][0] <= r["ball_entropy"][0] for r in curves)
    gaps = ("- The paper gives the curves as a figure and the two critical values. Ours: {shape}; J_Dc = {jdc:.4f} "
            "(paper ~0.07).\n"
            "- S_I(0) = 0 holds by definition (only the reference itself); like the paper we cannot solve at d = 0 "
            "and show the curves down to d = {a:g} (two-layer: {c:g}). S_I(d) <= H2(d), the entropy of the whole "
            "Hamming ball, holds on every point of {ball} of {total} curves, and {near} of {total} curves lie in "
            "(0, H2(d)] at their smallest d, i.e. they go to 0 from above as d -> 0.\n"
            "- {lamc}").format(shape=shape, jdc=crit["j_dc"], a=p["d_min"], c=p["chain_d_min"],
                               ball=sum(r["below_ball"] for r in curves), near=near_zero, total=len(curves),
                               lamc="λ_c is computed only in the full run (a few minutes); the quick run brackets it "
                                    "with the two-layer curves at λ = 0.4 and 0.5 on a coarse grid of "
                                    f"{p['chain_n_d']} distances from d = {p['chain_d_min']:g}." if lam_c is None else
                               f"λ_c = {lam_c:.4f} at J_D = 0 (paper: <~0.45).")
    return C.summary_text(TITLE, PAPER_REF, quick, seconds, p, body, gaps)


def family(r):
    """Line style and colour of Fig. 4: core solid green, L = 2 dashed blue (J_D = 0.05) and dash-dotted
    orange (J_D = 0); other cases dotted grey."""
    if r["layers"] == 1:
        return "-", "Greens"
    return {0.05: ("--", "Blues"), 0.0: ("-.", "Oranges")}.get(r["j_d"], (":", "Greys"))


def draw(path, curves, crit):
    from matplotlib import colormaps
    fig, axes = C.new_figure(ncols=2, width=4.8, height=3.8)
    members = {}
    for r in curves:
        members.setdefault(family(r), []).append(r)
    for (ls, cmap), rs in members.items():
        for i, r in enumerate(rs):          # darker = larger J_D or lambda, as the paper's bottom-to-top order
            color = colormaps[cmap](0.45 + 0.5 * i / max(len(rs) - 1, 1))
            ax = axes[0, 0] if r["layers"] == 1 else axes[0, 1]
            ok = np.isfinite(r["s_internal"])
            ax.plot(r["d"][ok], r["s_internal"][ok], ls, color=color, marker=".", ms=3,
                    label=label(r) + ("" if r["monotonic"] else " (non-monotonic)"))
    for ax, title in ((axes[0, 0], f"core module (ours: J_Dc = {crit['j_dc']:.3f}, paper ~0.07)"),
                      (axes[0, 1], "two-layer chain (per layer; paper: λ_c <~ 0.45 at J_D = 0)")):
        ax.axhline(0.0, color="k", lw=0.6)
        ax.set_xscale("log")
        ax.set_xlabel("distance d (S_I = 0 at d = 0, off the log axis)")
        ax.set_ylabel("internal entropy S_I(d, y*(d)) / L")
        ax.set_title(title, fontsize=9)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
        else:
            ax.text(0.5, 0.5, "no curves in this run", transform=ax.transAxes, ha="center")
    C.save_figure(fig, path)

