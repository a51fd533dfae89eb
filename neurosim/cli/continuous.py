"""``neurosim continuous simulate`` and ``neurosim continuous train``: the
continuous-time dynamics from the command line (the discrete engine is
``neurosim simulate`` and ``neurosim train``).

    neurosim continuous simulate --n 1000 --dynamics hard --method event --t-max 50
    neurosim continuous simulate --dynamics tanh --beta 20 --backend brian2 --target numpy --n 300
    neurosim continuous train --n 1000 --epochs 3 --train-size 10000 --dynamics hard --dt 0.05

``--dynamics`` is the continuous-time dynamics and ``--rule`` the plasticity
rule variant, as in ``neurosim train``.
"""
import dataclasses
import time

import numpy as np

from .common import NONNEG, POSITIVE, add_inputs, add_json, add_out, build_topology, emit, out_path, random_inputs
from .train import add_train_args, config_from_args, fit_and_report


def add_continuous_args(p):
    """The flags of the continuous-time dynamics."""
    p.add_argument("--dynamics", choices=("hard", "tanh", "poisson"), default="hard",
                   help="hard: tau du/dt = -u + W sgn(u) + I; tanh: W tanh(beta u); poisson: asynchronous updates")
    p.alias("--variant", "--dynamics")
    p.add_argument("--method", choices=("euler", "event"), default="euler",
                   help="explicit Euler with step dt, or exact event-driven (hard, poisson)")
    p.add_argument("--dt", type=POSITIVE, default=0.05, help="Euler step (event method: recording grid), in tau")
    p.add_argument("--tau", type=POSITIVE, default=1.0, help="time constant (dimensionless)")
    p.add_argument("--beta", type=POSITIVE, default=20.0, help="gain of the tanh dynamics")
    p.add_argument("--tol", type=POSITIVE, default=1e-6, help="tanh settling: max |du/dt| below tol ...")
    p.add_argument("--window", type=NONNEG, default=1.0, help="... for this long (tau units)")
    p.add_argument("--backend", choices=("numba", "brian2"), default="numba", help="integrator")
    p.add_argument("--target", choices=("numpy", "cython", "cpp_standalone"), default="numpy",
                   help="Brian2 code generation target")


def cmd_simulate(args):
    import neurosim as ns
    from ..continuous import integrate
    out_path(args)
    cn, x = random_inputs(args)
    I = cn.field(x=x)
    batch = args.batch_size
    summary = {"topology": args.topology, "n": int(cn.n), "batch": batch, "dynamics": args.dynamics,
               "method": args.method, "backend": args.backend, "dt": args.dt, "tau": args.tau, "t_max": args.t_max}
    timings = {}
    if args.backend == "brian2":
        if args.method != "euler":
            raise ValueError("the Brian2 backend integrates with method 'euler'")
        from ..continuous import brian2 as b2backend
        t0 = time.perf_counter()
        res = b2backend.export(cn, I, variant=args.dynamics, dt=args.dt, tau=args.tau, t_max=args.t_max,
                               beta=args.beta, tol=args.tol, window=args.window, seed=args.seed,
                               target=args.target, timings=timings)
        sec = time.perf_counter() - t0
        summary.update(target=args.target, **{f"brian2_{k}": v for k, v in timings.items()})
    else:
        kw = dict(variant=args.dynamics, method=args.method, t_max=args.t_max, dt=args.dt, tau=args.tau,
                  beta=args.beta, tol=args.tol, window=args.window, seed=args.seed)
        integrate(cn, I[:1], **dict(kw, t_max=min(args.t_max, args.dt)))  # numba compiles on first use
        t0 = time.perf_counter()
        res = integrate(cn, I, **kw)
        sec = time.perf_counter() - t0
    fixed = ns.is_fixed_point(cn, res.states, I) & np.all(res.states != 0, axis=1)
    if args.out:
        ns.save({"network": cn, "states": res.states, "settled": res.settled, "times": res.times,
                 "flips": res.flips}, args.out, overwrite=args.force)
        summary["out"] = args.out
    summary.update(settled=int(res.settled.sum()), settled_fraction=float(res.settled.mean()),
                   fixed_points=int(fixed.sum()),
                   mean_settle_time=float(np.nanmean(res.times)) if res.settled.any() else None,
                   mean_flips=float(res.flips.mean()), seconds=sec)
    settle = summary["mean_settle_time"]
    emit(summary, args.json, [
        f"{args.topology}: N = {cn.n}, continuous {args.dynamics} ({args.method}, {args.backend}"
        + (f"/{args.target}" if args.backend == "brian2" else "") + f"), dt {args.dt}, batch {batch}",
        f"settled {summary['settled']}/{batch} (discrete fixed points: {summary['fixed_points']}), "
        f"mean settle time {settle if settle is None else round(settle, 3)} tau, "
        f"mean flips {summary['mean_flips']:.1f}, {sec:.3f} s"])
    return 0


