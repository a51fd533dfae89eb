"""Annealed entropy of the fixed points of a chain of ``L`` core modules
(supplementary section A of the paper, Eqs. 17-27).

A configuration of layer ``l`` is a fixed point when, for every neuron,
``s^l h^l + J_D + lam_L s^{l-1} s^l + lam_R s^l s^{l+1} > 0`` (Eq. 12), the
``lam_L`` term being absent in layer 1 and the ``lam_R`` term in layer ``L``.
Averaged over the Gaussian couplings, the fields ``h`` are i.i.d. N(0, 1), so a
neuron column ``(s^1, ..., s^L)`` satisfies its ``L`` conditions with
probability ``prod_l H(-v_l)``, ``v_l`` the constant part of the condition.
Hence ``E N_fp = z^N`` with ``z`` the one-dimensional Ising-chain partition
function of Eq. 17, and ``S_a = log(z) / L`` (Eq. 21), entropy per neuron.

Every entropy here is in nats per neuron (per layer), as in the paper.

Notes against the printed text (checked by the brute-force sum):

* Eq. 14 writes ``prod_{l=1}^{L-1}``; every layer contributes, ``prod_{l=1}^{L}``
  (Eq. 17 has it right).
* "S is increasing in J_D and lam" (main text, after Eq. 3) holds for ``J_D``
  at every depth, and for ``lam`` at ``L = 2`` only when ``J_D`` is small
  (e.g. the ``J_D <= 0.25`` of Fig. 5).  At large ``J_D`` (e.g. 1) ``S_a``
  decreases with ``lam``: a strong chain coupling only forces the layers to
  align, and ``S_a -> log(2)/L`` (``L = 2, 3``; ``L = 4`` gives
  ``log(2 + 2 H(-J_D)^2)/4``: a domain wall between the two middle layers
  leaves both unbiased).  For ``L = 3`` and ``J_D = 0.25`` ``S_a`` overshoots
  that limit and comes back down.  It goes to ``log 2`` when ``J_D -> inf``.
"""
import itertools

import numpy as np
from scipy.special import logsumexp

from ..validate import check_int, check_real
from .special import log_H

MAX_BRUTE_FORCE_LAYERS = 20


def _check(j_d, lam_l, lam_r, layers):
    j_d = check_real("j_d", j_d, lo=0)
    lam_l = check_real("lam_l", lam_l, lo=0)
    lam_r = lam_l if lam_r is None else check_real("lam_r", lam_r, lo=0)
    layers = check_int("layers", layers, lo=1)
    return j_d, lam_l, lam_r, layers


def transfer_matrix(j_d, lam_l, lam_r=None):
    """The 4x4 transfer matrix ``M`` of Eq. 23, acting on the vector
    ``(f(-,-), f(-,+), f(+,-), f(+,+))`` of Eq. 22, with
    ``H_{t1 t2} = H(-J_D + t1 lam_L + t2 lam_R)`` (Eq. 24)."""
    j_d, lam_l, lam_r, _ = _check(j_d, lam_l, lam_r, 1)
    h = {(t1, t2): np.exp(log_H(-j_d + t1 * lam_l + t2 * lam_r)) for t1 in (-1, 1) for t2 in (-1, 1)}
    return np.array([
        [h[-1, -1], 0.0, h[1, -1], 0.0],
        [h[-1, 1], 0.0, h[1, 1], 0.0],
        [0.0, h[1, 1], 0.0, h[-1, 1]],
        [0.0, h[1, -1], 0.0, h[-1, -1]],
    ])


def annealed_entropy(j_d, lam_l=0.0, lam_r=None, layers=1):
    """Annealed entropy ``S_a = log(E N_fp) / (L N)`` of a chain of ``layers``
    core modules, by the transfer matrix of Eqs. 18-25.

    ``lam_r`` defaults to ``lam_l`` (the symmetric chain of the main text).
    ``f_1 = (0, 0, H(-J_D + lam_R), H(-J_D - lam_R))`` fixes ``s^1 = +1``
    (``z = 2 z_+`` by the global spin-flip symmetry), ``f_{k+1} = M f_k``, and
    ``z_+ = sum f_{L-1}(s^{L-1}, s^L) H(-J_D - lam_L s^{L-1} s^L)`` (Eq. 21).
    The vector is renormalized at every step so any depth works.
    For ``L = 1`` this is Eq. 26, for ``L = 2`` Eq. 27.
    """
    j_d, lam_l, lam_r, layers = _check(j_d, lam_l, lam_r, layers)
    if layers == 1:
        return annealed_entropy_l1(j_d)
    m = transfer_matrix(j_d, lam_l, lam_r)
    f = np.array([0.0, 0.0, np.exp(log_H(-j_d + lam_r)), np.exp(log_H(-j_d - lam_r))])
    log_scale = 0.0
    for _ in range(layers - 2):
        f = m @ f
        norm = f.sum()
        f /= norm
        log_scale += np.log(norm)
    # closing factor H(-J_D - lam_L s^{L-1} s^L) for (s^{L-1}, s^L) = (--), (-+), (+-), (++)
    close = np.exp(log_H(np.array([-j_d - lam_l, -j_d + lam_l, -j_d + lam_l, -j_d - lam_l])))
    log_z_plus = log_scale + np.log(f @ close)
    return float((np.log(2.0) + log_z_plus) / layers)


def annealed_entropy_brute_force(j_d, lam_l=0.0, lam_r=None, layers=1):
    """``S_a`` from the explicit sum of Eq. 17 over the ``2^L`` columns
    ``(s^1, ..., s^L)``; independent of the transfer matrix, for tests
    (``layers <= 20``)."""
    j_d, lam_l, lam_r, layers = _check(j_d, lam_l, lam_r, layers)
    if layers > MAX_BRUTE_FORCE_LAYERS:
        raise ValueError(f"layers must be an integer <= {MAX_BRUTE_FORCE_LAYERS} for the brute-force sum, "
                         f"got {layers}")
    log_terms = []
    for s in itertools.product((-1, 1), repeat=layers):
        log_w = 0.0
        for l in range(layers):
            v = j_d
            if l > 0:
                v += lam_l * s[l - 1] * s[l]
            if l < layers - 1:
                v += lam_r * s[l] * s[l + 1]
            log_w += float(log_H(-v))
        log_terms.append(log_w)
    return float(logsumexp(log_terms) / layers)


def annealed_entropy_l1(j_d):
    """Core module, Eq. 26: ``S_a = log 2 + log H(-J_D) = log(2 H(-J_D))``."""
    j_d = check_real("j_d", j_d, lo=0)
    return float(np.log(2.0) + log_H(-j_d))


def annealed_entropy_l2(j_d, lam_l=0.0, lam_r=None):
    """Two layers, Eq. 27:
    ``S_a = log(2)/2 + log[H(-J_D-lam_R) H(-J_D-lam_L) + H(-J_D+lam_R) H(-J_D+lam_L)]/2``;
    with ``lam_L = lam_R = lam`` this is Eq. 3 of the main text."""
    j_d, lam_l, lam_r, _ = _check(j_d, lam_l, lam_r, 2)
    same = log_H(-j_d - lam_r) + log_H(-j_d - lam_l)
    diff = log_H(-j_d + lam_r) + log_H(-j_d + lam_l)
    return float(0.5 * np.log(2.0) + 0.5 * np.logaddexp(same, diff))
