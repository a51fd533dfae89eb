"""Fuzz the HDF5 loaders: random corruptions of every kind of file neurosim
writes (network, compiled network, relaxation result, training checkpoint),
each loaded by ``neurosim.load`` and described by ``neurosim.io.describe``.

Each case ends in one of four outcomes:

    refused     a NeurosimFileError naming the file (the damage was caught)
    unchanged   it loads, and equals the original bit for bit (the damage hit
                bytes that no content depends on: the padding of the user block
                that holds the seal)
    silent      it loads, and differs from the original: a silent acceptance
    crash       any other exception, or the process died (each case runs in a
                forked child, so a segfault is counted, not fatal)

    python tests/fuzz_loaders.py                 # 1,000 cases, seed 0
    python tests/fuzz_loaders.py --cases 200 --seed 3 --json
    python tests/fuzz_loaders.py --reseal        # damaged files sealed again

The exit status is 1 when a case was silent or crashed. ``tests/test_properties.py``
draws the same corruptions with hypothesis.
"""
import argparse
import dataclasses
import json
import os
import select
import signal
import sys
import tempfile
import time
from collections import Counter

import numpy as np

import neurosim as ns
from conftest import masked_network
from neurosim import io as nio
from neurosim.learning import TrainConfig
from neurosim.learning.checkpoint import TrainingState

HOWS = ("bitflip", "byte", "bytes", "zero", "truncate", "copy")
OUTCOMES = ("refused", "unchanged", "silent", "crash")


def samples():
    """One object of every kind neurosim saves, small (no engine run: the
    result is made of arrays, so forked children inherit no thread pool)."""
    net = masked_network()
    cn = ns.compile(net)
    rng = np.random.default_rng(0)
    states = rng.choice(np.array([-1, 1], dtype=np.int8), size=(5, cn.n))
    result = ns.RelaxResult(states, np.arange(5, dtype=np.int64), np.array([1, 0, 1, 1, 0], dtype=bool),
                            np.arange(5, dtype=np.int64) * 3, np.repeat(states[:, None], 3, axis=1))
    state = TrainingState(dataclasses.asdict(TrainConfig(epochs=4).validated()), 2,
                          [{"epoch": 1, "val_accuracy": 0.5}, {"epoch": 2, "val_accuracy": 0.625}],
                          {"dataset": "entangled-mnist", "train_size": 100, "val_size": 50})
    return {"network": net, "compiled": cn, "result": result, "checkpoint": {"network": cn, "training": state}}


def corrupt(data, how, pos, length, value):
    """``data`` (bytes) damaged once: ``how`` in HOWS at byte ``pos`` (taken
    modulo the size), ``length`` bytes (1..), ``value`` a byte or bit seed."""
    b = bytearray(data)
    pos %= len(b)
    end = min(len(b), pos + max(1, length))
    if how == "bitflip":
        b[pos] ^= 1 << (value % 8)
    elif how == "byte":
        b[pos] = value % 256 if value % 256 != b[pos] else (b[pos] + 1) % 256
    elif how == "bytes":
        b[pos:end] = np.random.default_rng(value).integers(0, 256, end - pos, dtype=np.uint8).tobytes()
    elif how == "zero":
        b[pos:end] = bytes(end - pos)
    elif how == "truncate":
        del b[pos:]
    elif how == "copy":
        src = value % len(b)
        chunk = b[src:src + (end - pos)]
        b[pos:pos + len(chunk)] = chunk
    else:
        raise ValueError(f"how must be one of {HOWS}, got {how!r}")
    return bytes(b)


def same(a, b):
    """Equal type and value, recursively; arrays equal in dtype, shape and bytes."""
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    if hasattr(a, "tocsr") and hasattr(a, "indptr"):
        return a.shape == b.shape and all(same(getattr(a, p), getattr(b, p)) for p in ("indptr", "indices", "data"))
    if isinstance(a, ns.CompiledNetwork):
        return a.layouts == b.layouts and all(same(getattr(a, k), getattr(b, k)) for k in a.ARRAYS + a.SCALARS)
    if dataclasses.is_dataclass(a):
        return all(same(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a))
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return a == b


