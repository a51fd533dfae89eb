"""Internal states during and after learning (SM-H): the overlap q_dyn between
the supervised and free fixed points (Table VII) and the similarity matrices of
the internal representations (Fig. 15).

q_dyn. For pattern mu, Algorithm 1 reaches s'^mu (supervised phase, lambda_y > 0)
and then s*^mu (free phase from s'^mu, lambda_y = 0). Per pattern

    q^mu = (1/N) sum_i s'_i^mu s*_i^mu,       q_dyn = (1/P) sum_mu q^mu,

and Table VII reports the median of q^mu with its 5th-95th percentile range. In
the approximate scheme s* := s', so q^mu = 1.

Similarity (Fig. 15). With s*_mu the inference state of x_mu (relaxation from 0
under the input field only) and d the normalised Hamming distance,

    S_{mu nu} = 1 - d(s*_mu, s*_nu),

rows and columns ordered by label (stable sort). For display the paper shifts
every matrix by one common value, the mean off-diagonal similarity averaged over
all the matrices compared (:func:`shift_by_common_mean`).
"""
from dataclasses import dataclass

import numpy as np

from .hamming import pairwise_hamming


# ------------------------------------------------------------------- q_dyn
def back_targets(labels, n_classes):
    """Class labels [P] -> the 0/1 one-hot supervision vectors [P, C] that
    Trainer.fit feeds to ``phases`` / ``train_batch`` as ``y_back``."""
    labels = np.asarray(labels, dtype=np.int64).ravel()
    out = np.zeros((labels.size, int(n_classes)))
    out[np.arange(labels.size), labels] = 1.0
    return out


@dataclass
class QDyn:
    """Result of :func:`q_dyn`: ``overlaps`` [P] the per-pattern q^mu, ``mean``
    q_dyn, ``median`` and ``low`` / ``high`` the requested percentiles (5th, 95th
    by default), ``converged`` [P, 2] of the supervised / free phases."""

    overlaps: np.ndarray
    mean: float
    median: float
    low: float
    high: float
    converged: np.ndarray


def q_dyn(trainer, x, y_back, batch_size=256, neurons=None, percentiles=(5, 95), key=0):
    """Table VII: overlaps q^mu = (1/N) sum_i s'_i s*_i of the supervised and free
    fixed points of ``Trainer.phases`` over a data set (nothing is learned).

    ``x`` [P, D] inputs; ``y_back`` the supervision vectors [P, C] (0/1 one-hot
    for classes, the +-1 target for hetero-association) or integer class labels
    [P] (converted by :func:`back_targets`). ``neurons``: a slice, index array or
    population name restricting the sum over i (default: all N)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y_back)
    if y.ndim == 1:
        y = back_targets(y, trainer.cn.w_back.shape[1])
    y = y.astype(np.float64)
    if len(y) != len(x):
        raise ValueError(f"x has {len(x)} patterns but y_back has {len(y)}")
    if isinstance(neurons, str):
        neurons = trainer.cn.population_slice(neurons)
    sel = slice(None) if neurons is None else neurons
    q = np.empty(len(x))
    conv = np.empty((len(x), 2), dtype=bool)
    for k, start in enumerate(range(0, len(x), int(batch_size))):
        stop = start + int(batch_size)
        s1, s2, _, _, c = trainer.phases(x[start:stop], y[start:stop], key=(int(key), k))
        q[start:stop] = np.mean(s1[:, sel].astype(np.float64) * s2[:, sel], axis=1)
        conv[start:stop] = c
    lo, hi = np.percentile(q, percentiles)
    return QDyn(q, float(q.mean()), float(np.median(q)), float(lo), float(hi), conv)


# -------------------------------------------------------------- similarity
def similarity_matrix(states, labels=None):
    """S_{mu nu} = 1 - d(s_mu, s_nu) of +-1 states [P, N], rows and columns
    ordered by ``labels`` (stable sort; no reordering when None). Returns
    (S [P, P], order [P]) with S computed on ``states[order]``."""
    states = np.atleast_2d(states)
    if labels is not None and len(labels) != len(states):
        raise ValueError(f"{len(states)} states but {len(labels)} labels")
    order = np.arange(len(states)) if labels is None else np.argsort(np.asarray(labels), kind="stable")
    return 1.0 - pairwise_hamming(states[order]), order


def mean_similarity(S):
    """Mean of S over the pairs mu != nu (the value printed over Fig. 15's heatmaps)."""
    S = np.asarray(S)
    p = S.shape[0]
    if p < 2:
        return float("nan")
    return float((S.sum() - np.trace(S)) / (p * (p - 1)))


def shift_by_common_mean(matrices):
    """Fig. 15's display shift: every matrix minus one value c, the mean over the
    matrices of their :func:`mean_similarity`. Returns (shifted list, c)."""
    c = float(np.mean([mean_similarity(S) for S in matrices]))
    return [np.asarray(S) - c for S in matrices], c


def label_block_means(S, labels_sorted):
    """[C, C] mean similarity between the label blocks of an ordered matrix S
    (pairs mu != nu only): a strong diagonal is the checker structure of Fig. 15."""
    labels_sorted = np.asarray(labels_sorted)
    classes = np.unique(labels_sorted)
    S = np.array(S, dtype=np.float64)
    np.fill_diagonal(S, np.nan)
    out = np.empty((classes.size, classes.size))
    for a, ca in enumerate(classes):
        for b, cb in enumerate(classes):
            block = S[np.ix_(labels_sorted == ca, labels_sorted == cb)]
            out[a, b] = np.nanmean(block) if np.isfinite(block).any() else np.nan
    return out


@dataclass
class Similarity:
    """Result of :func:`representation_similarity`: ``matrix`` [P, P] ordered by
    label, ``order`` [P] (pattern indices in that order), ``labels`` [P] (sorted),
    ``mean`` (:func:`mean_similarity`), ``states`` [P, N] (in the original order)."""

    matrix: np.ndarray
    order: np.ndarray
    labels: np.ndarray
    mean: float
    states: np.ndarray


def inference_states(model, x, lam_x=None, max_steps=100):
    """Inference states s*_mu [P, N] of inputs ``x`` [P, D]: ``Trainer.infer`` for a
    Trainer (within the trainer's step budget, warmup + max_steps, as in
    training), else relaxation of a CompiledNetwork from 0 under the input field
    only for up to ``max_steps`` steps (Eq. 95,
    :func:`neurosim.analysis.landscape.stable_states`)."""
    if hasattr(model, "infer"):
        return model.infer(np.asarray(x, dtype=np.float64))
    from .landscape import stable_states
    return stable_states(model, x=x, lam_x=lam_x, max_steps=max_steps).states


def representation_similarity(model, x, labels, neurons=None, lam_x=None, max_steps=100):
    """Fig. 15: similarity matrix of the inference states of ``x`` [P, D] under
    ``model`` (Trainer or CompiledNetwork), ordered by ``labels`` [P].
    ``neurons`` (slice, index array or population name) restricts the states."""
    s = inference_states(model, x, lam_x, max_steps)
    if isinstance(neurons, str):
        cn = model.cn if hasattr(model, "cn") else model
        neurons = cn.population_slice(neurons)
    if neurons is not None:
        s = s[:, neurons]
    S, order = similarity_matrix(s, labels)
    return Similarity(S, order, np.asarray(labels)[order], mean_similarity(S), s)
