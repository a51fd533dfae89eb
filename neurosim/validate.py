"""The one validator: argument checks shared by the frontend, the engine and the
I/O, and the checks of the IR (shapes, dtypes, compressed sparse structure,
finite values and masks of a :class:`~neurosim.compiled.CompiledNetwork`'s
fields; :func:`neurosim.compile`, the constructor, :func:`neurosim.save` and
:func:`neurosim.load` run :func:`check_ir`, so no engine ever reads an index out
of range). Each check raises a ValueError naming the argument and the expected
form."""
import numbers

import numpy as np


def check_positive_int(name, value):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def check_nonneg_int(name, value):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    return int(value)


def check_int(name, value, lo=None, hi=None):
    """An integer (not a bool) in [lo, hi] (either bound may be None)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or not in_bounds(value, lo, hi):
        raise ValueError(f"{name} must be an integer{bounds_text(lo, hi)}, got {value!r}")
    return int(value)


def check_real(name, value, lo=None, hi=None, above=None, below=None):
    """A finite real number (not a bool) in [lo, hi], > ``above`` and < ``below``
    (any bound may be None)."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)) and np.isfinite(value)
    if not ok or not in_bounds(value, lo, hi, above, below):
        raise ValueError(f"{name} must be a finite number{bounds_text(lo, hi, above, below)}, got {value!r}")
    return float(value)


def in_bounds(value, lo=None, hi=None, above=None, below=None):
    """Whether ``value`` lies in [lo, hi], > ``above`` and < ``below``."""
    return not ((lo is not None and value < lo) or (hi is not None and value > hi)
                or (above is not None and value <= above) or (below is not None and value >= below))


def check_seed(name, value):
    """A seed the engine's counter-based draws take: an integer in [0, 2**63)."""
    return check_int(name, value, 0, MAX_SEED)


def check_bool(name, value):
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be true or false, got {value!r}")
    return bool(value)


MAX_SEED = 2 ** 63 - 1


def bounds_text(lo=None, hi=None, above=None, below=None):
    """The bounds of :func:`in_bounds` for messages: " in [lo, hi]", " in (above,
    hi]", " >= lo", " < below", ... or ""."""
    left = f"[{lo}" if lo is not None else f"({above}" if above is not None else None
    right = f"{hi}]" if hi is not None else f"{below})" if below is not None else None
    if left and right:
        return f" in {left}, {right}"
    if left:
        return f" {'>=' if lo is not None else '>'} {left[1:]}"
    return f" {'<=' if hi is not None else '<'} {right[:-1]}" if right else ""


def check_finite(name, value):
    """No NaN or inf anywhere (min and max propagate both: no full-size temporary;
    a float array is read as it is, a contiguous one as a flat view, which also
    spares numpy's reduction buffer)."""
    arr = np.asarray(value)
    if arr.dtype.kind != "f":
        arr = arr.astype(np.float64)
    if arr.flags.c_contiguous:
        arr = arr.ravel()
    if arr.size and not (np.isfinite(arr.min()) and np.isfinite(arr.max())):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return value


def check_nonneg(name, value):
    if not isinstance(value, numbers.Real) or not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return float(value)


def check_unit(name, value):
    """A probability or density: a number in [0, 1]."""
    if not isinstance(value, numbers.Real) or not (0.0 <= value <= 1.0):
        raise ValueError(f"{name} must be a number in [0, 1], got {value!r}")
    return float(value)


def check_mask(name, value, size):
    """A 0/1 mask of length ``size`` (a bool means all or none)."""
    if isinstance(value, (bool, np.bool_)):
        return np.full(size, bool(value))
    arr = np.asarray(value)
    if arr.shape != (size,) or not np.isin(arr, (0, 1)).all():
        raise ValueError(f"{name} must be a bool or a 0/1 array of length {size}")
    return arr.astype(bool)


# ----------------------------------------------------------------------------- the IR

_KINDS = {"i": "an integer dtype", "f": "a float dtype", "b": "bool"}


def check_array(name, value, kind, shape, finite=False):
    """``value`` as a numpy array of dtype kind ``kind`` ("i": any integer, "f",
    "b") and ``shape`` (None in it: any size); finite when ``finite``."""
    arr = np.asarray(value)
    kinds = "iu" if kind == "i" else kind
    if arr.dtype.kind not in kinds:
        raise ValueError(f"{name} must have {_KINDS[kind]}, got {arr.dtype}")
    if arr.ndim != len(shape) or any(want is not None and got != want for got, want in zip(arr.shape, shape)):
        want = ", ".join("*" if s is None else str(s) for s in shape)
        raise ValueError(f"{name} must have shape ({want}), got {arr.shape}")
    if finite:
        check_finite(name, arr)
    return arr


