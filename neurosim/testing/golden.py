"""The golden trajectories: the plain-numpy reference (:mod:`neurosim.testing.reference`)
run on every conformance case, stored with the case's network, field and starts in one
small file per network (``golden/<network>.npz``), so that a backend is checked
against stored numbers, not against code that may change.

Regenerate them (after a deliberate change of the cases or of the semantics) with

    python scripts/make_golden.py            # writes neurosim/testing/golden/*.npz
    python scripts/make_golden.py --check    # exit 1 if a stored file differs
"""
import argparse
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..compiled import CompiledNetwork
from . import reference
from .cases import ALL_CASES, CASES, MAX_STEPS, SEED, Case, conformance_inputs

DIRECTORY = Path(__file__).resolve().parent / "golden"
SCALARS = ("n", "lam_x", "lam_y", "meta")


@dataclass
class Golden:
    """A conformance case with its inputs and its reference result: ``network``,
    ``field`` [B, N], ``s0`` [B, N], ``seed``, ``max_steps``, and ``expected`` (a
    :class:`~neurosim.testing.reference.Trajectories`)."""

    case: Case
    network: CompiledNetwork
    field: np.ndarray
    s0: np.ndarray
    seed: int
    max_steps: int
    expected: reference.Trajectories

    def run(self, backend, **kw):
        """This case run by ``backend`` (a :class:`neurosim.backends.Backend`), trajectory recorded."""
        c = self.case
        return backend.run(self.network, field=self.field, s0=self.s0, mode=c.mode, p=c.p, max_steps=self.max_steps,
                           seed=self.seed, tie=c.tie, record=True, **kw)


def make(name):
    """The arrays of ``golden/<name>.npz``: network ``name`` built from code and
    the reference run of each of its cases."""
    cn, field, s0 = conformance_inputs(name)
    arrays = {f"net/{k}": np.asarray(getattr(cn, k)) for k in CompiledNetwork.ARRAYS + SCALARS}
    arrays["net/pop_names"] = np.array(cn.pop_names)
    arrays["net/proj_names"] = np.array(cn.proj_names, dtype=str)
    arrays.update(field=field, s0=s0, seed=np.int64(SEED), max_steps=np.int64(MAX_STEPS))
    M = reference.dense_couplings(cn)
    for case in CASES:
        if case.network == name:
            ref = reference.run(M, field, s0, case.mode, MAX_STEPS, p=case.p, seed=SEED, tie=case.tie)
            arrays.update({f"{case.id}/trajectory": ref.trajectory, f"{case.id}/steps": ref.steps,
                           f"{case.id}/converged": ref.converged})
    return arrays


def path(name, directory=None):
    return Path(DIRECTORY if directory is None else directory) / f"{name}.npz"


def pack(arrays):
    """{name: array} as two arrays: ``index`` (JSON: name, dtype, shape of each) and
    ``blob`` (their bytes, one after the other). One compressed stream for all of
    them: a file of a few KB, not one zip entry (hundreds of bytes) per array."""
    arrays = {k: np.asarray(v) for k, v in arrays.items()}
    index = [(k, v.dtype.str, list(v.shape)) for k, v in arrays.items()]
    blob = np.frombuffer(b"".join(v.tobytes() for v in arrays.values()), dtype=np.uint8)
    return {"index": np.array(json.dumps(index)), "blob": blob}


def unpack(index, blob):
    """The inverse of :func:`pack` (read-only views into ``blob``)."""
    arrays, at = {}, 0
    for name, dtype, shape in json.loads(str(index)):
        dtype = np.dtype(dtype)
        count = int(np.prod(shape, dtype=np.int64))
        arrays[name] = np.frombuffer(blob, dtype=dtype, count=count, offset=at).reshape(tuple(shape))
        at += count * dtype.itemsize
    return arrays


def read(name, directory=None):
    """The stored arrays of network ``name`` (read-only: shared by every case of the network)."""
    with np.load(path(name, directory)) as z:
        return unpack(z["index"], z["blob"].tobytes())


def write(names=None, directory=None):
    """Write ``golden/<name>.npz`` for ``names`` (default: every network), each atomically."""
    from ..files import atomic_path
    out = []
    for name in sorted(ALL_CASES) if names is None else names:
        target = path(name, directory)
        with atomic_path(target) as tmp:
            with open(tmp, "wb") as f:
                np.savez_compressed(f, **pack(make(name)))
        out.append(target)
    return out


def differences(name, directory=None):
    """The keys whose stored arrays differ from a fresh :func:`make` (missing or extra ones included)."""
    stored, fresh = read(name, directory), make(name)
    keys = sorted(set(stored) | set(fresh))
    return [k for k in keys if k not in stored or k not in fresh or not (
        stored[k].dtype == fresh[k].dtype and np.array_equal(stored[k], fresh[k]))]


@lru_cache(maxsize=None)
def _stored(name):
    arrays = read(name)
    kw = {k: arrays[f"net/{k}"] for k in CompiledNetwork.ARRAYS}
    kw.update(n=int(arrays["net/n"]), lam_x=float(arrays["net/lam_x"]), lam_y=float(arrays["net/lam_y"]),
              meta=str(arrays["net/meta"]), pop_names=[str(v) for v in arrays["net/pop_names"]],
              proj_names=tuple(str(v) for v in arrays["net/proj_names"]))
    return CompiledNetwork(**kw), arrays


def load(case):
    """The :class:`Golden` of ``case`` (a :class:`Case` or its id), from the stored file."""
    if isinstance(case, str):
        found = [c for c in CASES if c.id == case]
        if not found:
            raise ValueError(f"unknown conformance case {case!r}")
        case = found[0]
    cn, a = _stored(case.network)
    expected = reference.Trajectories(a[f"{case.id}/trajectory"], a[f"{case.id}/steps"], a[f"{case.id}/converged"])
    return Golden(case, cn, a["field"], a["s0"], int(a["seed"]), int(a["max_steps"]), expected)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="make_golden.py",
                                     description="Regenerate (or check) the golden trajectories of the conformance "
                                                 "suite from the plain-numpy reference.")
    parser.add_argument("--check", action="store_true", help="compare the stored files with a fresh run; write nothing")
    parser.add_argument("--dir", default=None, help=f"where the files are (default: {DIRECTORY})")
    args = parser.parse_args(argv)
    if args.check:
        bad = {name: differences(name, args.dir) for name in sorted(ALL_CASES)}
        bad = {k: v for k, v in bad.items() if v}
        for name, keys in bad.items():
            print(f"{path(name, args.dir)}: differs in {', '.join(keys[:5])}{' ...' if len(keys) > 5 else ''}")
        print("golden files up to date" if not bad else "golden files out of date")
        return 1 if bad else 0
    for p in write(directory=args.dir):
        print(f"wrote {p} ({p.stat().st_size} bytes)")
    return 0

