#!/usr/bin/env python3
"""Rebuild neurosim/datasets/data/entangled_mnist.npz from MNIST and check its hashes.

MNIST is read from the usual data directory (``--data-dir``, else $NEUROSIM_DATA,
else ~/.cache/neurosim) and verified against its published SHA-256 first. The
construction is documented in ``neurosim/datasets/entangled.py``.

    NEUROSIM_DATA=../shared/data python scripts/make_entangled_mnist.py          # rewrite the shipped files
    NEUROSIM_DATA=../shared/data python scripts/make_entangled_mnist.py --check  # compare only

Both variants (``text``: centred, ``code``: the authors' uncentred construction)
are built. Exit status 1 when a result differs from entangled.VARIANT_HASHES.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

try:
    from neurosim.datasets import entangled, mnist_arrays
except ImportError:  # running from a source checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from neurosim.datasets import entangled, mnist_arrays


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="directory holding mnist.npz or mnist/ idx files")
    parser.add_argument("--out-dir", type=Path, default=None, help="output folder (default: the shipped files)")
    parser.add_argument("--check", action="store_true", help="build in a temporary folder; do not overwrite")
    args = parser.parse_args(argv)

    raw = mnist_arrays("mnist", args.data_dir)
    ok = True
    for variant in entangled.VARIANTS:
        x_train, x_test = entangled.entangle(raw["x_train"], raw["x_test"], variant=variant)
        with tempfile.TemporaryDirectory() as tmp:
            name = entangled.FILE_NAMES[variant]
            out = (Path(tmp) / name if args.check else args.out_dir / name if args.out_dir
                   else entangled.embedded_path(variant))
            hashes = entangled.save_entangled(out, x_train, raw["y_train"], x_test, raw["y_test"])
            size = out.stat().st_size
            reloaded = entangled.load_entangled_mnist(out, hashes=hashes)  # round trip through the packed file
        print(f"[{variant}] file: {'(temporary, --check)' if args.check else out}  size: {size} bytes")
        print(f"seed: {entangled.SEED}  dim: {entangled.DIM}  train: {x_train.shape}  test: {x_test.shape}")
        print("train class counts:", np.bincount(reloaded.y_train, minlength=10).tolist())
        print("fraction of +1 bits: train %.4f  test %.4f" % ((x_train > 0).mean(), (x_test > 0).mean()))
        for key, h in hashes.items():
            recorded = entangled.VARIANT_HASHES[variant].get(key, "")
            status = "ok" if h == recorded else ("not recorded" if not recorded else "MISMATCH")
            ok &= h == recorded
            print(f"  {key:8s} {h}  {status}")
    if not ok:
        print("hashes differ from entangled.VARIANT_HASHES; update them only if the construction changed on purpose.")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