def outcome(path, original):
    """The outcome (OUTCOMES) of loading and describing the file at ``path``,
    and a detail (the exception's type and message for a crash)."""
    try:
        loaded = ns.load(path)
        nio.describe(path)
    except nio.NeurosimFileError:
        return "refused", ""
    except Exception as e:  # everything else is a crash of the loader
        return "crash", f"{type(e).__name__}: {e}"
    return ("unchanged", "") if same(loaded, original) else ("silent", "")


def isolated(path, original, timeout=60.0):
    """:func:`outcome` in a forked child: a child killed by a signal, or still
    running after ``timeout`` seconds, is a crash."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            result = outcome(path, original)
        except BaseException as e:
            result = ("crash", f"{type(e).__name__}: {e}")
        os.write(w, json.dumps(result).encode())
        os._exit(0)
    os.close(w)
    ready, _, _ = select.select([r], [], [], timeout)
    if not ready:
        os.kill(pid, signal.SIGKILL)
    with os.fdopen(r) as fh:
        text = fh.read()
    _, status = os.waitpid(pid, 0)
    if not ready:
        return "crash", f"still running after {timeout:.0f} s"
    if os.WIFSIGNALED(status) or not text:
        return "crash", f"child died (status {status})"
    return tuple(json.loads(text))


def run(cases=1000, seed=0, log=None, reseal=False):
    """Fuzz ``cases`` random corruptions spread over every kind; returns
    {"counts": {kind: Counter}, "total": Counter, "examples": [...]}.
    ``reseal``: seal each damaged file again (a file crafted to pass the
    checksum), so that HDF5 and the checks behind the seal get the damage."""
    rng = np.random.default_rng(seed)
    objs = samples()
    counts = {kind: Counter() for kind in objs}
    examples = []
    with tempfile.TemporaryDirectory() as tmp:
        clean = {kind: nio.save(obj, os.path.join(tmp, f"{kind}.h5")) for kind, obj in objs.items()}
        data = {kind: open(path, "rb").read() for kind, path in clean.items()}
        for k in range(cases):
            kind = list(objs)[k % len(objs)]
            damaged = data[kind]
            while damaged == data[kind]:        # every case changes the file
                how = HOWS[rng.integers(len(HOWS))]
                pos, length, value = (int(rng.integers(len(data[kind]))), int(rng.integers(1, 65)),
                                      int(rng.integers(2 ** 31)))
                damaged = corrupt(data[kind], how, pos, length, value)
            path = os.path.join(tmp, "case.h5")
            with open(path, "wb") as fh:
                fh.write(damaged)
            if reseal:
                nio.seal(path)
            result, detail = isolated(path, objs[kind])
            counts[kind][result] += 1
            if result in ("silent", "crash"):
                examples.append({"kind": kind, "how": how, "pos": pos, "length": length, "value": value,
                                 "outcome": result, "detail": detail})
                if log:
                    log(f"case {k}: {kind} {how} at {pos}: {result} {detail}")
    total = sum(counts.values(), Counter())
    return {"counts": counts, "total": total, "examples": examples}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cases", type=int, default=1000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--reseal", action="store_true", help="seal every damaged file again (crafted files)")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    res = run(args.cases, args.seed, log=lambda line: print(line, file=sys.stderr), reseal=args.reseal)
    seconds = time.perf_counter() - t0
    if args.json:
        print(json.dumps({"cases": args.cases, "seed": args.seed, "seconds": seconds,
                          "total": dict(res["total"]), "by_kind": {k: dict(v) for k, v in res["counts"].items()},
                          "examples": res["examples"]}))
    else:
        print(f"{args.cases} corruptions (seed {args.seed}{', resealed' if args.reseal else ''}) in {seconds:.0f} s")
        for kind, c in res["counts"].items():
            print(f"  {kind:<11s}" + "  ".join(f"{o} {c[o]:4d}" for o in OUTCOMES))
        print(f"  {'total':<11s}" + "  ".join(f"{o} {res['total'][o]:4d}" for o in OUTCOMES))
    return 1 if res["total"]["silent"] or res["total"]["crash"] else 0


if __name__ == "__main__":
    sys.exit(main())
