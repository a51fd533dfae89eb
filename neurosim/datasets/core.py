"""The :class:`Dataset` result type, dataset errors and small shared helpers."""

from __future__ import annotations

import hashlib
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterable, Iterator, Mapping

import numpy as np

from ..files import atomic_path

__all__ = [
    "Dataset",
    "DatasetError",
    "DatasetNotFoundError",
    "DatasetIntegrityError",
    "DatasetFormatError",
    "DatasetDownloadError",
    "pm1_targets",
    "sha256_array",
    "read_npz",
]


class DatasetError(Exception):
    """Base class of every error raised by :mod:`neurosim.datasets`."""


class DatasetNotFoundError(DatasetError, FileNotFoundError):
    """The data files were not found in any searched directory."""


class DatasetIntegrityError(DatasetError, ValueError):
    """An array's SHA-256 differs from the recorded one."""


class DatasetFormatError(DatasetError, ValueError):
    """A file or array has the wrong keys, shape, dtype or values."""


class DatasetDownloadError(DatasetError, OSError):
    """Every mirror failed while downloading a data file."""


def sha256_array(a: np.ndarray) -> str:
    """Hex SHA-256 of ``a.tobytes()`` in C order (shape and dtype are not hashed)."""
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()


@contextmanager
def atomic_output(path: Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path`` (its directory is created); on
    success it is moved onto ``path`` (:func:`neurosim.files.atomic_path`)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        yield Path(tmp)


def pm1_targets(labels, n_classes: int, dtype=np.float32) -> np.ndarray:
    """±1 one-hot targets ``[P, C]``: +1 at the label's class, -1 elsewhere (SM Eq. 87)."""
    y = np.asarray(labels)
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        raise DatasetFormatError(f"labels: expected a 1-d integer array, got {y.dtype} {y.shape}")
    if int(n_classes) < 1:
        raise DatasetFormatError(f"n_classes: must be >= 1, got {n_classes}")
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise DatasetFormatError(f"labels: values must lie in [0, {n_classes}), got [{y.min()}, {y.max()}]")
    t = np.full((y.size, int(n_classes)), -1, dtype=dtype)
    t[np.arange(y.size), y] = 1
    return t


def read_npz(path: Path, keys: Iterable[str]) -> dict[str, np.ndarray]:
    """Read ``keys`` from the .npz at ``path`` without ever unpickling.

    Raises :class:`DatasetFormatError` naming the file for a non-npz file, a
    missing key or an object (pickled) array.
    """
    path = Path(path)
    try:
        archive = np.load(path, allow_pickle=False)
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise DatasetFormatError(f"{path}: not a readable .npz file ({exc})") from exc
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise DatasetFormatError(f"{path}: expected an .npz archive, found a single .npy array")
    with archive:
        missing = [k for k in keys if k not in archive.files]
        if missing:
            raise DatasetFormatError(f"{path}: missing key(s) {missing}; it holds {sorted(archive.files)}")
        out = {}
        for k in keys:
            try:
                out[k] = archive[k]
            except ValueError as exc:  # object arrays need pickle, which we refuse
                raise DatasetFormatError(f"{path}: key {k!r} cannot be read without unpickling ({exc})") from exc
    return out


def _check_split(name: str, x: np.ndarray, y: np.ndarray, n_classes: int) -> None:
    if x.ndim != 2:
        raise DatasetFormatError(f"x_{name}: expected a 2-d array [P, D], got shape {x.shape}")
    if x.dtype not in (np.float32, np.int8):
        raise DatasetFormatError(f"x_{name}: expected float32 or int8, got {x.dtype}")
    if x.dtype == np.float32 and not np.isfinite(x).all():
        raise DatasetFormatError(f"x_{name}: contains NaN or infinite values")
    if y.ndim != 1 or y.dtype != np.int64:
        raise DatasetFormatError(f"y_{name}: expected a 1-d int64 array, got {y.dtype} {y.shape}")
    if y.shape[0] != x.shape[0]:
        raise DatasetFormatError(f"y_{name}: {y.shape[0]} labels for {x.shape[0]} samples in x_{name}")
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise DatasetFormatError(f"y_{name}: labels must lie in [0, {n_classes}), got [{y.min()}, {y.max()}]")


@dataclass(frozen=True, eq=False)
class Dataset:
    """A classification data set: inputs ``x_* [P, D]`` (float32 or int8), labels ``y_* [P]`` (int64)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    n_classes: int
    name: str

    def __post_init__(self):
        if int(self.n_classes) < 1:
            raise DatasetFormatError(f"n_classes: must be >= 1, got {self.n_classes}")
        _check_split("train", self.x_train, self.y_train, self.n_classes)
        _check_split("test", self.x_test, self.y_test, self.n_classes)
        if self.x_train.shape[1] != self.x_test.shape[1]:
            raise DatasetFormatError(
                f"x_test: dimension {self.x_test.shape[1]} differs from x_train's {self.x_train.shape[1]}")

    @property
    def dim(self) -> int:
        """Input dimension D."""
        return int(self.x_train.shape[1])

    def targets(self, split: str = "train", dtype=np.float32) -> np.ndarray:
        """±1 one-hot targets ``[P, C]`` of the ``"train"`` or ``"test"`` labels."""
        if split not in ("train", "test"):
            raise ValueError(f"split: expected 'train' or 'test', got {split!r}")
        return pm1_targets(getattr(self, f"y_{split}"), self.n_classes, dtype)

    def validation_split(self, fraction: float = 0.1, seed: int = 0) -> "Dataset":
        """Hold out a seeded random ``fraction`` of the training set.

        Returns a new Dataset whose train part is the rest of the training set
        and whose test part is the holdout; the original test set is left out.
        """
        n = self.x_train.shape[0]
        n_val = int(round(float(fraction) * n))
        if not 0.0 < fraction < 1.0 or not 0 < n_val < n:
            raise ValueError(f"fraction: must leave both parts non-empty, got {fraction} of {n} samples")
        perm = np.random.default_rng(seed).permutation(n)
        val, rest = np.sort(perm[:n_val]), np.sort(perm[n_val:])
        return replace(self, x_train=self.x_train[rest], y_train=self.y_train[rest],
                       x_test=self.x_train[val], y_test=self.y_train[val], name=f"{self.name}[validation]")

    def __repr__(self) -> str:
        return (f"Dataset(name={self.name!r}, n_classes={self.n_classes}, dim={self.dim}, "
                f"train={self.x_train.shape[0]}, test={self.x_test.shape[0]}, dtype={self.x_train.dtype})")


def verify_hashes(arrays: Mapping[str, np.ndarray], expected: Mapping[str, str], source: str) -> None:
    """Raise :class:`DatasetIntegrityError` if any array's SHA-256 differs from ``expected``."""
    bad = [k for k, h in expected.items() if sha256_array(arrays[k]) != h]
    if bad:
        got = ", ".join(f"{k}={sha256_array(arrays[k])[:16]}..." for k in bad)
        raise DatasetIntegrityError(
            f"{source}: SHA-256 mismatch for {bad} (got {got}); the file is corrupt or not the expected data set. "
            "Delete it and download it again, or pass verify=False at your own risk.")
