"""Ready topologies (``neurosim.topologies``): functions returning a declared
:class:`neurosim.Network`, every draw from their ``seed``.

    core       one core module (Eq. 1)
    chain      multilayer chain with homologous couplings (Eq. 2, Fig. 1)
    fc_chain   block-tridiagonal learnable A (SM-C)
    skip       chain with skip connections to input / output (SM-C)
    ensemble   two coupled, independently initialised cores (Fig. 3, SM-E)
    local      local receptive fields on an image grid (SM-C)
    symmetric  sym0 symmetric initialisation (SM-E)

All take the common keywords ``input_dim, rho_in, n_classes, lam_x, lam_y`` and
record ``net.meta = {"topology": name, **params}``.
"""
import inspect

from ._common import COMMON
from .cores import core, symmetric
from .ensembles import ensemble
from .grids import local
from .layered import chain, fc_chain, skip

TOPOLOGIES = {
    "core": core,
    "chain": chain,
    "fc_chain": fc_chain,
    "skip": skip,
    "ensemble": ensemble,
    "local": local,
    "symmetric": symmetric,
}


def build(name, **params):
    """The topology ``name`` built with ``params`` (see :data:`TOPOLOGIES`)."""
    if name not in TOPOLOGIES:
        raise ValueError(f"unknown topology {name!r}; known topologies: {', '.join(sorted(TOPOLOGIES))}")
    return TOPOLOGIES[name](**params)


def parameters(name):
    """The keywords topology ``name`` takes: its own named parameters, then the
    common ones (``COMMON``)."""
    own = inspect.signature(TOPOLOGIES[name]).parameters.values()
    return [p.name for p in own if p.kind is p.POSITIONAL_OR_KEYWORD] + list(COMMON)


__all__ = ["TOPOLOGIES", "build", "parameters", *TOPOLOGIES]
