"""Parameter sweeps on Dask distributed (DESIGN.md section 6).

A sweep is a TOML file::

    [sweep]
    name = "jd-by-seed"        # optional (default: the file's stem)
    runner = "train"           # a registered runner (RUNNERS: "train", the default), or
                               # "package.module:function" with allow_import (--allow-import)
    retries = 2                # extra attempts for a point that fails (default 1)

    [fixed]                    # parameters shared by every point
    n = 200
    train_size = 2000
    epochs = 2

    [grid]                     # every combination is one point, in this order
    j_d = [0.25, 0.5]
    seed = [0, 1]

Each point runs ``runner(params) -> dict`` on a Dask worker, where ``params`` is
``fixed`` updated with the point's grid values. A runner is a name registered in
:data:`RUNNERS` (:func:`register_runner` adds one). A config may instead name
any importable ``module:function``, which runs whatever code that module holds:
only with ``allow_import=True`` (``neurosim sweep --allow-import``), so a TOML
file from elsewhere cannot run a command (``runner = "subprocess:run"``). The default runner ``train``
trains a ready topology on a data set with Algorithm 1 (see :func:`train_point`
for its parameters). The cluster is a ``distributed.LocalCluster`` (in-process,
two threads) unless a scheduler address is given.

A point whose runner raises (or whose worker dies) is reported as it happens
and submitted again, up to ``retries`` more times; every attempt's error text
is kept. When every point has finished, one HDF5 file holds all of them,
written atomically (temp file, then rename):

    attrs        name, runner, retries, config (the TOML text), grid_keys,
                 n_points, n_ok, n_failed
    params/K     the grid value of every point for grid key K
    status       "ok" or "failed" per point
    attempts     attempts made per point
    errors       every failed attempt's error text per point ("" if none)
    seconds      wall time of the successful (or last) attempt
    metrics/M    scalar metric M of every point (NaN where it failed)
    points/NNNN  per point: params (JSON), status, error, every metric and array

Functions that run on workers (``execute_point``, ``train_point``) import only
``neurosim`` and the standard library. They travel by value: the client
cloudpickles them (this package registered by value) and submits the bytes to
``neurosim.experiments.run_pickled``, which every worker with ``neurosim``
installed can import, so a worker needs neither this directory nor its path.
(Dask pickles a plain function by reference, and a worker that cannot import
the reference dies while reading the task.) A ``runner`` given as a Python
callable travels the same way when cloudpickle can send it by value, else by
reference: use an importable ``module:function`` for worker processes.
"""
import dataclasses
import itertools
import json
import os
import sys
import time
import traceback
from pathlib import Path

import numpy as np

from neurosim.files import check_output

DEFAULT_RETRIES = 1


@dataclasses.dataclass
class SweepConfig:
    name: str
    runner: str
    retries: int
    fixed: dict
    grid: dict
    text: str = ""

    def points(self):
        """Every combination of the grid values (first key varies slowest),
        each merged over the fixed parameters."""
        keys = list(self.grid)
        return [{**self.fixed, **dict(zip(keys, values))}
                for values in itertools.product(*(self.grid[k] for k in keys))]


def load_config(source, name=None, allow_import=False):
    """A :class:`SweepConfig` from a TOML file path, TOML text or a dict; a
    ``module:function`` runner needs ``allow_import``."""
    try:
        import tomllib
    except ModuleNotFoundError:      # Python < 3.11
        import tomli as tomllib
    text = ""
    if isinstance(source, dict):
        data = source
    else:
        path = Path(source) if not (isinstance(source, str) and "\n" in source) else None
        if path is not None:
            if not path.is_file():
                raise FileNotFoundError(f"sweep config {str(path)!r} does not exist")
            text = path.read_text(encoding="utf-8")
            name = name or path.stem
        else:
            text = source
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"sweep config is not valid TOML: {exc}") from None
    unknown = sorted(set(data) - {"sweep", "fixed", "grid"})
    if unknown:
        raise ValueError(f"sweep config: unknown section [{unknown[0]}] (sections: [sweep], [fixed], [grid])")
    head = dict(data.get("sweep", {}))
    extra = sorted(set(head) - {"name", "runner", "retries"})
    if extra:
        raise ValueError(f"sweep config: unknown key {extra[0]!r} in [sweep] (keys: name, runner, retries)")
    retries = head.get("retries", DEFAULT_RETRIES)
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise ValueError(f"sweep config: retries must be an integer >= 0, got {retries!r}")
    runner = head.get("runner", "train")
    if not isinstance(runner, str) or not (runner in RUNNERS or ":" in runner):
        raise ValueError(f"sweep config: runner must be one of {sorted(RUNNERS)} or 'module:function', got {runner!r}")
    if runner not in RUNNERS and not allow_import:
        raise ValueError(f"sweep config: runner {runner!r} is not a registered runner ({', '.join(sorted(RUNNERS))}); "
                         "an importable 'module:function' runs arbitrary code: pass --allow-import to allow it")
    grid = dict(data.get("grid", {}))
    if not grid:
        raise ValueError("sweep config: [grid] must list at least one parameter, e.g. j_d = [0.25, 0.5]")
    for key, values in grid.items():
        if not isinstance(values, list) or not values:
            raise ValueError(f"sweep config: grid value {key!r} must be a non-empty list, got {values!r}")
        kinds = {type(v) for v in values}
        if not kinds <= {int, float, str, bool} or (str in kinds and len(kinds) > 1):
            raise ValueError(f"sweep config: grid value {key!r} must hold numbers or strings (not mixed), got {values!r}")
    fixed = dict(data.get("fixed", {}))
    both = sorted(set(fixed) & set(grid))
    if both:
        raise ValueError(f"sweep config: {both[0]!r} is both in [fixed] and in [grid]")
    name = str(head.get("name") or name or "sweep")
    return SweepConfig(name=name, runner=runner, retries=retries, fixed=fixed, grid=grid, text=text)


