"""Reader and writer for the idx format of the MNIST distribution files.

Layout: two zero bytes, a type code, the number of dimensions ``n``, then ``n``
big-endian uint32 sizes, then the data in C order, big-endian. Files may be
gzip-compressed (detected from the content, not the name).
"""

from __future__ import annotations

import gzip
import os
import struct
from pathlib import Path

import numpy as np

from .core import DatasetFormatError

__all__ = ["read_idx", "write_idx"]

_CODES = {0x08: np.dtype("u1"), 0x09: np.dtype("i1"), 0x0B: np.dtype(">i2"),
          0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
_GZIP_MAGIC = b"\x1f\x8b"


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an idx file (plain or gzipped) into an array of native byte order."""
    path = Path(path)
    raw = path.read_bytes()
    if raw[:2] == _GZIP_MAGIC:
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise DatasetFormatError(f"{path}: corrupt gzip stream ({exc})") from exc
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _CODES:
        raise DatasetFormatError(f"{path}: not an idx file (bad magic number {raw[:4].hex()})")
    dtype, ndim = _CODES[raw[2]], raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DatasetFormatError(f"{path}: truncated idx header")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) - header != expected:
        raise DatasetFormatError(
            f"{path}: idx header announces shape {shape} ({expected} bytes) but {len(raw) - header} bytes follow")
    data = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder("="), copy=True)


def write_idx(path: str | os.PathLike, array: np.ndarray, compress: bool | None = None) -> Path:
    """Write ``array`` as an idx file; gzip it if ``compress`` (default: name ends in ``.gz``)."""
    path = Path(path)
    a = np.asarray(array)
    code = next((c for c, dt in _CODES.items() if dt.kind == a.dtype.kind and dt.itemsize == a.dtype.itemsize), None)
    if code is None or a.ndim > 255:
        raise DatasetFormatError(f"array: dtype {a.dtype} with {a.ndim} dims cannot be stored as idx")
    body = bytes([0, 0, code, a.ndim]) + struct.pack(f">{a.ndim}I", *a.shape)
    body += np.ascontiguousarray(a, dtype=_CODES[code]).tobytes()
    if compress is None:
        compress = path.suffix == ".gz"
    path.write_bytes(gzip.compress(body, mtime=0) if compress else body)
    return path
