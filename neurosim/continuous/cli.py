"""``neurosim continuous simulate`` and ``neurosim continuous train``: the
continuous-time dynamics from the command line. Every command prints a summary,
or with ``--json`` one JSON object on the last line of stdout.

    neurosim continuous simulate --n 1000 --variant hard --method event --t-max 50
    neurosim continuous simulate --variant tanh --beta 20 --backend brian2 --target numpy --n 300
    neurosim continuous train --n 1000 --epochs 3 --train-size 10000 --variant hard --dt 0.05
    neurosim continuous train --time discrete ...          # the discrete Trainer, same arguments

In ``train`` the continuous-time variant is ``--variant`` and the rule variant
of ``neurosim train --variant`` is ``--rule-variant`` (asym, sym1, sym2).
"""
import argparse
import dataclasses
import time

import numpy as np

from ..cli import _emit
from ..cli_common import BUDGET, COUNT, NONNEG, POSITIVE, out_path


def add_continuous_args(p, time="continuous"):
    p.add_argument("--time", choices=("continuous", "discrete"), default=time,
                   help=f"continuous-time dynamics or the discrete engine (default: {time})")
    p.add_argument("--variant", choices=("hard", "tanh", "poisson"), default="hard",
                   help="hard: tau du/dt = -u + W sgn(u) + I; tanh: W tanh(beta u); poisson: asynchronous updates")
    p.add_argument("--method", choices=("euler", "event"), default="euler",
                   help="explicit Euler with step dt, or exact event-driven (hard, poisson)")
    p.add_argument("--dt", type=POSITIVE, default=0.05, help="Euler step (event method: recording grid), in tau")
    p.add_argument("--tau", type=POSITIVE, default=1.0, help="time constant (dimensionless)")
    p.add_argument("--beta", type=POSITIVE, default=20.0, help="gain of the tanh variant")
    p.add_argument("--tol", type=POSITIVE, default=1e-6, help="tanh settling: max |du/dt| below tol ...")
    p.add_argument("--window", type=NONNEG, default=1.0, help="... for this long (tau units)")
    p.add_argument("--backend", choices=("numba", "brian2"), default="numba")
    p.add_argument("--target", choices=("numpy", "cython", "cpp_standalone"), default="numpy",
                   help="Brian2 code generation target")


def cmd_simulate(args):
    import neurosim as ns
    from ..cli import build_topology
    from . import integrate
    net = build_topology(args, lam_x=args.lam_x, **({} if args.topology == "local" else {"input_dim": args.input_dim}))
    cn = ns.compile(net)
    x = np.random.default_rng(args.seed).choice([-1.0, 1.0], size=(args.batch, cn.input_dim))
    I = cn.field(x=x)
    summary = {"topology": args.topology, "n": int(cn.n), "batch": args.batch, "time": args.time}
    if args.time == "discrete":
        ns.relax(cn, field=I[:1], mode=args.mode, max_steps=2)
        t0 = time.perf_counter()
        res = ns.relax(cn, field=I, mode=args.mode, max_steps=args.max_steps, seed=args.seed)
        sec = time.perf_counter() - t0
        summary.update(mode=args.mode, settled=int(res.converged.sum()), mean_steps=float(res.steps.mean()),
                       mean_flips=float(res.flips.mean()), seconds=sec)
        _emit(summary, args.json, [
            f"{args.topology}: N = {cn.n}, discrete {args.mode}, batch {args.batch}",
            f"converged {summary['settled']}/{args.batch}, mean steps {summary['mean_steps']:.1f}, {sec:.3f} s"])
        return 0
    summary.update(variant=args.variant, method=args.method, backend=args.backend, dt=args.dt, tau=args.tau,
                   t_max=args.t_max)
    timings = {}
    if args.backend == "brian2":
        if args.method != "euler":
            raise ValueError("the Brian2 backend integrates with method 'euler'")
        from . import brian2 as b2backend
        t0 = time.perf_counter()
        res = b2backend.export(cn, I, variant=args.variant, dt=args.dt, tau=args.tau, t_max=args.t_max,
                               beta=args.beta, tol=args.tol, window=args.window, seed=args.seed,
                               target=args.target, timings=timings)
        sec = time.perf_counter() - t0
        summary.update(target=args.target, **{f"brian2_{k}": v for k, v in timings.items()})
    else:
        kw = dict(variant=args.variant, method=args.method, t_max=args.t_max, dt=args.dt, tau=args.tau,
                  beta=args.beta, tol=args.tol, window=args.window, seed=args.seed)
        integrate(cn, I[:1], **dict(kw, t_max=min(args.t_max, args.dt)))  # numba compiles on first use
        t0 = time.perf_counter()
        res = integrate(cn, I, **kw)
        sec = time.perf_counter() - t0
    fixed = ns.is_fixed_point(cn, res.states, I) & np.all(res.states != 0, axis=1)
    if getattr(args, "out", None):
        ns.save({"network": cn, "states": res.states, "settled": res.settled, "times": res.times,
                 "flips": res.flips}, args.out, overwrite=args.force)
        summary["out"] = args.out
    summary.update(settled=int(res.settled.sum()), settled_fraction=float(res.settled.mean()),
                   fixed_points=int(fixed.sum()),
                   mean_settle_time=float(np.nanmean(res.times)) if res.settled.any() else None,
                   mean_flips=float(res.flips.mean()), seconds=sec)
    _emit(summary, args.json, [
        f"{args.topology}: N = {cn.n}, continuous {args.variant} ({args.method}, {args.backend}"
        + (f"/{args.target}" if args.backend == "brian2" else "") + f"), dt {args.dt}, batch {args.batch}",
        f"settled {summary['settled']}/{args.batch} (discrete fixed points: {summary['fixed_points']}), "
        f"mean settle time {summary['mean_settle_time'] if summary['mean_settle_time'] is None else round(summary['mean_settle_time'], 3)} tau, "
        f"mean flips {summary['mean_flips']:.1f}, {sec:.3f} s"])
    return 0


