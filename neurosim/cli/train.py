"""``neurosim train`` and ``neurosim eval``. ``--protocol text | code`` picks the
reading of Algorithm 1 (``neurosim.learning.config``) and its Table VI
hyperparameters (``neurosim.learning.presets``); every protocol field and every
hyperparameter can be overridden by its own flag. ``neurosim continuous train``
takes the same flags (:func:`add_train_args`)."""
import argparse
import dataclasses
import json
import os
import sys
import time

from ..datasets import load_split
from .common import (BUDGET, COUNT, NONNEG, POSITIVE, REAL, STEPS, UNIT, Interrupted, add_batch, add_json, add_mode,
                     add_out, add_topology_args, build_topology, given_flags, out_path)

BASELINES = ("none", "reservoir", "random-features", "mlp")
PROTOCOL_HELP = {"tie": "sgn(0): plus (+1) or zero", "label_encoding": "supervision and readout targets",
                 "gate_threshold": "margin gate of J: kappa or kappa + J_D",
                 "eta_units": "learning-rate scaling: batch mean, fan-in or population width",
                 "evaluate": "accuracy rows at the end or the start of each epoch"}
"""The protocol fields that take a choice (``neurosim.learning.config``), with their help."""
PROTOCOL_FLAGS = ("tie", "warmup_in_budget", "supervision_delay", "label_encoding", "gate_threshold", "eta_units",
                  "evaluate")


def _bool(text):
    if text.lower() in ("1", "true", "yes", "on"):
        return True
    if text.lower() in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"must be true or false, got {text!r}")


def _kappa_in(text):
    if text == "shared":
        return text
    try:
        return REAL(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"must be 'shared' or a finite number, got {text!r}") from None


def _projection_rule(text):
    """``NAME:KEY=V[,KEY=V]`` (keys eta, kappa, decay), checked; kept as written
    (a checkpoint stores the flags as given)."""
    parse_projection_rule(text)
    return text


def parse_projection_rule(text):
    """(name, {key: value}) of a ``--projection`` value, checked."""
    from ..learning.config import check_projection_rules
    name, _, values = text.rpartition(":")
    try:
        own = {k.strip(): float(v) for k, v in (item.split("=") for item in values.split(","))}
        check_projection_rules({name: own})
    except ValueError as e:
        detail = "" if "=" not in values else f" ({e})"
        raise argparse.ArgumentTypeError(f"must be NAME:KEY=VALUE[,KEY=VALUE] with keys eta, kappa, decay "
                                         f"(e.g. 'layer1<-layer0:eta=0.001,kappa=0.5'), got {text!r}{detail}") from None
    if not name:
        raise argparse.ArgumentTypeError(f"must start with a projection name, got {text!r}")
    return name, own


