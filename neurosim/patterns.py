"""Sparsity patterns A of a projection [n_post, n_pre], as CSR matrices."""
import numpy as np
import scipy.sparse as sp

from .resources import check_memory
from .validate import check_positive_int, check_unit

NAMED = ("random", "full", "one_to_one", "block")


def random_pattern(n_post, n_pre, rho, rng, no_diagonal):
    """Each entry present independently with probability rho (the diagonal
    excluded when ``no_diagonal``): positions drawn by geometric gaps over the
    flattened matrix, so the cost is O(nnz) rather than O(n_post n_pre)."""
    total = n_post * n_pre
    if rho == 0.0 or total == 0:
        return sp.csr_matrix((n_post, n_pre), dtype=bool)
    if rho == 1.0:
        flat = np.arange(total)
    else:
        chunks, pos = [], -1
        while pos < total:
            want = int(total * rho * 1.05) + 64
            gaps = rng.geometric(rho, size=want)
            run = pos + np.cumsum(gaps)
            chunks.append(run)
            pos = run[-1]
        flat = np.concatenate(chunks)
        flat = flat[flat < total]
    rows, cols = np.divmod(flat, n_pre)
    if no_diagonal:
        keep = rows != cols
        rows, cols = rows[keep], cols[keep]
    data = np.ones(rows.size, dtype=bool)
    return sp.csr_matrix((data, (rows, cols)), shape=(n_post, n_pre))


def make_pattern(pattern, n_post, n_pre, rho, blocks, rng, square):
    """Resolve a pattern spec to (A as bool CSR, values or None).

    ``square`` means a projection of a population onto itself: its diagonal is
    removed (the self-coupling is J_D, never a learnable entry)."""
    values = None
    if isinstance(pattern, str):
        if pattern not in NAMED:
            raise ValueError(f"pattern must be one of {NAMED}, a matrix or a networkx graph, got {pattern!r}")
        if pattern == "random":
            if rho is None:
                raise ValueError("rho is required for pattern='random' (a density in [0, 1])")
            rho = check_unit("rho", rho)
            _check_size(pattern, n_post, n_pre, rho)
            A = random_pattern(n_post, n_pre, rho, rng(), square)
        elif pattern == "full":
            _check_size(pattern, n_post, n_pre, 1.0)
            A = sp.csr_matrix(np.ones((n_post, n_pre), dtype=bool))
        elif pattern == "one_to_one":
            if n_post != n_pre:
                raise ValueError(f"pattern='one_to_one' needs populations of equal size, got {n_post} and {n_pre}")
            A = sp.identity(n_post, dtype=bool, format="csr")
        else:
            b = check_positive_int("blocks", blocks)
            if n_post % b or n_pre % b:
                raise ValueError(f"blocks={b} must divide both population sizes ({n_post}, {n_pre})")
            _check_size(pattern, n_post, n_pre, 1.0 / b)
            A = sp.kron(sp.identity(b, dtype=bool), np.ones((n_post // b, n_pre // b), dtype=bool), format="csr")
    elif _is_graph(pattern):
        if not square:
            raise ValueError("a networkx graph pattern needs post == pre (a recurrent projection)")
        if set(pattern.nodes) - set(range(n_post)):
            raise ValueError(f"graph pattern nodes must be integers in range({n_post})")
        edges = np.array([(i, j) for j, i in pattern.edges], dtype=np.int64).reshape(-1, 2)
        A = sp.csr_matrix((np.ones(len(edges), dtype=bool), (edges[:, 0], edges[:, 1])), shape=(n_post, n_pre))
    else:
        M = pattern.tocsr() if sp.issparse(pattern) else sp.csr_matrix(np.asarray(pattern))
        if M.shape != (n_post, n_pre):
            raise ValueError(f"pattern matrix must have shape ({n_post}, {n_pre}), got {M.shape}")
        M.eliminate_zeros()
        A = M.astype(bool)
        if M.dtype != bool:
            values = M.astype(np.float64)
    if square and A.diagonal().any():
        A = A.tolil()
        A.setdiag(False)
        A = A.tocsr()
        A.eliminate_zeros()
    A.sort_indices()
    return A, values


BYTES_PER_ENTRY = 64  # peak while a pattern is drawn, weighted, then compiled (CSR, COO and CSC copies)


def _check_size(pattern, n_post, n_pre, density):
    """Refuse, before it is drawn, a pattern whose expected entries cannot fit in memory."""
    entries = float(n_post) * n_pre * density
    check_memory(f"a {pattern!r} pattern of {n_post} x {n_pre} neurons ({entries:.3g} couplings)",
                 entries * BYTES_PER_ENTRY)


def _is_graph(obj):
    return hasattr(obj, "edges") and hasattr(obj, "nodes")
