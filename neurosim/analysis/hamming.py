"""Distances between +-1 states, shared by the landscape analyses (SM-G, SM-H).

Throughout :mod:`neurosim.analysis` the Hamming distance is the *normalised* one,

    d(a, b) = (1/N) sum_i 1[a_i != b_i] = (1 - q(a, b)) / 2,
    q(a, b) = (1/N) sum_i a_i b_i                       (overlap),

so that d is in [0, 1]. The paper's ratios (Eqs. 96-99) do not depend on the
normalisation; its percentages (Fig. 12b, "< 5 %") and the similarity
1 - d of Fig. 15 use the normalised one.
"""
import numpy as np


def _pm1(name, s):
    """``s`` as an array, checked to hold only -1 and +1."""
    arr = np.asarray(s)
    if arr.size and not np.all((arr == 1) | (arr == -1)):
        raise ValueError(f"{name} must hold only -1 and +1")
    return arr


def overlap(a, b):
    """q(a, b) = (1/N) sum_i a_i b_i over the last axis (broadcasting), a and b +-1."""
    a, b = _pm1("a", a), _pm1("b", b)
    return np.mean(a.astype(np.float64) * b, axis=-1)


def hamming(a, b):
    """Normalised Hamming distance d(a, b) = (1/N) #{i : a_i != b_i} over the last
    axis (broadcasting)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(f"states of different sizes: {a.shape[-1]} and {b.shape[-1]}")
    return np.mean(a != b, axis=-1)


def pairwise_hamming(states):
    """[P, P] normalised Hamming distances between the rows of a +-1 array [P, N]:
    d_{mu nu} = (1 - s_mu . s_nu / N) / 2, one matrix product."""
    s = _pm1("states", np.atleast_2d(states)).astype(np.float64)
    d = 0.5 * (1.0 - (s @ s.T) / s.shape[1])
    np.fill_diagonal(d, 0.0)
    return np.clip(d, 0.0, 1.0)