# ---------------------------------------------------------------- workers
def train_point(params):
    """One training run (the paper's grid-search unit). Parameters (defaults):

    topology ("core"), n (200), layers (2), rho (0.1), j_d (0.5), lam (0.5),
    seed (0), rho_in (0.1), lam_x (2.0), lam_y (0.9); dataset
    ("entangled-mnist"), data_dir, train_size (2000), val_size (1000);
    baseline ("none", "reservoir", "random-features"); every
    ``neurosim.learning.TrainConfig`` field (kappa_j defaults to 0.9 + J_D as in
    Table VI; seed is shared). Unknown names are errors.

    Returns the last epoch's metrics and the per-epoch history arrays."""
    import inspect

    import neurosim as ns
    from neurosim import topologies
    from neurosim.learning import TrainConfig, random_features, reservoir
    from neurosim.datasets import load_split
    from neurosim.learning.trainer import Trainer

    net_keys = {"topology": "core", "n": 200, "layers": 2, "rho": 0.1, "j_d": 0.5, "lam": 0.5, "seed": 0,
                "rho_in": 0.1, "lam_x": 2.0, "lam_y": 0.9}
    data_keys = {"dataset": "entangled-mnist", "data_dir": None, "train_size": 2000, "val_size": 1000,
                 "baseline": "none"}
    cfg_keys = {f.name for f in dataclasses.fields(TrainConfig)} - {"seed", "lam_x", "lam_y"}
    unknown = sorted(set(params) - set(net_keys) - set(data_keys) - cfg_keys)
    if unknown:
        raise ValueError(f"unknown parameter {unknown[0]!r} for the train runner")
    p = {**net_keys, **data_keys, **params}
    data, val = load_split(p["dataset"], p["data_dir"], p["train_size"], p["val_size"])
    if p["topology"] not in topologies.TOPOLOGIES:
        raise ValueError(f"unknown topology {p['topology']!r}; known: {', '.join(sorted(topologies.TOPOLOGIES))}")
    fn = topologies.TOPOLOGIES[p["topology"]]
    accepted = inspect.signature(fn).parameters
    kw = {k: p[k] for k in ("n", "layers", "rho", "j_d", "lam", "seed") if k in accepted}
    net = fn(**kw, input_dim=data.dim, n_classes=data.n_classes, rho_in=p["rho_in"], lam_x=p["lam_x"],
             lam_y=p["lam_y"])
    cfg = {k: params[k] for k in cfg_keys if k in params}
    cfg.setdefault("kappa_j", 0.9 + p["j_d"])
    config = TrainConfig(seed=p["seed"], **cfg)
    config = {"none": config, "reservoir": reservoir(config),
              "random-features": random_features(config)}.get(p["baseline"])
    if config is None:
        raise ValueError(f"baseline must be 'none', 'reservoir' or 'random-features', got {p['baseline']!r}")
    trainer = Trainer(ns.compile(net), config)
    hist = trainer.fit(data, validation=val)
    out = {k: float(v) for k, v in hist[-1].items() if isinstance(v, (int, float))}
    for key in hist[-1]:
        out[f"history_{key}"] = np.array([row[key] for row in hist], dtype=float)
    return out


