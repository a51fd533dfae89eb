"""Entangled-MNIST (SM-D): MNIST randomly projected onto 100 dimensions and binarised.

Two constructions, both shipped (``load_entangled_mnist(variant=...)``)::

    x    = pixels / 255                       flattened, [P, 784]
    mu   = mean of x over the 60,000 training images   (per pixel)
    W    = default_rng(SEED).standard_normal((784, 100)), rounded to multiples of 2**-20
    text: xent = sgn((x - mu) @ W)   centred (our reading of the paper, which is silent)
    code: xent = sgn(x @ W)          uncentred, as the authors' code builds it
                                     (x / 255 times an unnormalised Gaussian projection)

both in {-1, +1} as int8 with sgn(0) := +1.
The test images are centred with the *training* mean. The sign is computed in
exact integer arithmetic (``(60000 * pixels - column sums) @ round(W * 2**20)``,
a positive multiple of ``(x - mu) @ W``, and ``pixels @ round(W * 2**20)``), so
the result is bit-identical on every machine and BLAS. Each ships inside the
package, bit-packed, in ``data/``; ``scripts/make_entangled_mnist.py`` rebuilds them.
"""

from __future__ import annotations

import os
from contextlib import ExitStack
from importlib import resources
from pathlib import Path
from typing import Mapping

import numpy as np

from .core import Dataset, DatasetFormatError, atomic_output, read_npz, sha256_array, verify_hashes

__all__ = ["SEED", "DIM", "HASHES", "projection_matrix", "entangle", "load_entangled_mnist",
           "save_entangled", "embedded_path"]

SEED = 20_240_527
DIM = 100
FRACTION_BITS = 20
VARIANTS = ("text", "code")
FILE_NAMES = {"text": "entangled_mnist.npz", "code": "entangled_mnist_code.npz"}
FILE_NAME = FILE_NAMES["text"]

#: SHA-256 of the unpacked arrays per variant: x_* int8 (+-1) [P, 100], y_* uint8 [P], C order.
VARIANT_HASHES: dict[str, dict[str, str]] = {
    "text": {
        "x_train": "755bc80271e6b421244fab13210d11096642f32a3b566f13494a156acc454cdb",
        "y_train": "1feba77c54802fa5339a11837ea4b2866434b83314ec45192930f1df69120c13",  # = MNIST's
        "x_test": "781a119a73c4f1cfd81d81e9d449eebda70a7b293a8e332dac0519ad91cb405c",
        "y_test": "ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5",  # = MNIST's
    },
    "code": {
        "x_train": "7b0b3e9aa16b1ffbcf906ced1e0db22933e9e8b0fac2430a6102e51e9522a882",
        "y_train": "1feba77c54802fa5339a11837ea4b2866434b83314ec45192930f1df69120c13",
        "x_test": "1eb139ee0797fddaa5689d7c5ba7ce999994d5278aede6943d6cc20e82b50bd3",
        "y_test": "ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5",
    },
}
HASHES = VARIANT_HASHES["text"]


def check_variant(variant: str) -> str:
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    return variant


def projection_matrix(seed: int = SEED, dim: int = DIM) -> np.ndarray:
    """The fixed Gaussian projection ``[784, dim]``, rounded to multiples of ``2**-20``."""
    w = np.random.default_rng(seed).standard_normal((784, dim))
    return np.round(w * 2.0**FRACTION_BITS) / 2.0**FRACTION_BITS


def entangle(x_train: np.ndarray, x_test: np.ndarray, seed: int = SEED,
             dim: int = DIM, variant: str = "text") -> tuple[np.ndarray, np.ndarray]:
    """Project raw uint8 MNIST images ``[P,28,28]`` and binarise; returns int8 ±1 ``[P, dim]`` arrays
    (``variant`` "text": centred with the training mean first; "code": uncentred)."""
    check_variant(variant)
    for arg, x in (("x_train", x_train), ("x_test", x_test)):
        if x.dtype != np.uint8 or x.shape[1:] not in ((28, 28), (784,)):
            raise DatasetFormatError(f"{arg}: expected uint8 [P,28,28] or [P,784], got {x.dtype} {x.shape}")
    w = np.round(projection_matrix(seed, dim) * 2.0**FRACTION_BITS).astype(np.int64)
    n = x_train.shape[0]
    colsum = x_train.reshape(n, 784).sum(axis=0, dtype=np.int64)
    scale, shift = (n, colsum) if variant == "text" else (1, 0)
    if n * 255 * 784 * int(np.abs(w).max()) >= 2**63:
        raise OverflowError("x_train: too many images for exact int64 projection")

    def project(x):
        out = np.empty((x.shape[0], dim), dtype=np.int8)
        flat = x.reshape(x.shape[0], 784)
        for i in range(0, flat.shape[0], 8192):
            z = (scale * flat[i:i + 8192].astype(np.int64) - shift) @ w
            out[i:i + 8192] = np.where(z >= 0, 1, -1)   # the data set's sign, 0 -> +1
        return out

    return project(x_train), project(x_test)


