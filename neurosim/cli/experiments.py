"""``neurosim experiment`` and ``neurosim sweep``: the paper's figures and tables
(``experiments/``, found by :mod:`neurosim.experiments`) and Dask parameter
sweeps (``experiments/sweep.py``)."""
import argparse
import json
import os
import sys
from pathlib import Path

from ..experiments import load_experiments, load_sweep
from ..files import check_output
from .common import COUNT, STEPS, add_json, add_out, plain

DEFAULT_OUT = "experiments-out"


def _override(text):
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"--set expects KEY=VALUE, got {text!r}")
    try:
        parsed = json.loads(value)
    except ValueError:
        parsed = value
    if isinstance(parsed, list):
        parsed = tuple(parsed)
    return key.strip(), parsed


def cmd_experiment(args):
    pkg = load_experiments()
    if args.list or not args.name:
        rows = [(n, "implemented", pkg.IMPLEMENTED[n]) for n in sorted(pkg.IMPLEMENTED)]
        rows += [(n, "not implemented", pkg.PLANNED[n]) for n in sorted(pkg.PLANNED)]
        if args.json:
            print(json.dumps([{"name": a, "state": b, "what": c} for a, b, c in rows]))
        else:
            for name, state, what in rows:
                print(f"{name:10s} {state:16s} {what}")
        return 0
    pkg.get(args.name)   # an unknown name fails before anything is written
    out = Path(args.out if args.out is not None else Path(DEFAULT_OUT) / args.name)
    if os.path.exists(out) and not os.path.isdir(out):
        raise ValueError(f"--out {str(out)!r} is a file: give a directory")
    out.mkdir(parents=True, exist_ok=True)
    for suffix in (".h5", ".png", ".md"):
        check_output(out / (args.name + suffix), args.force)
    res = pkg.run(args.name, quick=args.quick, out_dir=out, **dict(args.set or []))
    if args.json:
        print(json.dumps(res, default=plain))
    else:
        print(f"{args.name} ({'quick' if args.quick else 'full'}): {res['seconds']:.1f} s")
        for kind, path in res["files"].items():
            print(f"  {kind:3s} {path}")
    return 0


def cmd_sweep(args):
    sweep = load_sweep()
    res = sweep.run_sweep(args.config, out=args.out, scheduler=args.scheduler, retries=args.retries,
                          workers=args.workers, processes=args.processes, threads=args.threads,
                          log=lambda msg: print(msg, file=sys.stderr, flush=True), force=args.force,
                          allow_import=args.allow_import)
    failed = [k for k, s in enumerate(res["status"]) if s != "ok"]
    summary = {"file": res["file"], "points": len(res["points"]), "failed": failed,
               "attempts": res["attempts"], "seconds": res["seconds"]}
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"sweep {res['name']}: {len(res['points']) - len(failed)}/{len(res['points'])} points ok "
              f"in {res['seconds']:.1f} s; results in {res['file']}")
        for k in failed:
            last = res["errors"][k][-1].strip().splitlines()[-1] if res["errors"][k] else "?"
            print(f"  point {k} {json.dumps(res['points'][k], default=str)} failed after "
                  f"{res['attempts'][k]} attempt(s): {last}")
    return 1 if failed else 0


def register(sub):
    """Add ``experiment`` and ``sweep``."""
    p = sub.add_parser("experiment", help="run one of the paper's figures or tables (experiments/)",
                       description="Write <out>/<name>.h5, .png and .md (the paper's numbers beside ours).")
    p.add_argument("name", nargs="?", help="experiment name (see --list)")
    p.add_argument("--quick", action="store_true", help="small version (minutes on a laptop)")
    p.add_argument("--out", help=f"output directory (default: {DEFAULT_OUT}/NAME in the current directory)")
    p.add_argument("--force", action="store_true", help="replace NAME.h5, .png and .md already in --out")
    p.add_argument("--set", action="append", type=_override, metavar="KEY=VALUE",
                   help="override one parameter (JSON value, e.g. --set ns=[100,200]); repeatable")
    p.add_argument("--list", action="store_true", help="list implemented and planned experiments")
    add_json(p)
    p.set_defaults(func=cmd_experiment)

    p = sub.add_parser("sweep", help="run a TOML parameter grid on Dask distributed",
                       description="Every grid point is one run on a Dask worker; failures are reported, "
                                   "retried and kept in the results file.")
    p.add_argument("config", help="sweep TOML file ([sweep], [fixed], [grid])")
    p.add_argument("--scheduler", help="address of a running Dask scheduler (default: a LocalCluster)")
    add_out(p, "results HDF5 file (default: NAME.h5)")
    p.add_argument("--allow-import", action="store_true",
                   help="let the config's runner be any importable 'module:function' (it runs that code; "
                        "without this flag a runner must be a registered name such as 'train')")
    p.add_argument("--retries", type=STEPS, help="extra attempts per failed point (default: the config's, else 1)")
    p.add_argument("--workers", type=COUNT, help="LocalCluster workers (default 1 in-process, 2 with --processes)")
    p.add_argument("--processes", action="store_true", help="LocalCluster with worker processes")
    p.add_argument("--threads", type=COUNT, default=2, help="threads of the in-process worker")
    add_json(p)
    p.set_defaults(func=cmd_sweep)
