"""Tiny-ImageNet features (SM-D): 512-d ResNet18 global-average-pool outputs, 200 classes.

Expected file ``tinyimagenet_features.npz`` (in a searched data directory, or
passed as ``path=``), read with ``allow_pickle=False``:

=========  ==============  ==========================================
key        shape           dtype
=========  ==============  ==========================================
x_train    [P, 512]        float32 (other float widths are cast)
y_train    [P]             integer class index in 0..199
x_test     [P_test, 512]   float32
y_test     [P_test]        integer class index in 0..199
=========  ==============  ==========================================

In the paper P = 100,000 (500 per class) and the test part is Tiny-ImageNet's
10,000-image validation set. The features are published on the Hugging Face
hub as the data set ``willinki/tinyimagenet-features``. To convert them (needs
internet, once)::

    from huggingface_hub import snapshot_download      # pip install huggingface_hub
    folder = snapshot_download("willinki/tinyimagenet-features", repo_type="dataset")
    # read each split from `folder` with the library matching its file format
    # (e.g. pandas.read_parquet), stack the feature vectors into float32 [P, 512]
    # arrays and the labels into integer [P] arrays, then:
    from neurosim.datasets import save_tiny_imagenet_features
    save_tiny_imagenet_features("~/.cache/neurosim/tinyimagenet_features.npz",
                                x_train, y_train, x_test, y_test)

No transformation is applied to the features (as in the paper).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .core import Dataset, DatasetFormatError, DatasetNotFoundError, atomic_output, read_npz
from .paths import ENV_VAR, search_dirs

__all__ = ["FILE_NAME", "load_tiny_imagenet_features", "save_tiny_imagenet_features"]

FILE_NAME = "tinyimagenet_features.npz"
KEYS = ("x_train", "y_train", "x_test", "y_test")


def _validate(arrays: dict, source: str, dim: int, n_classes: int) -> dict[str, np.ndarray]:
    out = {}
    for split in ("train", "test"):
        x, y = np.asarray(arrays[f"x_{split}"]), np.asarray(arrays[f"y_{split}"])
        if not np.issubdtype(x.dtype, np.floating) or x.ndim != 2 or x.shape[1] != dim:
            raise DatasetFormatError(f"{source}: x_{split} must be float [P, {dim}], got {x.dtype} {x.shape}")
        x = x.astype(np.float32)
        if not np.isfinite(x).all():
            raise DatasetFormatError(f"{source}: x_{split} contains NaN or infinite values (after casting to float32)")
        if not np.issubdtype(y.dtype, np.integer) or y.shape != (x.shape[0],):
            raise DatasetFormatError(f"{source}: y_{split} must be integer [{x.shape[0]}], got {y.dtype} {y.shape}")
        if y.size and (y.min() < 0 or y.max() >= n_classes):
            raise DatasetFormatError(
                f"{source}: y_{split} labels must lie in 0..{n_classes - 1}, got [{y.min()}, {y.max()}]")
        out[f"x_{split}"], out[f"y_{split}"] = x, y.astype(np.int64)
    return out


def _find(data_dir) -> Path:
    dirs = search_dirs(data_dir)
    for d in dirs:
        if (d / FILE_NAME).is_file():
            return d / FILE_NAME
    raise DatasetNotFoundError(
        f"Tiny-ImageNet features not found. Searched: {', '.join(map(str, dirs))}. Put {FILE_NAME} "
        f"(x_train [P,512] float32, y_train, x_test, y_test) in one of these directories (or set {ENV_VAR}), "
        "or pass path=. See neurosim.datasets.tinyimagenet for converting the Hugging Face data set "
        "willinki/tinyimagenet-features; there is no automatic download.")


def load_tiny_imagenet_features(path: str | os.PathLike | None = None, data_dir=None, *,
                                dim: int = 512, n_classes: int = 200) -> Dataset:
    """Load and validate the Tiny-ImageNet feature file (float32 ``[P, 512]``, 200 classes)."""
    path = Path(path).expanduser() if path is not None else _find(data_dir)
    if not path.is_file():
        raise DatasetNotFoundError(f"path: {path} does not exist")
    a = _validate(read_npz(path, KEYS), str(path), dim, n_classes)
    return Dataset(a["x_train"], a["y_train"], a["x_test"], a["y_test"], n_classes, "tiny-imagenet-features")


def save_tiny_imagenet_features(path: str | os.PathLike, x_train, y_train, x_test, y_test, *,
                                dim: int = 512, n_classes: int = 200) -> Path:
    """Validate the arrays and write them in the format :func:`load_tiny_imagenet_features` reads."""
    path = Path(path).expanduser()
    a = _validate({"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test},
                  "arguments", dim, n_classes)
    with atomic_output(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, **a)
    return path
