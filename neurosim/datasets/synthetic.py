"""Seeded synthetic tasks: noisy prototypes (classification) and random hetero-association (SM-D)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .core import Dataset

__all__ = ["prototypes", "hetero_association", "Association", "rademacher"]


def _count(name: str, value, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name}: expected an integer >= {minimum}, got {value!r}")
    return int(value)


def rademacher(rng: np.random.Generator, shape) -> np.ndarray:
    """Independent uniform ±1 entries as int8."""
    return (rng.integers(0, 2, size=shape, dtype=np.int8) * 2 - 1).astype(np.int8)


def prototypes(n_classes: int = 10, dim: int = 100, n_train: int = 1000, n_test: int = 200,
               flip: float = 0.1, seed: int = 0) -> Dataset:
    """C random ±1 prototypes; each sample is its class prototype with every bit flipped w.p. ``flip``.

    Classes are balanced (``n // C`` or ``n // C + 1`` samples each) and shuffled;
    inputs are int8 ±1 ``[P, dim]``. The same ``seed`` gives the same data set.
    """
    n_classes, dim = _count("n_classes", n_classes), _count("dim", dim)
    n_train, n_test = _count("n_train", n_train), _count("n_test", n_test, 0)
    if not 0.0 <= float(flip) <= 1.0:
        raise ValueError(f"flip: expected a probability in [0, 1], got {flip!r}")
    rng = np.random.default_rng(seed)
    protos = rademacher(rng, (n_classes, dim))

    def draw(n):
        y = rng.permutation(np.arange(n) % n_classes).astype(np.int64)
        x = protos[y]
        return np.where(rng.random((n, dim)) < flip, -x, x).astype(np.int8), y

    x_train, y_train = draw(n_train)
    x_test, y_test = draw(n_test)
    return Dataset(x_train, y_train, x_test, y_test, n_classes, "prototypes")


class Association(NamedTuple):
    """Hetero-association patterns: inputs ``x [P, d_in]`` and targets ``y [P, d_out]``, int8 ±1."""

    x: np.ndarray
    y: np.ndarray


def hetero_association(n_patterns: int, d_in: int, d_out: int, seed: int = 0) -> Association:
    """P independent Rademacher input/target pairs, the hetero-association task of SM-D (Eq. 92).

    In the paper ``d_in = d_out = N`` (the layer width) and P is drawn from [N/2, N].
    """
    n, d_in, d_out = _count("n_patterns", n_patterns), _count("d_in", d_in), _count("d_out", d_out)
    rng = np.random.default_rng(seed)
    return Association(rademacher(rng, (n, d_in)), rademacher(rng, (n, d_out)))
