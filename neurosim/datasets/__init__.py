"""Data sets of the paper (SM-D) and small synthetic tasks.

``load(name, **kw)`` is the entry point::

    from neurosim import datasets
    ds = datasets.load("entangled-mnist")     # shipped with the package, no data directory needed
    ds.x_train, ds.y_train, ds.targets()      # int8 +-1 [60000,100], int64 [60000], +-1 one-hot [60000,10]

MNIST and Fashion-MNIST are looked up in ``data_dir=``, else ``$NEUROSIM_DATA``,
else ``~/.cache/neurosim`` (see :mod:`.paths`), verified by SHA-256, and
downloaded only by :func:`download` or ``load(..., download=True)``.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

from .core import (Dataset, DatasetDownloadError, DatasetError, DatasetFormatError, DatasetIntegrityError,
                   DatasetNotFoundError, pm1_targets, sha256_array)
from .entangled import load_entangled_mnist
from .idx import read_idx, write_idx
from .mnist import load_fashion_mnist, load_mnist, mnist_arrays
from .mnist import download as _download_mnist
from .paths import cache_dir, search_dirs
from .synthetic import Association, hetero_association, prototypes
from .tinyimagenet import load_tiny_imagenet_features, save_tiny_imagenet_features

__all__ = [
    "load", "load_split", "download", "NAMES", "Dataset", "Association",
    "load_mnist", "load_fashion_mnist", "load_entangled_mnist", "load_tiny_imagenet_features",
    "prototypes", "hetero_association", "pm1_targets", "mnist_arrays", "save_tiny_imagenet_features",
    "read_idx", "write_idx", "sha256_array", "cache_dir", "search_dirs",
    "DatasetError", "DatasetNotFoundError", "DatasetIntegrityError", "DatasetFormatError", "DatasetDownloadError",
]

_LOADERS: dict[str, Callable] = {
    "mnist": load_mnist,
    "fashion-mnist": load_fashion_mnist,
    "entangled-mnist": load_entangled_mnist,
    "tiny-imagenet-features": load_tiny_imagenet_features,
    "prototypes": prototypes,
    "hetero-association": hetero_association,
}
#: Names accepted by :func:`load` (``_`` and upper case are also accepted).
NAMES = tuple(_LOADERS)


def normalise(name: str) -> str:
    """The canonical name of a data set (``_`` and upper case accepted)."""
    key = str(name).strip().lower().replace("_", "-")
    if key not in _LOADERS:
        raise ValueError(f"unknown data set {name!r}; known names: {', '.join(NAMES)}")
    return key


def load(name: str, **kwargs):
    """Load data set ``name`` (one of :data:`NAMES`); keyword arguments go to its loader.

    Returns a :class:`Dataset`, except ``"hetero-association"`` which returns an
    :class:`Association` (``x``, ``y`` ±1 pattern arrays).
    """
    return _LOADERS[normalise(name)](**kwargs)


def load_split(name: str, data_dir=None, train_size=None, val_size=None, variant="text"):
    """(data set with its first ``train_size`` training samples, (x_val, y_val)):
    validation is the first ``val_size`` samples of the test split. ``variant``
    is the Entangled-MNIST construction (ignored for other data sets)."""
    key = normalise(name)
    kw = {"data_dir": data_dir} if data_dir and key in ("mnist", "fashion-mnist") else {}
    if key == "entangled-mnist":
        kw["variant"] = variant
    d = load(key, **kw)
    if train_size:
        d = dataclasses.replace(d, x_train=d.x_train[:train_size], y_train=d.y_train[:train_size])
    nv = val_size or len(d.x_test)
    return d, (d.x_test[:nv], d.y_test[:nv])


def download(name: str, data_dir=None, **kwargs):
    """Download ``"mnist"`` or ``"fashion-mnist"`` into the data directory; returns the folder written."""
    key = normalise(name)
    if key in ("mnist", "fashion-mnist"):
        return _download_mnist(key, data_dir, **kwargs)
    if key == "entangled-mnist":
        raise ValueError("entangled-mnist ships inside the package; nothing to download")
    if key == "tiny-imagenet-features":
        raise ValueError("tiny-imagenet-features has no automatic download; see neurosim.datasets.tinyimagenet")
    raise ValueError(f"{key} is generated from a seed; nothing to download")
