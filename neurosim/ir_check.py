"""The one validator of the IR: shapes, dtypes, compressed sparse structure,
finite values and masks of a :class:`~neurosim.compiled.CompiledNetwork`'s
fields. :func:`neurosim.compile`, the constructor, :func:`neurosim.save` and
:func:`neurosim.load` run it, so no engine ever reads an index out of range.
Each check raises a ValueError naming the field and the expected form."""
import numpy as np

from .validate import check_positive_int, check_real

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
    if finite and arr.size and not (np.isfinite(arr.min()) and np.isfinite(arr.max())):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
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
