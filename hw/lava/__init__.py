"""neurosim.hw.lava: export to Lava (lava-nc 0.10, Python 3.10).

    export(cn, field=b, s0=s0, mode="sync") -> LavaNetwork;  .run(T, timeout=...) -> LavaRun
    run_many([net, ...], T)                 several LavaNetworks in one worker -> [LavaRun, ...]
    OnChipLearner(cn, kappa, eta)           the margin rule (Eq. 84) on Lava's learning engine;
                                            with eta_in (and kappa_in) also W_in (Eq. 85)
    HostAssistedLearner(cn, kappa, eta)     relax in Lava, learn on the host

Importing this package does not import Lava (only building a graph does; runs happen
in a worker subprocess). Lava's model discovery imports every module of this
folder, so none of them has an import side effect.
"""
from .export import (ASYNC_REASON, LavaGraph, LavaNetwork, LavaRun, LavaUnsupportedError, build_graph, export,
                     lava_available, make_spec, run_many)
from .learning import HostAssistedLearner, OnChipLearner, input_rule, margin_rule
from .runner import LavaRunError, LavaTimeoutError, LavaWorker

__all__ = ["export", "make_spec", "build_graph", "LavaNetwork", "LavaRun", "LavaGraph", "LavaUnsupportedError",
           "ASYNC_REASON", "OnChipLearner", "HostAssistedLearner", "margin_rule", "input_rule", "LavaWorker", "LavaRunError",
           "LavaTimeoutError", "lava_available", "run_many"]