def add_train_args(p):
    """The flags of ``neurosim train``."""
    from ..learning.config import CHOICES, PROTOCOLS
    add_topology_args(p, n=None, rho=None, j_d=None)
    p.add_argument("--protocol", choices=tuple(PROTOCOLS), default="code",
                   help="reading of Algorithm 1: code (the authors' published code: it reproduces the paper's "
                        "results) or text (the paper's text as we read it); sets the fields below and the Table VI "
                        "hyperparameters (README, Protocols). The JSON summary's accuracies are those of the "
                        "trained model; under evaluate=start the per-epoch rows are measured before each epoch")
    for name, what in PROTOCOL_HELP.items():
        p.add_argument("--" + name.replace("_", "-"), choices=CHOICES[name], help=f"{what} (default: the protocol's)")
    p.add_argument("--warmup-in-budget", type=_bool, help="true: the warmup steps count in --max-steps "
                                                          "(default: the protocol's)")
    p.add_argument("--supervision-delay", type=STEPS, help="supervised steps taken without the W_back field "
                                                         "(default: the protocol's)")
    p.add_argument("--w-back", choices=("prototypes", "gaussian"), help="W_back kind (default: the protocol's)")
    p.add_argument("--data-variant", choices=("text", "code"),
                   help="Entangled-MNIST construction: text (centred) or code (default: the protocol's)")
    p.add_argument("--dataset", default="entangled-mnist", help="entangled-mnist, mnist, fashion-mnist, prototypes, ...")
    p.add_argument("--data-dir", help="directory with the dataset files (default: $NEUROSIM_DATA, then the user cache)")
    p.add_argument("--train-size", type=COUNT, help="use only the first P training samples")
    p.add_argument("--val-size", type=COUNT, help="use only the first P validation (test-split) samples")
    p.add_argument("--epochs", type=COUNT, help="default 30 (Table VI); with --resume: train up to this epoch")
    add_batch(p, 16, "training samples per minibatch")
    p.add_argument("--rho-in", type=UNIT, help="density of W_in (default: the protocol's)")
    for name in ("lam_x", "lam_y", "eta_j", "eta_in", "eta_out"):
        p.add_argument("--" + name.replace("_", "-"), type=NONNEG, help="default: Table VI of the protocol")
    p.add_argument("--kappa-out", type=REAL, help="default: Table VI of the protocol")
    p.add_argument("--kappa-j", type=REAL, help="margin threshold of J as TrainConfig takes it (default: "
                                                 "0.9 + J_D under --gate-threshold kappa, 0.9 under kappa+jd, which "
                                                 "adds J_D itself: Table VI)")
    p.add_argument("--kappa-in", type=_kappa_in,
                   help="margin threshold of W_in, or 'shared' for the gate of J (default: the protocol's)")
    p.add_argument("--eta-back", type=NONNEG, default=0.0, help="learning rate of W_back (fixed by default)")
    p.add_argument("--decay-j", type=NONNEG, help="weight decay of J (default: the protocol's)")
    p.add_argument("--decay-out", type=NONNEG, help="weight decay of W_out (default: the protocol's)")
    p.add_argument("--decay-in", type=NONNEG, default=0.0, help="weight decay of W_in")
    p.add_argument("--projection", type=_projection_rule, action="append", metavar="NAME:KEY=V[,KEY=V]",
                   help="a projection of J with its own eta, kappa and/or decay, e.g. 'layer1<-layer1:eta=0.001' "
                        "(repeatable; names: 'post<-pre' as the topology declares them)")
    add_mode(p)
    p.add_argument("--max-steps", type=BUDGET, help="steps per relaxation phase (Table V: 5)")
    p.add_argument("--warmup", type=STEPS, help="warmup steps (default: the number of layers)")
    p.add_argument("--approximate", action="store_true", help="skip the free phase: s* := s'")
    p.add_argument("--gamma", type=POSITIVE, help="tanh-smoothed rule (Eq. 91) with this gamma")
    p.add_argument("--rule", choices=("asym", "sym1", "sym2"), default="asym", help="plasticity rule variant")
    p.add_argument("--readout", choices=("perceptron", "softmax"), default="perceptron", help="readout layer")
    p.add_argument("--eval-samples", type=STEPS, default=10000,
                   help="per-epoch train accuracy on this many seeded training samples (0: all; last epoch: all)")
    p.add_argument("--baseline", choices=BASELINES, default="none",
                   help="reservoir / random features (SM-D), or the binarised MLP with as many parameters")
    p.add_argument("--mlp-lr", type=POSITIVE, default=0.003, help="Adam learning rate of --baseline mlp")
    add_out(p, "HDF5 checkpoint written after every epoch", keep="--resume")
    p.add_argument("--resume", action="store_true",
                   help="continue the run saved in --out: its settings and data come from the checkpoint; a flag "
                        "that contradicts them is an error (--epochs sets the last epoch)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_json(p)


def resolve_defaults(args):
    """Fill the flags left unset from the protocol's Table VI preset and its data
    variant (in place); returns ``args``."""
    from ..learning.config import DATA
    from ..learning.presets import TABLE_VI
    preset = TABLE_VI[args.protocol]
    for key, value in preset.items():
        if key != "kappa_j" and getattr(args, key, None) is None:
            setattr(args, key, "shared" if key == "kappa_in" and value is None else value)
    if args.data_variant is None:
        args.data_variant = DATA[args.protocol]
    return args


def config_from_args(args):
    """The TrainConfig of the train flags (its baseline's, with --baseline)."""
    from ..learning import TrainConfig, random_features, reservoir
    from ..learning.presets import kappa_j
    resolve_defaults(args)
    protocol = {name: getattr(args, name) for name in PROTOCOL_FLAGS if getattr(args, name) is not None}
    cfg = TrainConfig(protocol=args.protocol, **protocol)
    if args.kappa_j is None:
        args.kappa_j = kappa_j(args.protocol, args.j_d, args.gate_threshold)
    cfg = dataclasses.replace(
        cfg, epochs=args.epochs, batch_size=args.batch_size, eta_j=args.eta_j, eta_in=args.eta_in,
        eta_out=args.eta_out, eta_back=args.eta_back, kappa_j=args.kappa_j,
        kappa_in=None if args.kappa_in == "shared" else args.kappa_in, kappa_out=args.kappa_out,
        decay_j=args.decay_j, decay_in=args.decay_in, decay_out=args.decay_out, lam_x=args.lam_x, lam_y=args.lam_y,
        mode=args.mode, p=args.p, max_steps=args.max_steps, warmup=args.warmup, approximate=args.approximate, gamma=args.gamma,
        variant=args.rule, readout=args.readout, seed=args.seed, eval_samples=args.eval_samples,
        projections=dict(parse_projection_rule(v) for v in args.projection or ()) or None)
    return {"reservoir": reservoir(cfg), "random-features": random_features(cfg)}.get(args.baseline, cfg)


FREE_FLAGS = {"out", "force", "resume", "no_progress", "json", "data_dir", "epochs", "func", "command", "argv",
              "given"}
"""Train flags that do not define the run (where it is kept, how it is shown,
where the data files are: their content is hash-checked); every other flag is
stored in a checkpoint and checked on --resume (--epochs: see resume_epochs)."""


def run_settings(args):
    """Every flag that defines a run, resolved (after resolve_defaults and
    config_from_args): what a checkpoint stores under info["args"]."""
    return {k: v for k, v in vars(args).items() if k not in FREE_FLAGS}


RENAMED = {"variant": "rule"}
"""Settings stored under an older name by checkpoints of earlier releases."""


def check_resume(args, info):
    """Refuse --resume with a flag that contradicts the checkpoint's settings,
    listing every difference."""
    if info.get("time") == "continuous":
        raise ValueError(f"--resume: {args.out} was written by 'neurosim continuous train', which does not resume")
    stored = info.get("args")
    given = sorted(given_flags(args) - FREE_FLAGS)
    if stored is None and given:
        raise ValueError(f"--resume: {args.out} was written by an older neurosim that did not store its flags; "
                         f"resume without {', '.join('--' + g.replace('_', '-') for g in given)}")
    stored = {RENAMED.get(k, k): v for k, v in (stored or {}).items()}
    diffs = [f"--{k.replace('_', '-')} {getattr(args, k)} (the checkpoint has {stored.get(k)})"
             for k in given if getattr(args, k) != stored.get(k)]
    if diffs:
        raise ValueError(f"--resume: {args.out} was trained with other settings: {'; '.join(diffs)}. Drop these "
                         "flags to continue it, or start a new run (another --out, or --force to replace it)")


def resume_epochs(args, trainer, log):
    """The last epoch of a resumed run: --epochs if given (said in a line on
    ``log``), else the checkpoint's."""
    done, planned = trainer.epoch, trainer.config.epochs
    if args.epochs is None or args.epochs == planned:
        args.epochs = planned
        return
    line = f"--epochs {args.epochs}: the checkpoint's run planned {planned} epoch(s) and has done {done}; "
    line += (f"training continues to epoch {args.epochs}" if args.epochs > done
             else "nothing is left to train")
    if trainer.config.readout == "softmax":
        line += (f" (softmax readout: its stage starts at epoch {args.epochs // 2 + 1} instead of "
                 f"{planned // 2 + 1})")
    print(line, file=log, flush=True)
    trainer.config = dataclasses.replace(trainer.config, epochs=args.epochs)


def cmd_train(args):
    import neurosim as ns
    from ..learning.checkpoint import load_checkpoint
    from ..learning.trainer import Trainer
    if args.baseline == "mlp" and args.out is not None:
        raise ValueError("--out: --baseline mlp keeps no file (the MLP is not saved); drop --out")
    out_path(args, keep="--resume to continue it", keep_existing=args.resume)
    if args.resume:
        if not args.out or not os.path.exists(args.out):
            raise FileNotFoundError(f"--resume needs an existing --out checkpoint, got {args.out!r}")
        trainer, info = load_checkpoint(args.out)
        check_resume(args, info)
        resume_epochs(args, trainer, sys.stderr if args.json else sys.stdout)
        data, val = load_split(info["dataset"], args.data_dir, info["train_size"], info["val_size"],
                              info.get("data_variant", "text"))
        args.dataset, args.topology = info["dataset"], info["topology"]
        return fit_and_report(trainer, data, val, args, info)
    resolve_defaults(args)
    data, val = load_split(args.dataset, args.data_dir, args.train_size, args.val_size, args.data_variant)
    if args.baseline == "mlp":
        return train_mlp(args, data, val)
    net = build_topology(args, input_dim=data.dim, n_classes=data.n_classes, rho_in=args.rho_in,
                         lam_x=args.lam_x, lam_y=args.lam_y, w_back=args.w_back)
    trainer = Trainer(ns.compile(net), config_from_args(args))
    info = {"dataset": args.dataset, "data_variant": args.data_variant, "train_size": len(data.x_train),
            "val_size": len(val[0]), "topology": args.topology, "argv": args.argv, "args": run_settings(args)}
    return fit_and_report(trainer, data, val, args, info)


def fit_and_report(trainer, data, val, args, info, **extra):
    """Train to ``args.epochs`` with a line (and a checkpoint in ``args.out``) per
    epoch, then print the summary; with ``--json`` its last stdout line is JSON."""
    from ..learning.checkpoint import save_checkpoint
    log = sys.stderr if args.json else sys.stdout
    t0 = time.perf_counter()

    def on_epoch(tr, row):
        print(" ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in row.items()),
              f"({time.perf_counter() - t0:.1f} s)", file=log, flush=True)
        if args.out:
            save_checkpoint(tr, args.out, info)

    try:
        history = trainer.fit(data, epochs=args.epochs, validation=val, progress=not args.no_progress,
                              on_epoch=on_epoch)
    except KeyboardInterrupt:
        raise Interrupted(kept(args.out)) from None
    last = dict(history[-1]) if history else {}
    if "end_val_accuracy" in last or "end_train_accuracy" in last:  # evaluate="start": report the trained model
        for key in ("train_accuracy", "val_accuracy"):
            if f"end_{key}" in last:
                last[f"start_{key}"], last[key] = last[key], last.pop(f"end_{key}")
    summary = {"dataset": args.dataset, "topology": args.topology, "n": int(trainer.cn.n), **extra,
               "epochs": trainer.epoch, "seconds": time.perf_counter() - t0, **last,
               "config": dataclasses.asdict(trainer.config)}
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"train accuracy {last.get('train_accuracy', float('nan')):.4f}, "
              f"validation accuracy {last.get('val_accuracy', float('nan')):.4f}")
    return 0


