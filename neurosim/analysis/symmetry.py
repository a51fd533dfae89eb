"""Symmetry level of the internal couplings (SM-F, Eq. 94, Fig. 11).

    J = S + A,  S = (J + J^T)/2,  A = (J - J^T)/2
    rho_sym = (||S|| - ||A||) / (||S|| + ||A||)                          (Eq. 94)

with ||.|| the Frobenius norm. rho_sym is in [-1, 1]: 1 for a symmetric J, -1 for
an antisymmetric one, about 0 for i.i.d. Gaussian entries (then ||S|| ~ ||A||).
(The paper calls it rho, like the connection density; here it is ``rho_sym``.)

The diagonal is symmetric by construction, so it pushes the level towards 1:
with J_D = 0.5 and N = 1600 the diagonal alone adds N J_D^2 = 400 to ||S||^2 ~ N^2
Var(J_ij)/2 = 800. By default the level is measured on the learnable couplings
J (``cn.learnable()``), which exclude the self-coupling J_D; pass
``include_diagonal=True`` to count it.
"""
import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import norm as sparse_norm


def _matrix(J, population, include_diagonal):
    """The square matrix whose symmetry Eq. 94 measures (see :func:`symmetry_level`)."""
    if hasattr(J, "learnable"):
        cn = J
        M = cn.learnable().tocsr()
        if include_diagonal:
            M = (M + sp.diags(cn.j_d)).tocsr()
        if population is not None:
            sl = cn.population_slice(population)
            M = M[sl, sl]
        return M
    if population is not None:
        raise ValueError("population= needs a CompiledNetwork")
    M = J if sp.issparse(J) else np.asarray(J, dtype=np.float64)
    if M.ndim != 2 or M.shape[0] != M.shape[1]:
        raise ValueError(f"J must be a square matrix, got shape {M.shape}")
    if not include_diagonal:
        if sp.issparse(M):
            M = (M - sp.diags(M.diagonal())).tocsr()
        else:
            M = M - np.diag(np.diag(M))
    return M


def _fro(M):
    """Frobenius norm ||M|| = sqrt(sum_ij M_ij^2), dense or sparse."""
    return float(sparse_norm(M)) if sp.issparse(M) else float(np.linalg.norm(M))


def symmetric_antisymmetric_norms(J, population=None, include_diagonal=False):
    """(||S||, ||A||), the Frobenius norms of S = (J + J^T)/2 and A = (J - J^T)/2."""
    M = _matrix(J, population, include_diagonal)
    return _fro((M + M.T) / 2), _fro((M - M.T) / 2)


def symmetry_level(J, population=None, include_diagonal=False):
    """Eq. 94: (||S|| - ||A||)/(||S|| + ||A||) of a square coupling matrix.

    ``J``: a dense or scipy sparse [N, N] matrix, or a CompiledNetwork (its
    learnable couplings, restricted to ``population`` when given, e.g. one layer
    of a chain). The diagonal is dropped unless ``include_diagonal`` (see the
    module docstring). NaN for a zero matrix."""
    s, a = symmetric_antisymmetric_norms(J, population, include_diagonal)
    return (s - a) / (s + a) if s + a > 0 else float("nan")