def check_compressed(prefix, indptr, indices, data, n_major, n_minor):
    """A compressed sparse matrix: CSC with ``n_major`` columns of ``n_minor``
    rows, or CSR the other way round; errors name ``prefix + "indptr"`` and so
    on. ``indptr`` [n_major + 1] runs from 0 to nnz without decreasing;
    ``indices`` [nnz] lie in [0, n_minor) and increase within each column (row);
    ``data`` [nnz] are finite."""
    ptr = check_array(f"{prefix}indptr", indptr, "i", (n_major + 1,)).astype(np.int64, copy=False)
    idx = check_array(f"{prefix}indices", indices, "i", (None,))
    check_array(f"{prefix}data", data, "f", (idx.size,), finite=True)
    if ptr[0] != 0 or ptr[-1] != idx.size or (np.diff(ptr) < 0).any():
        raise ValueError(f"{prefix}indptr must run from 0 to nnz = {idx.size} without decreasing "
                         f"(got {ptr[0]} ... {ptr[-1]})")
    if idx.size:
        lo, hi = int(idx.min()), int(idx.max())
        if lo < 0 or hi >= n_minor:
            raise ValueError(f"{prefix}indices must lie in [0, {n_minor}), got values in [{lo}, {hi}]")
        starts = np.zeros(idx.size, dtype=bool)
        starts[ptr[:-1][ptr[:-1] < idx.size]] = True
        if not ((np.diff(idx.astype(np.int64, copy=False)) > 0) | starts[1:]).all():
            raise ValueError(f"{prefix}indices must increase within each column (sorted, no duplicates)")


def check_ir(f):
    """Check the fields of a CompiledNetwork (a dict: ``CompiledNetwork.ARRAYS``
    and ``SCALARS`` by name); raises ValueError naming the first bad field."""
    n = check_positive_int("n", f["n"])
    names = f["pop_names"]
    if (not isinstance(names, (tuple, list)) or not names or len(set(names)) != len(names)
            or not all(isinstance(p, str) and p for p in names)):
        raise ValueError(f"pop_names must be distinct non-empty strings, got {names!r}")
    off = check_array("pop_offsets", f["pop_offsets"], "i", (len(names) + 1,))
    if off[0] != 0 or off[-1] != n or (np.diff(off) <= 0).any():
        raise ValueError(f"pop_offsets must increase from 0 to n = {n}, got {off.tolist()}")
    for m in ("j", "k"):
        check_compressed(f"{m}_", f[f"{m}_indptr"], f[f"{m}_indices"], f[f"{m}_data"], n, n)
    check_array("j_d", f["j_d"], "f", (n,), finite=True)
    for mask in ("a_in", "a_back", "a_out"):
        check_array(mask, f[mask], "b", (n,))
    d = check_array("w_in", f["w_in"], "f", (n, None), finite=True).shape[1]
    check_array("w_in_mask", f["w_in_mask"], "b", (n, d))
    check_array("w_back", f["w_back"], "f", (n, None), finite=True)
    check_array("w_out", f["w_out"], "f", (None, n), finite=True)
    for lam in ("lam_x", "lam_y"):
        check_real(lam, f[lam], lo=0)
    if not isinstance(f["meta"], str):
        raise ValueError(f"meta must be a JSON string, got {type(f['meta']).__name__}")
    if f["proj_names"] is not None:        # None: the constructor derives the identity from the checked patterns
        check_projections(f, off)


def check_projections(f, pop_offsets):
    """The projection identity of an IR: distinct names, a table of (post, pre,
    learnable) rows naming declared populations, and every entry of J (K) owned
    by a learnable (fixed) projection whose blocks hold it."""
    names, table = f["proj_names"], f["proj_table"]
    if (not isinstance(names, tuple) or len(set(names)) != len(names)
            or not all(isinstance(p, str) and p for p in names)):
        raise ValueError(f"proj_names must be a tuple of distinct non-empty strings, got {names!r}")
    n_pops = len(pop_offsets) - 1
    table = check_array("proj_table", table, "i", (len(names), 3))
    if table.size and (table[:, :2].min() < 0 or table[:, :2].max() >= n_pops
                       or not np.isin(table[:, 2], (0, 1)).all()):
        raise ValueError(f"proj_table rows must be (post, pre) population indices in [0, {n_pops}) and "
                         "learnable 0 or 1")
    pop_of = np.repeat(np.arange(n_pops, dtype=np.int32), np.diff(pop_offsets))
    # an entry (i, j) of projection p must have code(p) = (pop(i) P + pop(j)) 2 + learnable
    code = ((table[:, 0] * n_pops + table[:, 1]) * 2 + table[:, 2]).astype(np.int64)
    for m, learnable in (("j", 1), ("k", 0)):
        indptr, indices = f[f"{m}_indptr"], f[f"{m}_indices"]
        ids = check_array(f"{m}_proj", f[f"{m}_proj"], "i", (indices.size,))
        if not ids.size:
            continue
        if ids.min() < 0 or ids.max() >= len(names):
            raise ValueError(f"{m}_proj must hold projection indices in [0, {len(names)})")
        pre = np.repeat(pop_of[:indptr.size - 1], np.diff(indptr))
        bad = code[ids] != (pop_of[indices].astype(np.int64) * n_pops + pre) * 2 + learnable
        if bad.any():
            cols = np.repeat(np.arange(indptr.size - 1), np.diff(indptr))
            q = int(np.flatnonzero(bad)[0])
            raise ValueError(f"{m}_proj: entry ({int(indices[q])}, {int(cols[q])}) is given to projection "
                             f"{names[int(ids[q])]!r}, which does not hold it (its populations or its "
                             f"learnable flag differ)")