def kept(out):
    """What a Ctrl-C leaves, read from the file itself (a save is atomic: the
    checkpoint holds the last epoch whose save completed)."""
    from ..io import NeurosimFileError, describe
    if not out:
        return "nothing was saved (no --out)"
    try:
        return f"the checkpoint {out} holds epoch {describe(out)['items']['training']['epoch']}"
    except (OSError, NeurosimFileError, KeyError):
        return f"no checkpoint was saved in {out}"


def train_mlp(args, data, val):
    """SM-D's backprop reference, as wide as the recurrent model has parameters."""
    import neurosim as ns
    from ..learning.mlp import BinaryMLP, matching_width, recurrent_parameters
    net = build_topology(args, input_dim=data.dim, n_classes=data.n_classes, rho_in=args.rho_in, w_back=args.w_back)
    n_params = recurrent_parameters(ns.compile(net))
    width = matching_width(n_params, data.dim, data.n_classes)
    t0 = time.perf_counter()
    mlp = BinaryMLP(data.dim, width, data.n_classes, seed=args.seed)
    mlp.fit(data.x_train, data.y_train, epochs=args.epochs, lr=args.mlp_lr, seed=args.seed)
    summary = {"dataset": args.dataset, "baseline": "mlp", "width": width, "parameters": n_params,
               "epochs": args.epochs, "seconds": time.perf_counter() - t0,
               "train_accuracy": mlp.accuracy(data.x_train, data.y_train), "val_accuracy": mlp.accuracy(*val)}
    print(json.dumps(summary) if args.json else " ".join(f"{k} {v}" for k, v in summary.items()))
    return 0


