"""Local (convolution-like) receptive fields on an image grid (SM-C)."""
import numpy as np
import scipy.sparse as sp

from neurosim.validate import check_nonneg_int

from ._common import check_core, check_sizes, finish, start


def local(height, width, radius=1, rho=1.0, j_d=0.5, seed=0, input_radius=1, **common):
    """One population ``"grid"`` with a neuron per pixel of a ``height`` x ``width``
    image (row-major). Learnable couplings A_ij only for pixels within Chebyshev
    distance ``radius`` (i != j), each kept with probability ``rho`` and drawn
    N(0, 1/k) with k the mean fan-in (Eq. 82 with a local A); J_D = ``j_d``.
    The input is the image itself (D = height * width): W_in_ik ~ N(0, 1/fan_in_i)
    on the receptive field of pixels k within Chebyshev distance ``input_radius``
    of neuron i, zero elsewhere."""
    height, width = check_sizes(height=height, width=width)
    radius = check_nonneg_int("radius", radius)
    input_radius = check_nonneg_int("input_radius", input_radius)
    rho, j_d = check_core(rho, j_d)
    dim = height * width
    if common.get("input_dim") not in (None, dim):
        raise ValueError(f"input_dim must be height * width = {dim} for local (or omitted), "
                         f"got {common['input_dim']!r}")
    params = dict(height=height, width=width, radius=radius, rho=rho, j_d=j_d, seed=seed, input_radius=input_radius)
    net, opts = start("local", params, {**common, "input_dim": dim})
    net.add_population("grid", dim, j_d)
    net.connect("grid", "grid", pattern=thin(neighbourhood(height, width, radius, False), rho, net.rng))
    return finish(net, opts, w_in=receptive_field_weights(neighbourhood(height, width, input_radius, True), net.rng))


def neighbourhood(height, width, radius, self_loops):
    """Bool CSR [HW, HW]: entry (i, k) when pixels i and k are within Chebyshev
    distance ``radius`` (max(|dr|, |dc|) <= radius); the diagonal only if ``self_loops``."""
    r, c = np.divmod(np.arange(height * width), width)
    rows, cols = [], []
    for dr in range(-radius, radius + 1):
        for dc in range(-radius, radius + 1):
            if (dr, dc) == (0, 0) and not self_loops:
                continue
            ok = (r + dr >= 0) & (r + dr < height) & (c + dc >= 0) & (c + dc < width)
            rows.append(np.flatnonzero(ok))
            cols.append((r[ok] + dr) * width + c[ok] + dc)
    rows = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    cols = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
    n = height * width
    A = sp.csr_matrix((np.ones(rows.size, dtype=bool), (rows, cols)), shape=(n, n))
    A.sort_indices()
    return A


def thin(A, rho, rng):
    """Keep each entry of the bool CSR ``A`` with probability ``rho``."""
    if rho >= 1.0:
        return A
    A = A.copy()
    A.data = rng().random(A.nnz) < rho
    A.eliminate_zeros()
    return A


def receptive_field_weights(A, rng):
    """Dense W [N, D] with W_ik ~ N(0, 1/fan_in_i) on the pattern A, zero elsewhere."""
    fan_in = np.diff(A.indptr)
    rows = np.repeat(np.arange(A.shape[0]), fan_in)
    W = np.zeros(A.shape)
    W[rows, A.indices] = rng().normal(0.0, 1.0, size=A.nnz) / np.sqrt(fan_in[rows])
    return W
