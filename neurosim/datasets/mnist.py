"""MNIST and Fashion-MNIST: find, verify, load and (on request) download.

Accepted layouts, in any searched directory ``DIR`` (see :mod:`.paths`):

* ``DIR/mnist.npz`` or ``DIR/fashion_mnist.npz`` with keys ``x_train
  [60000,28,28]``, ``y_train [60000]``, ``x_test [10000,28,28]``, ``y_test
  [10000]``, all uint8 (read with ``allow_pickle=False``);
* the four official idx files, plain or ``.gz``, in ``DIR/mnist/`` or
  ``DIR/fashion-mnist/``: ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
  ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``.

Fashion-MNIST is also found in Debian's ``/usr/share/datasets/fashion-mnist/``.
The SHA-256 of every raw array (``sha256(a.tobytes())``, C order) is checked
against :data:`HASHES` unless ``verify=False``.

As in the paper (SM-D), the only preprocessing is flattening to D = 784 and
scaling the uint8 pixels to [0, 1] (``x / 255`` as float32); nothing else.
"""

from __future__ import annotations

import os
import urllib.request
from pathlib import Path
from typing import Mapping

import numpy as np

from .core import (Dataset, DatasetDownloadError, DatasetError, DatasetFormatError, DatasetNotFoundError,
                   atomic_output, read_npz, verify_hashes)
from .idx import read_idx
from .paths import ENV_VAR, default_data_dir, search_dirs

__all__ = ["HASHES", "MIRRORS", "mnist_arrays", "load_mnist", "load_fashion_mnist", "download"]

KEYS = ("x_train", "y_train", "x_test", "y_test")
IDX_FILES = {"x_train": "train-images-idx3-ubyte", "y_train": "train-labels-idx1-ubyte",
             "x_test": "t10k-images-idx3-ubyte", "y_test": "t10k-labels-idx1-ubyte"}
NPZ_FILES = {"mnist": "mnist.npz", "fashion-mnist": "fashion_mnist.npz"}
SUBDIRS = {"mnist": "mnist", "fashion-mnist": "fashion-mnist"}
SYSTEM_DIRS = {"mnist": (), "fashion-mnist": (Path("/usr/share/datasets/fashion-mnist"),)}
TITLES = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST"}

#: SHA-256 of the official raw uint8 arrays.
HASHES: dict[str, dict[str, str]] = {
    "mnist": {
        "x_train": "741c988805d008ac6e4c904b69001ba184c24b2c540a4ef403f4c71b676cf757",
        "y_train": "1feba77c54802fa5339a11837ea4b2866434b83314ec45192930f1df69120c13",
        "x_test": "6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161",
        "y_test": "ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5",
    },
    "fashion-mnist": {
        "x_train": "2e487a6c89124f78f2d7521542223cafe96f7123c3ca13d447772ac6ecbb3012",
        "y_train": "657fbd221bfc9f4198cc14b5619cc33ec57c58dd0e47af4d99d6650759e869a7",
        "x_test": "c867c93ff95360594e8ec3287995350b824dd110b11595c0e13d5423f621867a",
        "y_test": "3d0e6c6ea990b53b6f8f500a41cac93881d981b315f84578b7d915342ade01e9",
    },
}

#: Base URLs tried in order by :func:`download`; each serves ``<idx name>.gz``.
MIRRORS: dict[str, tuple[str, ...]] = {
    "mnist": ("https://ossci-datasets.s3.amazonaws.com/mnist/",
              "https://storage.googleapis.com/cvdf-datasets/mnist/"),
    "fashion-mnist": ("https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
                      "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"),
}


def _check_name(name: str) -> str:
    if name not in NPZ_FILES:
        raise ValueError(f"name: expected one of {sorted(NPZ_FILES)}, got {name!r}")
    return name


def _idx_path(directory: Path, key: str) -> Path | None:
    for fname in (IDX_FILES[key], IDX_FILES[key] + ".gz"):
        if (directory / fname).is_file():
            return directory / fname
    return None


def _locate(name: str, data_dir) -> tuple[str, Path] | tuple[str, dict[str, Path]]:
    """Find ``("npz", path)`` or ``("idx", {key: path})``; raise DatasetNotFoundError otherwise."""
    roots = search_dirs(data_dir)
    places: list[tuple[Path | None, Path]] = [(r / NPZ_FILES[name], r / SUBDIRS[name]) for r in roots]
    if data_dir is None:
        places += [(None, d) for d in SYSTEM_DIRS[name]]
    for npz, idx_dir in places:
        if npz is not None and npz.is_file():
            return "npz", npz
        found = {k: _idx_path(idx_dir, k) for k in KEYS}
        if all(found.values()):
            return "idx", found
    searched = ", ".join(str(d) for d in roots + ([] if data_dir is not None else list(SYSTEM_DIRS[name])))
    raise DatasetNotFoundError(
        f"{TITLES[name]} not found. Searched: {searched}. Put {NPZ_FILES[name]} (uint8 arrays "
        f"x_train, y_train, x_test, y_test) in one of these directories, or the four official idx files "
        f"({', '.join(IDX_FILES.values())}, optionally .gz) in its '{SUBDIRS[name]}/' subdirectory. "
        f"Set {ENV_VAR} to pick the directory, or call neurosim.datasets.download({name!r}) "
        f"(or pass download=True) to fetch them.")