def continuous_config(args):
    from .training import ContinuousConfig
    return ContinuousConfig(variant=args.variant, method=args.method, dt=args.dt, tau=args.tau, beta=args.beta,
                            t_warmup=args.t_warmup, t_supervised=args.t_supervised, t_free=args.t_free,
                            t_infer=args.t_infer, tol=args.tol, window=args.window, backend=args.backend,
                            target=args.target)


def cmd_train(args):
    import neurosim as ns
    from ..cli import build_topology
    from ..learning.cli import config_from_args, fit_and_report, load_data, resolve_defaults
    from ..learning.trainer import Trainer
    from .training import ContinuousTrainer
    if args.resume:
        raise ValueError("--resume is not supported by 'neurosim continuous train'")
    out_path(args)
    if args.baseline == "mlp":
        raise ValueError("--baseline mlp has no dynamics: use 'neurosim train --baseline mlp'")
    resolve_defaults(args)
    rule_args = argparse.Namespace(**vars(args))
    rule_args.variant = args.rule_variant
    cfg = config_from_args(rule_args)
    if args.backend == "brian2" and args.time == "continuous":
        cfg = dataclasses.replace(cfg, batch_size=1)
    data, val = load_data(args.dataset, args.data_dir, args.train_size, args.val_size, args.data_variant)
    net = build_topology(args, input_dim=data.dim, n_classes=data.n_classes, rho_in=args.rho_in,
                         lam_x=args.lam_x, lam_y=args.lam_y, w_back=args.w_back)
    if args.time == "discrete":
        trainer = Trainer(ns.compile(net), cfg)
        cc = None
    else:
        cc = continuous_config(args)
        trainer = ContinuousTrainer(ns.compile(net), cfg, continuous=cc)
    info = {"dataset": args.dataset, "train_size": len(data.x_train), "val_size": len(val[0]),
            "topology": args.topology, "argv": args.argv, "time": args.time,
            "continuous": dataclasses.asdict(cc) if cc else None}
    return fit_and_report(trainer, data, val, args, info, time=args.time, continuous=info["continuous"])


def register(subparsers):
    """Add ``neurosim continuous {simulate, train}`` to the neurosim CLI."""
    from ..cli import add_topology_args
    from ..learning.cli import add_train_args
    top = subparsers.add_parser("continuous", help="continuous-time dynamics and learning (hard-sign, tanh, Poisson)",
                                description="Continuous-time dynamics and learning of neurosim networks.")
    sub = top.add_subparsers(dest="continuous_command", metavar="COMMAND")

    p = sub.add_parser("simulate", help="settle a ready topology on random inputs in continuous time")
    add_topology_args(p)
    add_continuous_args(p)
    p.add_argument("--t-max", type=POSITIVE, default=50.0, help="integration time (tau units)")
    p.add_argument("--batch", type=COUNT, default=16)
    p.add_argument("--input-dim", type=COUNT, default=100, help="dimension of the random +-1 inputs")
    p.add_argument("--lam-x", type=NONNEG, default=1.0, help="input field strength lambda_x")
    p.add_argument("--mode", choices=("sync", "prob", "async"), default="sync", help="with --time discrete")
    p.add_argument("--max-steps", type=BUDGET, default=200, help="with --time discrete")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("train", help="Algorithm 1 with continuous-time relaxations (defaults: Table VI)",
                       conflict_handler="resolve")
    add_train_args(p)
    # continuous-time training implements the text reading's dynamics (no step counting, sgn(0) = +1)
    p.set_defaults(protocol="text")
    add_continuous_args(p)     # replaces the rule's --variant by the dynamics' one
    p.add_argument("--rule-variant", choices=("asym", "sym1", "sym2"), default="asym",
                   help="plasticity rule variant (neurosim train --variant)")
    p.add_argument("--t-warmup", type=NONNEG, help="warmup time (default: tau per population)")
    p.add_argument("--t-supervised", type=NONNEG, help="supervised phase (default: 2 tau per --max-steps)")
    p.add_argument("--t-free", type=NONNEG, help="free phase (default: 2 tau per --max-steps)")
    p.add_argument("--t-infer", type=NONNEG, help="inference time (default: t-warmup + t-free)")
    p.set_defaults(func=cmd_train)

    def _help(args):
        top.print_help()
        return 2
    top.set_defaults(func=_help)
