"""``neurosim theory {entropy, local-entropy, capacity}``: the paper's analytic
results. Each prints a table, or with ``--json`` one JSON object on the last
stdout line. Bad arguments raise ``ValueError`` naming the flag and the
expected form."""
import math

import numpy as np

from ..validate import check_int, check_real
from .common import add_json, emit

DEFAULT_D = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5)


def _finite(x):
    """JSON-safe float (``inf``/``nan`` become ``None``)."""
    x = float(x)
    return x if math.isfinite(x) else None


def _table(header, rows):
    cols = [header] + [[f"{v:.6g}" if isinstance(v, float) else str(v) for v in r] for r in rows]
    widths = [max(len(r[i]) for r in cols) for i in range(len(header))]
    return ["  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in cols]


# ----------------------------------------------------------------------------- entropy

def cmd_entropy(args):
    from ..theory.annealed import annealed_entropy, annealed_entropy_l1, annealed_entropy_l2
    from ..theory.stability import rs_stability_coefficient
    j_d = check_real("--j-d", args.j_d, lo=0)
    lam = check_real("--lam", args.lam, lo=0)
    lam_l = lam if args.lam_l is None else check_real("--lam-l", args.lam_l, lo=0)
    lam_r = lam if args.lam_r is None else check_real("--lam-r", args.lam_r, lo=0)
    layers = check_int("--layers", args.layers, lo=1)
    s_a = annealed_entropy(j_d, lam_l, lam_r, layers)
    out = {"command": "theory entropy", "j_d": j_d, "lam_l": lam_l, "lam_r": lam_r, "layers": layers,
           "annealed_entropy": s_a}
    if layers == 1:
        out["closed_form"] = annealed_entropy_l1(j_d)
    elif layers == 2:
        out["closed_form"] = annealed_entropy_l2(j_d, lam_l, lam_r)
    if layers <= 16:
        c = rs_stability_coefficient(j_d, lam_l, lam_r, layers)
        out["rs_stability_coefficient"] = c
        out["rs_stable"] = bool(c > 0)
    lines = [f"annealed fixed-point entropy, L = {layers}, J_D = {j_d:g}, lam_L = {lam_l:g}, lam_R = {lam_r:g}",
             f"  S_a (transfer matrix, Eqs. 17-25)   = {s_a:.10f} nats/neuron"]
    if "closed_form" in out:
        lines.append(f"  closed form (Eq. {26 if layers == 1 else 27})           = {out['closed_form']:.10f}")
    if "rs_stability_coefficient" in out:
        lines.append(f"  RS q^2 coefficient (Eqs. 51/55)    = {out['rs_stability_coefficient']:.6g}"
                     f"  ({'stable' if out['rs_stable'] else 'unstable'})")
    emit(out, args.json, lines)
    return 0


# ----------------------------------------------------------------------------- local entropy

def cmd_local_entropy(args):
    from ..theory import local_entropy as le
    layers = check_int("--layers", args.layers, lo=1, hi=2)
    lam = check_real("--lam", args.lam, lo=0)
    if layers == 1 and lam != 0:
        raise ValueError(f"--lam must be 0 with --layers 1 (a single core module), got {args.lam!r}")
    out = {"command": "theory local-entropy", "layers": layers, "lam": lam}
    lines = []
    if args.critical:
        if args.critical == "jd":
            jdc = le.critical_self_coupling(layers=layers, lam=lam)
            out["critical_j_d"] = jdc
            lines.append(f"critical self-coupling J_Dc (L = {layers}, lam = {lam:g}) = {jdc:.4f}"
                         "  [paper: ~0.07 for the core module]")
        else:
            if layers != 2:
                raise ValueError("--critical lam needs --layers 2")
            j_d = check_real("--j-d", 0.0 if args.j_d is None else args.j_d, lo=0)
            lc = le.critical_lambda(j_d)
            out.update(j_d=j_d, critical_lam=lc)
            lines.append(f"critical chain coupling lam_c (L = 2, J_D = {j_d:g}) = {lc:.4f}"
                         "  [paper: <~0.45 at J_D = 0]")
        emit(out, args.json, lines)
        return 0
    if args.j_d is None:
        raise ValueError("--j-d is required (a non-negative number) unless --critical jd is given")
    j_d = check_real("--j-d", args.j_d, lo=0)
    ds = [check_real("--d", x, above=0, hi=0.5) for x in (args.d if args.d else DEFAULT_D)]
    out["j_d"] = j_d
    if args.y is not None:
        y = check_real("--y", args.y, above=0)
        pts = [le.local_entropy_point(d, y, j_d, lam, layers).as_dict() for d in ds]
    else:
        curve = le.internal_entropy_curve(j_d, lam, layers, ds)
        pts = [{"d": curve["d"][i], "y": curve["y_star"][i], "qhat": curve["qhat"][i],
                "free_energy": curve["free_energy"][i], "s_internal": curve["s_internal"][i],
                "s_external": curve["s_external"][i]} for i in range(len(ds))]
    rows = [{"d": float(p["d"]), "y": _finite(p["y"]), "qhat": float(p["qhat"]),
             "free_energy": float(p["free_energy"]), "s_internal": float(p["s_internal"]),
             "s_external": float(p["s_external"])} for p in pts]
    out["rows"] = rows
    if args.y is None:
        s_i = np.array([r["s_internal"] for r in rows])
        order = np.argsort([r["d"] for r in rows])
        out["monotonic_on_grid"] = bool(np.all(np.diff(s_i[order]) >= 0))
    title = (f"local entropy, L = {layers}, J_D = {j_d:g}, lam = {lam:g}, "
             + (f"y = {args.y:g}" if args.y is not None else "y = y*(d) where S_E = 0")
             + "  (entropies per neuron per layer)")
    lines = [title] + _table(["d", "y" if args.y is not None else "y*", "qhat", "S_I", "S_E", "Phi"],
                             [[r["d"], r["y"] if r["y"] is not None else "inf", r["qhat"], r["s_internal"],
                               r["s_external"], r["free_energy"]] for r in rows])
    if args.y is None:
        lines.append(f"S_I(d, y*) monotonic on this grid: {'yes' if out['monotonic_on_grid'] else 'no'}")
    emit(out, args.json, lines)
    return 0


# ----------------------------------------------------------------------------- capacity

def cmd_capacity(args):
    from ..theory.perceptron import perceptron_capacity, perceptron_saddle_point
    kappa = check_real("--kappa", args.kappa)
    a_c = perceptron_capacity(kappa)
    q, qhat = perceptron_saddle_point(a_c, kappa)
    out = {"command": "theory capacity", "kappa": kappa, "alpha_c": a_c, "q": q, "qhat": qhat}
    emit(out, args.json, [
        f"binary perceptron, margin kappa = {kappa:g} (replica symmetric)",
        f"  capacity alpha_c (RS entropy = 0) = {a_c:.6f}",
        f"  overlap q = {q:.6f}, conjugate qhat = {qhat:.6f} at alpha_c",
    ])
    return 0


# ----------------------------------------------------------------------------- wiring

def register(subparsers):
    """Add ``theory {entropy, local-entropy, capacity}`` to an argparse
    ``subparsers`` object (from ``parser.add_subparsers()``)."""
    p = subparsers.add_parser("theory", help="analytic results of the paper: fixed-point entropy, "
                                             "local entropy, perceptron capacity")
    sub = p.add_subparsers(dest="theory_command", metavar="{entropy,local-entropy,capacity}")
    sub.required = True

    e = sub.add_parser("entropy", help="annealed entropy of fixed points of an L-layer chain (Eqs. 17-27) "
                                       "and the RS stability coefficient (Eqs. 51, 55)")
    e.add_argument("--j-d", type=float, required=True, help="self-coupling J_D >= 0")
    e.alias("--jd", "--j-d")
    e.add_argument("--lam", type=float, default=0.0, help="chain coupling lambda (both directions)")
    e.add_argument("--lam-l", type=float, default=None, help="coupling to the previous layer (default --lam)")
    e.add_argument("--lam-r", type=float, default=None, help="coupling to the next layer (default --lam)")
    e.add_argument("--layers", type=int, default=1, help="number of layers L >= 1")
    add_json(e)
    e.set_defaults(func=cmd_entropy)

    le = sub.add_parser("local-entropy", help="internal/external entropy of dense fixed-point regions "
                                              "(End Matter, Eqs. 73-81) at y*(d), or the critical J_D")
    le.add_argument("--j-d", type=float, default=None, help="self-coupling J_D >= 0")
    le.alias("--jd", "--j-d")
    le.add_argument("--lam", type=float, default=0.0, help="chain coupling (with --layers 2)")
    le.add_argument("--layers", type=int, default=1, help="1 (core module) or 2 (chain)")
    le.add_argument("--d", type=float, nargs="+", default=None,
                    help="distances d in (0, 0.5] (default: 0.001 ... 0.5)")
    le.add_argument("--y", type=float, default=None, help="fixed y instead of y*(d)")
    le.add_argument("--critical", nargs="?", const="jd", choices=["jd", "lam"], default=None,
                    help="compute the critical J_D (default) or, with 'lam' and --layers 2, the critical lambda")
    add_json(le)
    le.set_defaults(func=cmd_local_entropy)

    c = sub.add_parser("capacity", help="RS capacity alpha_c(kappa) of the binary perceptron")
    c.add_argument("--kappa", type=float, default=0.0, help="margin kappa")
    add_json(c)
    c.set_defaults(func=cmd_capacity)
    return p