RUNNERS = {"train": train_point}


def register_runner(name, fn):
    """Make ``fn(params) -> dict`` available to sweep configs as ``runner = name``."""
    if not isinstance(name, str) or not name or ":" in name or not callable(fn):
        raise ValueError(f"register_runner needs a name without ':' and a callable, got {name!r}, {fn!r}")
    RUNNERS[name] = fn


def resolve_runner(spec, allow_import=False):
    """The callable of a runner: itself, a registered name, or (``allow_import``)
    an importable ``module:function``."""
    if callable(spec):
        return spec
    if spec in RUNNERS:
        return RUNNERS[spec]
    if not allow_import:
        raise ValueError(f"runner {spec!r} is not registered ({', '.join(sorted(RUNNERS))}); "
                         "importing 'module:function' needs allow_import=True (--allow-import)")
    import importlib
    module, _, attr = spec.partition(":")
    try:
        fn = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"cannot load runner {spec!r}: {exc}") from None
    if not callable(fn):
        raise ValueError(f"runner {spec!r} is not callable")
    return fn


def execute_point(runner, params):
    """Run one point on a worker; never raises: an exception becomes
    ``{"status": "error", "error": traceback text}``."""
    import platform
    t0 = time.perf_counter()
    where = f"{platform.node()}:{os.getpid()}"
    try:
        metrics = resolve_runner(runner)(dict(params))
        if not isinstance(metrics, dict):
            raise TypeError(f"a runner must return a dict of metrics, got {type(metrics).__name__}")
        return {"status": "ok", "metrics": metrics, "seconds": time.perf_counter() - t0, "worker": where}
    except Exception as exc:  # reported and retried by the client
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        return {"status": "error", "error": text, "summary": f"{type(exc).__name__}: {exc}",
                "seconds": time.perf_counter() - t0, "worker": where}


# ----------------------------------------------------------------- client
def _ship_by_value():
    """Let functions of this package travel to remote workers by value."""
    import cloudpickle
    package = sys.modules.get(__package__) if __package__ else None
    target = package if package is not None else sys.modules[__name__]
    try:
        cloudpickle.register_pickle_by_value(target)
    except ValueError:
        pass


def connect(scheduler=None, workers=None, processes=False, threads=2, memory_limit="2GiB"):
    """(client, cluster): a Client on ``scheduler``, or on a new LocalCluster
    (in-process workers by default; ``processes=True`` for worker processes)."""
    import logging

    from distributed import Client, LocalCluster
    if scheduler:
        return Client(scheduler, timeout="30s"), None
    if processes:
        cluster = LocalCluster(n_workers=workers or 2, threads_per_worker=1, processes=True,
                               memory_limit=memory_limit, dashboard_address=":0", silence_logs=logging.ERROR)
    else:
        cluster = LocalCluster(n_workers=workers or 1, threads_per_worker=threads, processes=False,
                               dashboard_address=":0", silence_logs=logging.ERROR)
    return Client(cluster), cluster


def payload(runner):
    """The bytes a worker turns back into ``execute_point`` bound to ``runner``."""
    import cloudpickle
    _ship_by_value()
    return cloudpickle.dumps((execute_point, runner))