def continuous_config(args):
    """The ContinuousConfig of the continuous train flags."""
    from ..continuous.training import ContinuousConfig
    return ContinuousConfig(variant=args.dynamics, method=args.method, dt=args.dt, tau=args.tau, beta=args.beta,
                            t_warmup=args.t_warmup, t_supervised=args.t_supervised, t_free=args.t_free,
                            t_infer=args.t_infer, tol=args.tol, window=args.window, backend=args.backend,
                            target=args.target)


def cmd_train(args):
    import neurosim as ns
    from ..continuous.training import ContinuousTrainer
    from ..datasets import load_split
    if args.resume:
        raise ValueError("--resume is not supported by 'neurosim continuous train'")
    out_path(args)
    if args.baseline == "mlp":
        raise ValueError("--baseline mlp has no dynamics: use 'neurosim train --baseline mlp'")
    cfg = config_from_args(args)
    if args.backend == "brian2":
        cfg = dataclasses.replace(cfg, batch_size=1)
    data, val = load_split(args.dataset, args.data_dir, args.train_size, args.val_size, args.data_variant)
    net = build_topology(args, input_dim=data.dim, n_classes=data.n_classes, rho_in=args.rho_in,
                         lam_x=args.lam_x, lam_y=args.lam_y, w_back=args.w_back)
    cc = continuous_config(args)
    trainer = ContinuousTrainer(ns.compile(net), cfg, continuous=cc)
    info = {"dataset": args.dataset, "train_size": len(data.x_train), "val_size": len(val[0]),
            "topology": args.topology, "argv": args.argv, "time": "continuous",
            "continuous": dataclasses.asdict(cc)}
    return fit_and_report(trainer, data, val, args, info, time="continuous", continuous=info["continuous"])


def register(subparsers):
    """Add ``continuous {simulate, train}``."""
    top = subparsers.add_parser("continuous", help="continuous-time dynamics and learning (hard-sign, tanh, Poisson)",
                                description="Continuous-time dynamics and learning of neurosim networks.")
    sub = top.add_subparsers(dest="continuous_command", metavar="COMMAND")

    p = sub.add_parser("simulate", help="settle a ready topology on random inputs in continuous time")
    add_inputs(p, 16)
    add_continuous_args(p)
    p.add_argument("--t-max", type=POSITIVE, default=50.0, help="integration time (tau units)")
    add_out(p, "save the network and the settled states to this HDF5 file")
    add_json(p)
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("train", help="Algorithm 1 with continuous-time relaxations (defaults: Table VI)")
    add_train_args(p)
    # continuous-time training implements the text reading's dynamics (no step counting, sgn(0) = +1)
    p.set_defaults(protocol="text")
    add_continuous_args(p)
    p.alias("--rule-variant", "--rule")
    p.add_argument("--t-warmup", type=NONNEG, help="warmup time (default: tau per population)")
    p.add_argument("--t-supervised", type=NONNEG, help="supervised phase (default: 2 tau per --max-steps)")
    p.add_argument("--t-free", type=NONNEG, help="free phase (default: 2 tau per --max-steps)")
    p.add_argument("--t-infer", type=NONNEG, help="inference time (default: t-warmup + t-free)")
    p.set_defaults(func=cmd_train)

    def _help(args):
        top.print_help()
        return 2
    top.set_defaults(func=_help)