def embedded_path(variant: str = "text") -> Path:
    """Path of the Entangled-MNIST file shipped inside the package (may be inside a zip)."""
    return Path(str(resources.files(__package__).joinpath("data", FILE_NAMES[check_variant(variant)])))


def _unpack(bits: np.ndarray, dim: int, key: str, source: str) -> np.ndarray:
    if bits.dtype != np.uint8 or bits.ndim != 2 or bits.shape[1] != (dim + 7) // 8:
        raise DatasetFormatError(f"{source}: {key} must be uint8 [P, {(dim + 7) // 8}], got {bits.dtype} {bits.shape}")
    return (np.unpackbits(bits, axis=1, count=dim).astype(np.int8) * 2 - 1).astype(np.int8)


def load_entangled_mnist(path: str | os.PathLike | None = None, *, variant: str = "text", verify: bool = True,
                         hashes: Mapping[str, str] | None = None) -> Dataset:
    """Entangled-MNIST: int8 ±1 inputs ``[P, 100]``, 60,000 train / 10,000 test, 10 classes.

    ``variant`` "text" (centred, the default) or "code" (the authors' uncentred
    construction; module docstring). Reads the embedded file unless ``path``
    names another one; needs no data directory.
    """
    check_variant(variant)
    keys = ("x_train_bits", "y_train", "x_test_bits", "y_test", "dim")
    with ExitStack() as stack:
        if path is None:
            path = stack.enter_context(resources.as_file(resources.files(__package__).joinpath(
                "data", FILE_NAMES[variant])))
        raw = read_npz(Path(path), keys)
    source, dim = str(path), int(raw["dim"])
    arrays = {"x_train": _unpack(raw["x_train_bits"], dim, "x_train_bits", source), "y_train": raw["y_train"],
              "x_test": _unpack(raw["x_test_bits"], dim, "x_test_bits", source), "y_test": raw["y_test"]}
    for split in ("train", "test"):
        y = arrays[f"y_{split}"]
        if y.dtype != np.uint8 or y.shape != (arrays[f"x_{split}"].shape[0],):
            raise DatasetFormatError(f"{source}: y_{split} must be uint8 [P], got {y.dtype} {y.shape}")
    if verify:
        verify_hashes(arrays, VARIANT_HASHES[variant] if hashes is None else hashes, source)
    name = "entangled-mnist" if variant == "text" else f"entangled-mnist-{variant}"
    return Dataset(arrays["x_train"], arrays["y_train"].astype(np.int64),
                   arrays["x_test"], arrays["y_test"].astype(np.int64), 10, name)


def save_entangled(path: str | os.PathLike, x_train, y_train, x_test, y_test, seed: int = SEED) -> dict[str, str]:
    """Write the bit-packed file atomically; return the SHA-256 of the unpacked arrays."""
    path = Path(path)
    arrays = {"x_train": np.asarray(x_train, np.int8), "y_train": np.asarray(y_train, np.uint8),
              "x_test": np.asarray(x_test, np.int8), "y_test": np.asarray(y_test, np.uint8)}
    for k in ("x_train", "x_test"):
        if arrays[k].ndim != 2 or not np.isin(arrays[k], (-1, 1)).all():
            raise DatasetFormatError(f"{k}: expected a 2-d array of +-1 values")
    payload = {"x_train_bits": np.packbits(arrays["x_train"] > 0, axis=1), "y_train": arrays["y_train"],
               "x_test_bits": np.packbits(arrays["x_test"] > 0, axis=1), "y_test": arrays["y_test"],
               "dim": np.int64(arrays["x_train"].shape[1]), "seed": np.int64(seed)}
    with atomic_output(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez_compressed(f, **payload)
    return {k: sha256_array(a) for k, a in arrays.items()}
