"""``neurosim hw estimate`` and ``neurosim export lava``: a saved network on
neuromorphic hardware. Each prints a table, or with ``--json`` one JSON object
on the last line of stdout."""
import sys

import numpy as np

from .common import POSITIVE, SEED, STEPS, add_batch, add_json, add_mode, emit


def load_network(path):
    """The CompiledNetwork in a neurosim file: a CompiledNetwork, a Network
    (compiled here) or a dict with a ``"network"`` item holding either."""
    import neurosim as ns
    obj = ns.load(path)
    if isinstance(obj, dict):
        if "network" not in obj:
            raise ValueError(f"{path}: the file holds a dict without a 'network' item "
                             f"(items: {', '.join(sorted(obj)) or 'none'})")
        obj = obj["network"]
    if isinstance(obj, ns.Network):
        obj = ns.compile(obj)
    if not isinstance(obj, ns.CompiledNetwork):
        raise ValueError(f"{path}: expected a network, the file holds a {type(obj).__name__}")
    return obj


def cmd_estimate(args):
    from ..hw.estimate import estimate
    cn = load_network(args.file)
    est = estimate(cn, profile=args.profile, wire=args.wire, input_on_chip=not args.input_in_bias,
                   readout_on_chip=args.readout)
    emit({"file": args.file, **est.as_dict()}, args.json, [f"{args.file}: N = {cn.n}", est.table()])
    return 0


def _dyadic(cn):
    r = lambda a: np.round(np.asarray(a) * 1024.0) / 1024.0  # noqa: E731
    J, K = cn.learnable(), cn.fixed()
    J.data, K.data = r(J.data), r(K.data)
    return cn.with_couplings(learnable=J if J.nnz else None, fixed=K if K.nnz else None, j_d=r(cn.j_d),
                             w_in=r(cn.w_in), w_back=r(cn.w_back))


def cmd_export_lava(args):
    import neurosim as ns
    from ..hw.lava import LavaRunError, LavaUnsupportedError, export
    from ..hw.quantize import quantize
    cn = load_network(args.file)
    if args.dyadic:
        cn = _dyadic(cn)
    rng = np.random.default_rng(args.seed)
    field = np.zeros((args.batch_size, cn.n))
    if cn.input_dim:
        x = rng.choice([-1.0, 1.0], size=(args.batch_size, cn.input_dim))
        field = cn.field(x=x)
        if args.dyadic:
            field = np.round(field * 1024.0) / 1024.0
    target, ref_field = cn, field
    if args.fixed_point:
        qn = quantize(cn, field=field)
        target, ref_field = qn, qn.quantize_field(field)
    try:
        ref = None
        if args.check:
            ref = ns.relax(qn.network if args.fixed_point else cn, field=ref_field, mode=args.mode, p=args.p,
                           max_steps=args.steps, seed=args.seed, record=True)
        rows = []
        for k in range(args.batch_size):
            run = export(target, field=field, mode=args.mode, p=args.p, seed=args.seed, sample=k,
                         fixed_point=args.fixed_point).run(args.steps, timeout=args.timeout)
            row = {"sample": k, "steps": run.steps, "converged": run.converged, "seconds": run.seconds,
                   "run_seconds": run.run_seconds}
            if ref is not None:
                m = int(ref.steps[k]) + 1
                tr = ref.trajectory[k, :m]
                equal = (np.array_equal(run.trajectory[:m], tr) and bool(np.all(run.trajectory[m:] == tr[-1]))
                         and run.steps == int(ref.steps[k]) and run.converged == bool(ref.converged[k]))
                row.update(equal=bool(equal), ref_steps=int(ref.steps[k]), ref_converged=bool(ref.converged[k]))
            rows.append(row)
    except (LavaRunError, LavaUnsupportedError, ImportError) as exc:
        print(f"neurosim export lava: error: {exc}", file=sys.stderr)
        return 2
    run_s = sum(r["run_seconds"] for r in rows)
    summary = {"file": args.file, "n": int(cn.n), "mode": args.mode, "p": args.p, "seed": args.seed,
               "batch": args.batch_size, "steps": args.steps, "fixed_point": bool(args.fixed_point),
               "dyadic": bool(args.dyadic), "checked": bool(args.check), "samples": rows,
               "lava_steps_per_s": (args.steps + 1) * len(rows) / run_s if run_s > 0 else None}
    if args.check:
        summary["all_equal"] = all(r["equal"] for r in rows)
    lines = [f"{args.file}: N = {cn.n}, Lava {'fixed' if args.fixed_point else 'floating'} point, mode {args.mode}"
             f"{f' (p = {args.p})' if args.mode == 'prob' else ''}, {args.steps} steps, batch {args.batch_size}",
             f"{'sample':>6s} {'steps':>5s} {'conv':>5s} {'seconds':>8s}"
             + ("  numba steps  equal" if args.check else "")]
    for r in rows:
        line = f"{r['sample']:6d} {r['steps']:5d} {str(r['converged']):>5s} {r['seconds']:8.2f}"
        if args.check:
            line += f"  {r['ref_steps']:11d}  {'yes' if r['equal'] else 'NO'}"
        lines.append(line)
    if args.check:
        lines.append("Lava equals the numba engine step for step" if summary["all_equal"] else
                     "MISMATCH between Lava and the numba engine" +
                     ("" if args.fixed_point or args.dyadic else
                      " (floating point sums in another order: try --dyadic or --fixed-point)"))
    emit(summary, args.json, lines)
    return 0 if not args.check or summary["all_equal"] else 1


