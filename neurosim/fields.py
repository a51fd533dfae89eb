"""External fields, constant during a relaxation (Eq. 82):

    b_i = a_in_i lam_x (W_in x)_i + a_back_i lam_y (W_back y)_i
"""
import numpy as np

from .resources import check_memory
from .validate import check_finite, check_real


def _batch(name, value, dim, check):
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[None]
    if arr.ndim != 2 or arr.shape[1] != dim:
        raise ValueError(f"{name} must have shape [B, {dim}], got {np.shape(value)}")
    if check:
        check_finite(name, arr)
    return arr


def external_field(cn, x=None, y=None, lam_x=None, lam_y=None, batch=None, check=True):
    """b [B, N] for inputs x [B, D] and targets y [B, C] (either may be None).
    ``check=False`` skips the finiteness checks (for callers that made them once)."""
    lam_x = cn.lam_x if lam_x is None else check_real("lam_x", lam_x, lo=0)
    lam_y = cn.lam_y if lam_y is None else check_real("lam_y", lam_y, lo=0)
    xb = yb = None
    if x is not None:
        if cn.input_dim == 0:
            raise ValueError("x was given but the network has no input map (call set_input)")
        xb = _batch("x", x, cn.input_dim, check)
    if y is not None and lam_y != 0.0:
        if cn.w_back.shape[1] == 0:
            raise ValueError("y was given but the network has no supervisory map (call set_back)")
        yb = _batch("y", y, cn.w_back.shape[1], check)
    sizes = {v.shape[0] for v in (xb, yb) if v is not None} | ({batch} if batch else set())
    if len(sizes - {1}) > 1:
        raise ValueError(f"x, y and s0 disagree on the batch size: {sorted(sizes)}")
    b = max(sizes) if sizes else 1
    check_memory(f"the fields of {b} samples of N = {cn.n} neurons", 2 * b * cn.n * 8)
    out = None
    for v, w, lam, mask in ((xb, cn.w_in, lam_x, cn.a_in), (yb, cn.w_back, lam_y, cn.a_back)):
        if v is not None:
            part = v @ w.T
            part *= lam * mask
            out = part if out is None else out.__iadd__(part)
    if out is None:
        return np.zeros((b, cn.n))
    return out if out.shape[0] == b else np.repeat(out, b, axis=0)
