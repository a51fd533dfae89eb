"""neurosim: event-driven simulation, local learning and neuromorphic export of
recurrent networks of binary neurons with asymmetric couplings."""
import os

# numba's OpenMP layer spins while waiting; on a shared or oversubscribed machine
# that turns each short parallel kernel into milliseconds. Sleep instead (the
# user's own setting wins).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from . import _compile_notice

_compile_notice.install()

from .compiled import CompiledNetwork, compile
from .engine import RelaxResult, is_fixed_point, local_fields, relax
from .network import Network, Population, Projection
from .spec import network_from_toml
from .version import __version__

__all__ = ["Network", "Population", "Projection", "CompiledNetwork", "compile", "relax",
           "RelaxResult", "local_fields", "is_fixed_point", "save", "load", "network_from_toml", "__version__"]

# Loaded on first use: ``ns.topologies.core(...)`` needs no import of its own.
_SUBPACKAGES = ("analysis", "continuous", "datasets", "hw", "learning", "theory", "topologies")


def __getattr__(name):
    if name in _SUBPACKAGES:
        import importlib
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def save(obj, path, **kw):
    """Save a Network, CompiledNetwork or RelaxResult to HDF5 (see neurosim.io)."""
    from .io import save as _save
    return _save(obj, path, **kw)


def load(path, **kw):
    """Load what :func:`save` wrote (see neurosim.io), training checkpoints included."""
    from . import learning  # noqa: F401  (registers the file kind "training_state")
    from .io import load as _load
    return _load(path, **kw)