def _check_raw(arrays: Mapping[str, np.ndarray], source: str) -> None:
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.dtype != np.uint8 or x.ndim != 3 or x.shape[1:] != (28, 28):
            raise DatasetFormatError(f"{source}: x_{split} must be uint8 [P,28,28], got {x.dtype} {x.shape}")
        if not np.issubdtype(y.dtype, np.integer) or y.shape != (x.shape[0],):
            raise DatasetFormatError(
                f"{source}: y_{split} must be integer [{x.shape[0]}], got {y.dtype} {y.shape}")
        if y.size and (y.min() < 0 or y.max() > 9):
            raise DatasetFormatError(f"{source}: y_{split} labels must lie in 0..9, got [{y.min()}, {y.max()}]")


def mnist_arrays(name: str = "mnist", data_dir=None, *, download: bool = False, verify: bool = True,
                 hashes: Mapping[str, str] | None = None) -> dict[str, np.ndarray]:
    """The raw arrays ``{x_train: uint8 [P,28,28], y_train, x_test, y_test}`` of ``name``.

    ``hashes`` replaces the expected SHA-256 values of :data:`HASHES` (e.g. for
    test fixtures); ``verify=False`` skips the check.
    """
    _check_name(name)
    try:
        kind, where = _locate(name, data_dir)
    except DatasetNotFoundError:
        if not download:
            raise
        _download(name, data_dir, verify=verify, hashes=hashes)
        kind, where = _locate(name, data_dir)
    if kind == "npz":
        arrays, source = read_npz(where, KEYS), str(where)
    else:
        arrays, source = {k: read_idx(p) for k, p in where.items()}, str(where["x_train"].parent)
    _check_raw(arrays, source)
    if verify:
        verify_hashes(arrays, HASHES[name] if hashes is None else hashes, source)
    return arrays


def _to_dataset(name: str, arrays: Mapping[str, np.ndarray]) -> Dataset:
    def flat(x):
        return x.reshape(x.shape[0], -1).astype(np.float32) / np.float32(255.0)

    return Dataset(flat(arrays["x_train"]), arrays["y_train"].astype(np.int64),
                   flat(arrays["x_test"]), arrays["y_test"].astype(np.int64), 10, name)


def load_mnist(data_dir=None, *, download: bool = False, verify: bool = True,
               hashes: Mapping[str, str] | None = None) -> Dataset:
    """MNIST as float32 ``[P, 784]`` in [0, 1] (pixels / 255), labels int64, 10 classes."""
    return _to_dataset("mnist", mnist_arrays("mnist", data_dir, download=download, verify=verify, hashes=hashes))


def load_fashion_mnist(data_dir=None, *, download: bool = False, verify: bool = True,
                       hashes: Mapping[str, str] | None = None) -> Dataset:
    """Fashion-MNIST, preprocessed exactly like :func:`load_mnist`."""
    return _to_dataset("fashion-mnist",
                       mnist_arrays("fashion-mnist", data_dir, download=download, verify=verify, hashes=hashes))


def _fetch(urls: list[str], dest: Path, timeout: float) -> None:
    """Download the first URL that works into ``dest``, atomically (temp file + os.replace)."""
    errors = []
    for url in urls:
        try:
            with atomic_output(dest) as tmp, open(tmp, "wb") as out, \
                    urllib.request.urlopen(url, timeout=timeout) as resp:
                while chunk := resp.read(1 << 20):
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            return
        except OSError as exc:  # urllib.error.URLError is an OSError
            errors.append(f"{url}: {exc}")
    raise DatasetDownloadError(f"could not download {dest.name}; tried " + "; ".join(errors))


def _download(name: str, data_dir=None, *, force: bool = False, timeout: float = 60.0,
              verify: bool = True, hashes: Mapping[str, str] | None = None) -> Path:
    target = default_data_dir(data_dir) / SUBDIRS[name]
    target.mkdir(parents=True, exist_ok=True)
    fresh = []
    for key, base in IDX_FILES.items():
        dest = target / (base + ".gz")
        if force or _idx_path(target, key) is None:
            _fetch([m + dest.name for m in MIRRORS[name]], dest, timeout)
            fresh.append(dest)
    try:
        arrays = {k: read_idx(_idx_path(target, k)) for k in KEYS}
        _check_raw(arrays, str(target))
        if verify:
            verify_hashes(arrays, HASHES[name] if hashes is None else hashes, str(target))
    except DatasetError:  # do not leave bad downloads behind
        for p in fresh:
            p.unlink(missing_ok=True)
        raise
    return target


def download(name: str = "mnist", data_dir=None, *, force: bool = False, timeout: float = 60.0,
             verify: bool = True, hashes: Mapping[str, str] | None = None) -> Path:
    """Download the official idx files of ``name`` into ``<data_dir>/<name>/`` and verify them.

    ``data_dir`` defaults to the first ``NEUROSIM_DATA`` entry, else ``~/.cache/neurosim``.
    Existing files are kept unless ``force``. Returns the directory written.
    """
    return _download(_check_name(name), data_dir, force=force, timeout=timeout, verify=verify, hashes=hashes)
