"""Small helpers shared by the benchmarks in bench/: timing, number formatting,
markdown tables, peak-memory measurement and a description of the machine.

Benchmarks run on shared, noisy machines, so timings are "best of a few runs"
and every ratio is taken against a baseline measured in the same process.
"""
import datetime
import os
import platform
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def best_of(fn, min_reps=1, max_reps=5, budget_s=5.0):
    """Call ``fn()`` repeatedly and return ``(best_seconds, reps, last_result)``.

    It runs at least ``min_reps`` times and stops after ``max_reps`` runs or once
    the runs together took ``budget_s`` seconds, whichever comes first, so that
    fast cases get many repetitions and slow ones only a few.
    """
    best, total, reps, out = float("inf"), 0.0, 0, None
    while reps < min_reps or (reps < max_reps and total < budget_s):
        t0 = time.perf_counter()
        out = fn()
        dt = time.perf_counter() - t0
        best, total, reps = min(best, dt), total + dt, reps + 1
    return best, reps, out


def best_of_interleaved(fns, min_reps=1, max_reps=5, budget_s=5.0):
    """Like :func:`best_of` for several functions called in turn (f0, f1, ...,
    f0, f1, ...), so that each sees the same load on a shared machine and their
    ratios are fair. Returns one ``(best_seconds, reps, last_result)`` per function."""
    best = [float("inf")] * len(fns)
    outs = [None] * len(fns)
    total, reps = 0.0, 0
    while reps < min_reps or (reps < max_reps and total < budget_s):
        for k, fn in enumerate(fns):
            t0 = time.perf_counter()
            outs[k] = fn()
            dt = time.perf_counter() - t0
            best[k] = min(best[k], dt)
            total += dt
        reps += 1
    return [(best[k], reps, outs[k]) for k in range(len(fns))]


def load_average():
    """The 1-minute load average as a string ('n/a' where unknown)."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except (AttributeError, OSError):
        return "n/a"


def peak_traced_bytes(fn):
    """Run ``fn()`` under tracemalloc and return ``(peak_extra_bytes, result)``:
    the highest amount of memory allocated on top of what was allocated when the
    call started. numpy registers its data buffers with tracemalloc, and so does
    numba's runtime (numba 0.60 allocates the arrays created inside ``@njit``
    code through Python's raw allocator): both count."""
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        start, _ = tracemalloc.get_traced_memory()
        out = fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        if not was_tracing:
            tracemalloc.stop()
    return peak - start, out


def nbytes(*arrays):
    """Total bytes of the data buffers of the given arrays."""
    return int(sum(np.asarray(a).nbytes for a in arrays))


def si(x, digits=3):
    """A number with an SI suffix: 1234567 -> '1.23M'."""
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return "-"
    ax = abs(x)
    for div, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if ax >= div:
            return f"{x / div:.{digits}g}{suffix}"
    return f"{x:.{digits}g}"


def mib(x):
    """Bytes as MiB with two decimals (KiB below 1 MiB)."""
    if x < 1 << 20:
        return f"{x / 1024:.1f} KiB"
    return f"{x / (1 << 20):.2f} MiB"


def markdown_table(header, rows, align=None):
    """A markdown table as a string. ``align`` is a string of 'l' / 'r', one per
    column (default: first column left, the rest right)."""
    rows = [[str(c) for c in r] for r in rows]
    header = [str(h) for h in header]
    if align is None:
        align = "l" + "r" * (len(header) - 1)
    widths = [max([len(header[k])] + [len(r[k]) for r in rows]) for k in range(len(header))]

    def line(cells):
        out = []
        for k, c in enumerate(cells):
            out.append(c.ljust(widths[k]) if align[k] == "l" else c.rjust(widths[k]))
        return "| " + " | ".join(out) + " |"

    sep = "|" + "|".join((":" + "-" * (w + 1)) if a == "l" else ("-" * (w + 1) + ":")
                         for w, a in zip(widths, align)) + "|"
    return "\n".join([line(header), sep] + [line(r) for r in rows])


def machine_info():
    """One-line description of the machine and the library versions."""
    import numba
    import scipy
    return (f"{datetime.datetime.now().strftime('%Y-%m-%d %H:%M')}, {platform.machine()}, "
            f"{os.cpu_count()} CPUs, numba threads {numba.get_num_threads()}, "
            f"python {platform.python_version()}, numpy {np.__version__}, "
            f"scipy {scipy.__version__}, numba {numba.__version__}")


def log(*args):
    """Progress messages go to stderr so that stdout holds only the report."""
    print(*args, file=sys.stderr, flush=True)
