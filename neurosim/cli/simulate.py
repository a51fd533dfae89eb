"""``neurosim simulate``, ``neurosim info`` and ``neurosim demo``: the discrete
engine on a ready topology, a saved file described, and the main job on
embedded defaults."""
import json
import time

import numpy as np

from ..resources import check_memory
from .common import BUDGET, COUNT, add_batch, add_inputs, add_json, add_mode, add_out, emit, out_path, random_inputs


def relax_summary(cn, res, seconds, mode, batch):
    """What a timed relaxation of ``batch`` inputs reports."""
    return {
        "n": int(cn.n), "mode": mode, "batch": int(batch),
        "converged": int(res.converged.sum()), "converged_fraction": float(res.converged.mean()),
        "mean_steps": float(res.steps.mean()), "max_steps_taken": int(res.steps.max()),
        "mean_flips": float(res.flips.mean()), "seconds": seconds,
        "relaxations_per_s": batch / seconds if seconds > 0 else float("inf"),
    }


def timed_relax(cn, x, mode, p, max_steps, seed):
    """Relax once untimed (numba compiles on first use), then time the real run."""
    from ..engine import relax
    relax(cn, x=x[:1], mode=mode, p=p, max_steps=2, seed=seed)
    t0 = time.perf_counter()
    res = relax(cn, x=x, mode=mode, p=p, max_steps=max_steps, seed=seed)
    return res, time.perf_counter() - t0


def cmd_simulate(args):
    import neurosim as ns
    out_path(args)
    cn, x = random_inputs(args)
    check_memory(f"a batch of {args.batch_size} inputs and states of N = {cn.n}",
                 args.batch_size * (8 * cn.input_dim + 17 * cn.n))
    res, sec = timed_relax(cn, x, args.mode, args.p, args.max_steps, args.seed)
    summary = dict(topology=args.topology, **relax_summary(cn, res, sec, args.mode, args.batch_size))
    if args.out:
        ns.save({"network": cn, "result": res}, args.out, overwrite=args.force)
        summary["out"] = args.out
    emit(summary, args.json, [
        f"{args.topology}: N = {cn.n}, mode {args.mode}, batch {args.batch_size}",
        f"converged {summary['converged']}/{args.batch_size}, mean steps {summary['mean_steps']:.1f} "
        f"(max {summary['max_steps_taken']}), {summary['relaxations_per_s']:.1f} relaxations/s",
    ] + ([f"saved to {args.out}"] if args.out else []))
    return 0


def cmd_info(args):
    from ..io import describe, format_description
    d = describe(args.file)
    emit(d, args.json, [format_description(d)])
    return 0


def cmd_demo(args):
    """The main job on embedded defaults: relax a 3-layer chain in every update
    mode, then train the core module on the embedded Entangled-MNIST (Table VI
    hyperparameters, fewer neurons and epochs) and report its accuracy."""
    import neurosim as ns
    from .. import datasets, topologies
    from ..learning import Trainer, TrainConfig
    from ..learning.presets import table_vi_config
    batch = args.batch_size
    net = topologies.chain(3, args.n, rho=0.01, j_d=0.5, lam=0.5, seed=0, input_dim=100, lam_x=1.0)
    cn = ns.compile(net)
    x = np.random.default_rng(0).choice([-1.0, 1.0], size=(batch, 100))
    print(f"1. relaxation: 3-layer chain, {args.n} neurons per layer (N = {cn.n}), {batch} random inputs")
    modes = []
    for mode, p in (("sync", 1.0), ("prob", 0.5), ("async", 1.0)):
        res, sec = timed_relax(cn, x, mode, p, 200, 0)
        s = relax_summary(cn, res, sec, mode, batch)
        modes.append(s)
        print(f"   {mode:5s}  converged {s['converged']:3d}/{batch}  mean steps {s['mean_steps']:6.1f}  "
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


def register(sub):
    """Add ``simulate``, ``info`` and ``demo``."""
    p = sub.add_parser("simulate", help="relax a ready topology on random inputs and report convergence",
                       description="Relax a ready topology on random +-1 inputs with the discrete engine "
                                   "(continuous time: neurosim continuous simulate).")
    add_inputs(p, 64)
    add_mode(p)
    p.add_argument("--max-steps", type=BUDGET, default=200, help="steps per relaxation")
    add_out(p, "save the network and the result to this HDF5 file")
    add_json(p)
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("info", help="describe a saved neurosim HDF5 file")
    p.add_argument("file", help="neurosim HDF5 file")
    add_json(p)
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("demo", help="the main job on embedded defaults: relax, then train on Entangled-MNIST")
    p.add_argument("--n", type=COUNT, default=1000, help="neurons per layer / in the core module")
    add_batch(p, 64, "random inputs relaxed together")
    p.add_argument("--epochs", type=COUNT, default=3, help="training epochs")
    add_json(p)
    p.set_defaults(func=cmd_demo)
