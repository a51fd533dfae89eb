"""neurosim.hw: neuromorphic backends.

* :mod:`neurosim.hw.profiles` -- hardware limits as data (:data:`LOIHI2`);
* :func:`quantize` -- fixed-point quantisation for a profile (a pure function
  returning a :class:`QuantizedNetwork` the numba engine runs directly);
* :func:`estimate` -- resource estimate (neurons, synapses, cores, chips, fan-in);
* :mod:`neurosim.hw.lava` -- the Lava export (needs the ``lava`` extra: lava-nc 0.10
  on Python 3.10). See hw/README.md for what runs where.
"""
from .estimate import Estimate, estimate
from .profiles import LOIHI2, PROFILES, Profile, get_profile
from .quantize import QuantizedNetwork, QuantReport, quantize

__all__ = ["Profile", "LOIHI2", "PROFILES", "get_profile", "quantize", "QuantizedNetwork", "QuantReport",
           "estimate", "Estimate"]
