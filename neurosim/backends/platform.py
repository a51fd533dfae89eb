"""Where the optional backends' pinned releases run (DESIGN.md section 5): a reason
when this interpreter is outside it, else None. There a missing package is an
installation error, never a reason to skip."""
import importlib.util
import platform
import sys

import numpy as np

NUMPY = tuple(int(v) for v in np.__version__.split(".")[:2])


def _here():
    return f"this is Python {platform.python_version()} with numpy {np.__version__}"


def lava_platform():
    if sys.version_info[:2] == (3, 10) and NUMPY < (2, 0):
        return None
    return f"lava-nc 0.10 (the `lava` extra) runs only on Python 3.10 with numpy < 2; {_here()}"


def brian2_platform():
    if NUMPY < (2, 4):
        return None
    return f"brian2 2.9 (the `brian2` extra) fails to import with numpy >= 2.4; {_here()}"


def missing(module, extra):
    """A reason when ``module`` is not installed, else None (checked without importing it)."""
    try:
        found = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        found = False
    return None if found else f"{module} is not installed: pip install 'neurosim[{extra}]'"