def register(subparsers):
    """Add ``hw estimate`` and ``export lava`` to the main CLI's subparsers."""
    p = subparsers.add_parser("hw", help="neuromorphic hardware: resource estimate")
    sub = p.add_subparsers(dest="hw_command", metavar="HW_COMMAND")
    q = sub.add_parser("estimate", help="neurons, synapses, cores and chips a saved network needs")
    q.add_argument("file", help="neurosim HDF5 file with a network")
    q.add_argument("--profile", default="loihi2", help="hardware profile (loihi2)")
    q.add_argument("--wire", choices=("dual", "graded"), default="dual",
                   help="dual: binary spikes on two lines (learning-ready, each synapse stored twice); graded: once")
    q.add_argument("--input-in-bias", action="store_true",
                   help="fold W_in x into the bias on the host (no input neurons / synapses on chip)")
    q.add_argument("--readout", action="store_true", help="also place the readout (W_out) on chip")
    add_json(q)
    q.set_defaults(func=cmd_estimate)
    p.set_defaults(func=lambda args, parser=p: (parser.print_help(), 2)[1])

    p = subparsers.add_parser("export", help="export a saved network to a neuromorphic backend")
    sub = p.add_subparsers(dest="export_command", metavar="BACKEND")
    q = sub.add_parser("lava", help="run a saved network in Lava (Loihi2SimCfg) and optionally check it "
                                    "against the numba engine")
    q.add_argument("file", help="neurosim HDF5 file with a network")
    q.add_argument("--steps", type=STEPS, default=50, help="relaxation steps T")
    q.add_argument("--check", action="store_true", help="compare every step with neurosim.relax")
    add_mode(q, ("sync", "prob"))
    q.add_argument("--seed", type=SEED, default=0, help="seed of the random inputs and of the gate draws")
    add_batch(q, 1, "samples (one Lava run each)")
    q.add_argument("--fixed-point", action="store_true", help="quantise (Loihi 2 profile) and run fixed point")
    q.add_argument("--dyadic", action="store_true",
                   help="round weights and fields to multiples of 2^-10 first (order-independent float sums)")
    q.add_argument("--timeout", type=POSITIVE, default=300.0, help="hard timeout of each Lava run (seconds)")
    add_json(q)
    q.set_defaults(func=cmd_export_lava)
    p.set_defaults(func=lambda args, parser=p: (parser.print_help(), 2)[1])