def execute(client, runner, points, retries, name="sweep", log=None):
    """Submit every point, resubmit failures up to ``retries`` times; returns one
    record per point: status, attempts, errors (list), metrics, seconds."""
    from distributed import as_completed

    from neurosim.experiments import run_pickled
    blob = payload(runner)
    log = log or (lambda msg: None)
    records = [{"status": "pending", "attempts": 0, "errors": [], "metrics": {}, "seconds": float("nan")}
               for _ in points]
    token = f"{int(time.time() * 1000) % 10 ** 9}"
    pending = {}

    def submit(k):
        records[k]["attempts"] += 1
        fut = client.submit(run_pickled, blob, points[k], pure=False,
                            key=f"{name}-{token}-point{k}-try{records[k]['attempts']}")
        pending[fut] = k
        return fut

    stream = as_completed([submit(k) for k in range(len(points))])
    done = 0
    for fut in stream:
        k = pending.pop(fut)
        try:
            out = fut.result()
        except Exception as exc:   # the worker died, the task was lost or cancelled
            out = {"status": "error", "summary": f"{type(exc).__name__}: {exc}",
                   "error": "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))}
        rec = records[k]
        rec["seconds"] = float(out.get("seconds", float("nan")))
        if out["status"] == "ok":
            rec["status"], rec["metrics"] = "ok", out["metrics"]
            done += 1
            log(f"[{done}/{len(points)}] point {k} {compact(points[k])}: ok in {rec['seconds']:.1f} s "
                f"(attempt {rec['attempts']})")
            continue
        rec["errors"].append(f"attempt {rec['attempts']}: {out['error']}")
        if rec["attempts"] <= retries:
            log(f"point {k} {compact(points[k])} failed (attempt {rec['attempts']} of {retries + 1}): "
                f"{out['summary']}; retrying")
            stream.add(submit(k))
        else:
            rec["status"] = "failed"
            done += 1
            log(f"[{done}/{len(points)}] point {k} {compact(points[k])} FAILED after {rec['attempts']} "
                f"attempt(s): {out['summary']}")
    return records


def compact(params):
    return json.dumps(params, sort_keys=True, default=str)


def write_results(path, config, points, records, scheduler=None):
    """The sweep's HDF5 file (layout in the module docstring), atomically."""
    from ._common import write_h5
    keys = list(config.grid)
    params = {}
    for key in keys:
        values = [pt[key] for pt in points]
        params[key] = [str(v) for v in values] if isinstance(values[0], str) else np.array(values)
    scalar_names = sorted({m for r in records for m, v in r["metrics"].items()
                           if np.ndim(v) == 0 and np.asarray(v).dtype.kind in "biuf"})
    metrics = {m: np.array([float(r["metrics"].get(m, np.nan)) if r["status"] == "ok" else np.nan
                            for r in records]) for m in scalar_names}
    per_point = {}
    for k, (pt, rec) in enumerate(zip(points, records)):
        entry = {"params": json.dumps(pt, sort_keys=True, default=str), "status": rec["status"],
                 "attempts": rec["attempts"], "error": "\n".join(rec["errors"])}
        for m, v in rec["metrics"].items():
            arr = np.asarray(v)
            if arr.dtype.kind in "biuf":
                entry[f"metric_{m}"] = arr
            else:
                entry[f"metric_{m}"] = str(v)
        per_point[f"{k:04d}"] = entry
    tree = {"params": params, "status": [r["status"] for r in records],
            "attempts": np.array([r["attempts"] for r in records]),
            "errors": ["\n".join(r["errors"]) for r in records],
            "seconds": np.array([r["seconds"] for r in records]), "metrics": metrics, "points": per_point}
    n_failed = sum(r["status"] != "ok" for r in records)
    attrs = {"experiment": "sweep", "name": config.name, "runner": config.runner, "retries": config.retries,
             "config": config.text or json.dumps({"fixed": config.fixed, "grid": config.grid}),
             "grid_keys": keys, "n_points": len(points), "n_ok": len(points) - n_failed, "n_failed": n_failed,
             "scheduler": scheduler or "LocalCluster"}
    return write_h5(path, tree, attrs=attrs)


def run_sweep(config, out=None, scheduler=None, retries=None, runner=None, workers=None, processes=False,
              threads=2, log=None, force=False, allow_import=False):
    """Run a sweep and write its HDF5 file; returns a summary dict (file, points,
    statuses, attempts, errors, metrics). ``config`` is a path, TOML text, a dict
    or a :class:`SweepConfig`; ``runner`` (a callable) overrides the config's;
    ``retries`` overrides the config's. An existing ``out`` is refused unless
    ``force``; a ``module:function`` runner needs ``allow_import``."""
    cfg = config if isinstance(config, SweepConfig) else load_config(config, allow_import=allow_import)
    if retries is not None:
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise ValueError(f"retries must be an integer >= 0, got {retries!r}")
        cfg = dataclasses.replace(cfg, retries=retries)
    out = Path(check_output(out if out is not None else f"{cfg.name}.h5", force))
    points = cfg.points()
    task = resolve_runner(runner if runner is not None else cfg.runner, allow_import)  # before any cluster starts
    if runner is not None:
        name = f"{getattr(runner, '__module__', '?')}:{getattr(runner, '__qualname__', repr(runner))}"
        cfg = dataclasses.replace(cfg, runner=name)
    client, cluster = connect(scheduler, workers, processes, threads)
    t0 = time.perf_counter()
    try:
        records = execute(client, task, points, cfg.retries, cfg.name, log)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    write_results(out, cfg, points, records, scheduler)
    return {"file": str(out), "name": cfg.name, "seconds": time.perf_counter() - t0, "points": points,
            "status": [r["status"] for r in records], "attempts": [r["attempts"] for r in records],
            "errors": [r["errors"] for r in records], "metrics": [r["metrics"] for r in records],
            "n_failed": sum(r["status"] != "ok" for r in records)}
