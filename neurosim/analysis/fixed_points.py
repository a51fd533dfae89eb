"""Fixed points of the dynamics: s is a fixed point iff sgn(h_i(s)) = s_i for every
i (sgn(0) := +1), i.e. s_i h_i > 0 or (h_i = 0 and s_i = +1)."""
import numba as nb
import numpy as np

from ..engine import local_fields

MAX_ENUMERATE = 24


def margins(cn, s, field=None):
    """Stability margins s_i h_i [B, N] (the fixed-point condition is margin > 0,
    or margin = 0 with s_i = +1)."""
    s = np.atleast_2d(s)
    return s * local_fields(cn, s, field)


@nb.njit(cache=True)
def _scan(M, b, found):
    n = M.shape[0]
    s = np.empty(n)
    count = 0
    for code in range(1 << n):
        for i in range(n):
            s[i] = 1.0 if (code >> i) & 1 else -1.0
        ok = True
        for i in range(n):
            h = b[i]
            for j in range(n):
                h += M[i, j] * s[j]
            if (h >= 0.0) != (s[i] > 0.0):
                ok = False
                break
        if ok:
            found[count] = code
            count += 1
    return count


def enumerate_fixed_points(cn, field=None):
    """Every fixed point of a network with N <= 24, by exhaustive enumeration of
    the 2^N states, as an int8 array [F, N] (neuron i is bit i of the state code)."""
    if cn.n > MAX_ENUMERATE:
        raise ValueError(f"enumeration needs N <= {MAX_ENUMERATE}, the network has N = {cn.n}")
    b = np.zeros(cn.n) if field is None else np.asarray(field, dtype=np.float64).reshape(cn.n)
    found = np.empty(1 << cn.n, dtype=np.int64)
    count = _scan(cn.coupling_matrix(), b, found)
    codes = found[:count]
    return np.where((codes[:, None] >> np.arange(cn.n)) & 1, 1, -1).astype(np.int8)
