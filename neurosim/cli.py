"""The ``neurosim`` command line. Every command prints a human-readable summary,
or with ``--json`` one JSON object on the last line of stdout."""
import inspect
import json
import sys
import time

import numpy as np

from .cli_common import BUDGET, COUNT, NONNEG, POSITIVE, SEED, UNIT, Parser, add_out, out_path
from .datasets.core import DatasetError
from .resources import check_memory


def _emit(summary, as_json, lines):
    if as_json:
        print(json.dumps(summary))
    else:
        for line in lines:
            print(line)


def build_topology(args, **extra):
    """A topology from CLI arguments: only the parameters its function accepts."""
    from . import topologies
    if args.topology not in topologies.TOPOLOGIES:
        raise ValueError(f"unknown topology {args.topology!r}; known: {', '.join(sorted(topologies.TOPOLOGIES))}")
    fn = topologies.TOPOLOGIES[args.topology]
    side = int(round(np.sqrt(args.n)))
    given = dict(n=args.n, layers=args.layers, rho=args.rho, j_d=args.j_d, lam=args.lam, seed=args.seed,
                 height=side, width=side, **extra)
    params = inspect.signature(fn).parameters
    takes_any = any(p.kind is p.VAR_KEYWORD for p in params.values())
    return fn(**{k: v for k, v in given.items() if k in params or (takes_any and k in extra)})


def add_topology_args(p, n=1000, rho=0.01, j_d=0.5):
    p.add_argument("--topology", default="core", help="ready topology (neurosim.topologies): core, chain, ...")
    p.add_argument("--n", type=COUNT, default=n, help="neurons per layer (local: the grid has about n pixels)")
    p.add_argument("--layers", type=COUNT, default=3, help="layers of chain-like topologies")
    p.add_argument("--rho", type=UNIT, default=rho, help="density of the learnable couplings")
    p.add_argument("--j-d", type=NONNEG, default=j_d, help="self-coupling J_D")
    p.add_argument("--lam", type=NONNEG, default=1.0, help="chain coupling lambda between adjacent layers")
    p.add_argument("--seed", type=SEED, default=0, help="seed of every random draw")


def relax_summary(cn, res, seconds, mode, batch):
    return {
        "n": int(cn.n), "mode": mode, "batch": int(batch),
        "converged": int(res.converged.sum()), "converged_fraction": float(res.converged.mean()),
        "mean_steps": float(res.steps.mean()), "max_steps_taken": int(res.steps.max()),
        "mean_flips": float(res.flips.mean()), "seconds": seconds,
        "relaxations_per_s": batch / seconds if seconds > 0 else float("inf"),
    }


def timed_relax(cn, x, mode, p, max_steps, seed):
    """Relax once untimed (numba compiles on first use), then time the real run."""
    import neurosim as ns
    ns.relax(cn, x=x[:1], mode=mode, p=p, max_steps=2, seed=seed)
    t0 = time.perf_counter()
    res = ns.relax(cn, x=x, mode=mode, p=p, max_steps=max_steps, seed=seed)
    return res, time.perf_counter() - t0


def cmd_simulate(args):
    out_path(args)
    if args.time == "continuous":
        from .continuous.cli import cmd_simulate as simulate_continuous
        return simulate_continuous(args)
    import neurosim as ns
    net = build_topology(args, lam_x=args.lam_x, **({} if args.topology == "local" else {"input_dim": args.input_dim}))
    cn = ns.compile(net)
    check_memory(f"a batch of {args.batch} inputs and states of N = {cn.n}",
                 args.batch * (8 * cn.input_dim + 17 * cn.n))
    x = np.random.default_rng(args.seed).choice([-1.0, 1.0], size=(args.batch, cn.input_dim))
    res, sec = timed_relax(cn, x, args.mode, args.p, args.max_steps, args.seed)
    summary = dict(topology=args.topology, **relax_summary(cn, res, sec, args.mode, args.batch))
    if args.out:
        ns.save({"network": cn, "result": res}, args.out, overwrite=args.force)
        summary["out"] = args.out
    _emit(summary, args.json, [
        f"{args.topology}: N = {cn.n}, mode {args.mode}, batch {args.batch}",
        f"converged {summary['converged']}/{args.batch}, mean steps {summary['mean_steps']:.1f} "
        f"(max {summary['max_steps_taken']}), {summary['relaxations_per_s']:.1f} relaxations/s",
    ] + ([f"saved to {args.out}"] if args.out else []))
    return 0


def cmd_info(args):
    from .io import describe, format_description
    d = describe(args.file)
    _emit(d, args.json, [format_description(d)])
    return 0