def cmd_eval(args):
    from ..learning.checkpoint import load_checkpoint
    trainer, info = load_checkpoint(args.file)
    if info.get("time") == "continuous":    # written by `neurosim continuous train`: evaluate as it trained
        from ..continuous.training import ContinuousConfig, ContinuousTrainer
        trainer = ContinuousTrainer(trainer.cn, trainer.config, trainer.epoch, trainer.history,
                                    continuous=ContinuousConfig(**info["continuous"]))
    name = args.dataset or info.get("dataset", "entangled-mnist")
    data, val = load_split(name, args.data_dir, None, None, info.get("data_variant", "text"))
    summary = {"file": args.file, "dataset": name, "epochs": trainer.epoch,
               "test_accuracy": trainer.accuracy(*val)}
    if args.train:
        summary["train_accuracy"] = trainer.accuracy(data.x_train, data.y_train)
    if args.json:
        print(json.dumps(summary))
    else:
        print(" ".join(f"{k} {v}" for k, v in summary.items()))
    return 0


def register(sub):
    """Add ``train`` and ``eval``."""
    p = sub.add_parser("train", help="train a topology with Algorithm 1 (defaults: Table VI)")
    p.alias("--variant", "--rule")
    add_train_args(p)
    p.set_defaults(func=cmd_train)
    p = sub.add_parser("eval", help="accuracy of a trained checkpoint")
    p.add_argument("file", help="checkpoint written by neurosim train or neurosim continuous train")
    p.add_argument("--dataset", help="default: the dataset it was trained on")
    p.add_argument("--data-dir", help="directory with the dataset files (default: $NEUROSIM_DATA, then the user cache)")
    p.add_argument("--train", action="store_true", help="also report training accuracy")
    add_json(p)
    p.set_defaults(func=cmd_eval)