def cmd_demo(args):
    """The main job on embedded defaults: relax a 3-layer chain in every update
    mode, then train the core module on the embedded Entangled-MNIST (Table VI
    hyperparameters, fewer neurons and epochs) and report its accuracy."""
    import neurosim as ns
    from . import datasets, topologies
    from .learning import Trainer, TrainConfig
    from .learning.presets import table_vi_config
    net = topologies.chain(3, args.n, rho=0.01, j_d=0.5, lam=0.5, seed=0, input_dim=100, lam_x=1.0)
    cn = ns.compile(net)
    x = np.random.default_rng(0).choice([-1.0, 1.0], size=(args.batch, 100))
    print(f"1. relaxation: 3-layer chain, {args.n} neurons per layer (N = {cn.n}), {args.batch} random inputs")
    modes = []
    for mode, p in (("sync", 1.0), ("prob", 0.5), ("async", 1.0)):
        res, sec = timed_relax(cn, x, mode, p, 200, 0)
        s = relax_summary(cn, res, sec, mode, args.batch)
        modes.append(s)
        print(f"   {mode:5s}  converged {s['converged']:3d}/{args.batch}  mean steps {s['mean_steps']:6.1f}  "
              f"{s['relaxations_per_s']:9.1f} relaxations/s")
    data = datasets.load("entangled-mnist", variant="code")
    print(f"2. learning: fully connected core module, N = {args.n}, embedded Entangled-MNIST "
          f"({len(data.x_train)} train / {len(data.x_test)} validation), {args.epochs} epochs, the authors' "
          "reading of Algorithm 1 (protocol code, Table VI's configuration)")
    cn = ns.compile(topologies.core(args.n, rho=1.0, j_d=0.5, seed=0, input_dim=100, n_classes=10,
                                    lam_x=2.0, lam_y=0.9, rho_in=1.0, w_back="gaussian"))
    trainer = Trainer(cn, TrainConfig(**table_vi_config("code", 0.5, epochs=args.epochs, evaluate="end")))
    t0 = time.perf_counter()
    hist = trainer.fit(data, validation=(data.x_test, data.y_test), progress=not args.json,
                       on_epoch=lambda tr, row: print(f"   epoch {row['epoch']}: train {row['train_accuracy']:.4f}"
                                                      f"  validation {row['val_accuracy']:.4f}"
                                                      f"  ({time.perf_counter() - t0:.0f} s)", flush=True))
    print(f"   validation accuracy {hist[-1]['val_accuracy']:.4f} "
          "(the paper: 85.92 % with N = 1600 after 30 epochs, `neurosim train`)")
    if args.json:
        print(json.dumps({"demo": "relax-and-train", "modes": modes, "history": hist}))
    return 0


def make_parser():
    from .continuous.cli import add_continuous_args
    parser = Parser(prog="neurosim", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("simulate", help="relax a ready topology on random inputs and report convergence")
    add_topology_args(p)
    p.add_argument("--mode", choices=("sync", "prob", "async"), default="sync")
    p.add_argument("--p", type=UNIT, default=0.5, help="update probability of mode prob")
    p.add_argument("--batch", type=COUNT, default=64)
    p.add_argument("--max-steps", type=BUDGET, default=200)
    p.add_argument("--input-dim", type=COUNT, default=100, help="dimension of the random +-1 inputs")
    p.add_argument("--lam-x", type=NONNEG, default=1.0, help="input field strength lambda_x")
    add_out(p, "save the network and the result to this HDF5 file")
    p.add_argument("--json", action="store_true")
    add_continuous_args(p, time="discrete")
    p.add_argument("--t-max", type=POSITIVE, default=50.0, help="with --time continuous: integration time (tau)")
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("info", help="describe a saved neurosim HDF5 file")
    p.add_argument("file")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("demo", help="the main job on embedded defaults: relax, then train on Entangled-MNIST")
    p.add_argument("--n", type=COUNT, default=1000, help="neurons per layer / in the core module")
    p.add_argument("--batch", type=COUNT, default=64)
    p.add_argument("--epochs", type=COUNT, default=3)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_demo)

    for register in _registrars():
        register(sub)
    return parser


def _registrars():
    """Commands that live beside their subsystem (each module has ``register``)."""
    from .continuous.cli import register as continuous
    from .experiments_cli import register as experiments
    from .hw.cli import register as hw
    from .learning.cli import register as learning
    from .theory.cli import register as theory
    return [learning, continuous, hw, theory, experiments]


USER_ERRORS = (ValueError, OSError, MemoryError, DatasetError)
"""What a user's input or environment causes (bad values, files, memory): one
line on stderr and exit status 2, never a traceback."""


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    command = "neurosim"
    try:
        parser = make_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return 2
        args.argv, command = argv, f"neurosim {args.command}"
        return args.func(args)
    except KeyboardInterrupt as exc:
        print(f"{command}: interrupted{f': {exc}' if str(exc) else ''}", file=sys.stderr)
        return 130
    except USER_ERRORS as exc:
        if isinstance(exc, MemoryError) and not str(exc):
            exc = "out of memory"
        print(f"{command}: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
