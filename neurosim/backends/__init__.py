"""One run contract for every backend (``neurosim.backends``).

    run(cn, backend="numba", field=b, s0=s0, mode="sync", p=1.0, max_steps=100, seed=0,
        tie="plus", record=False, options=None) -> RunResult

Registered: ``numba`` (the reference engine), ``lava`` and ``lava-fixed`` (Lava in
floating and fixed point), ``native`` and ``brian2`` (continuous time). Each backend
declares what it cannot do (``get(name).unsupported``: {(parameter, value): reason});
asking for it raises :class:`Unsupported`, naming the backend, the feature and the
reason. A backend of your own: subclass :class:`Backend`, implement ``execute`` and
``register`` it; ``neurosim.testing`` checks it (see its docstring).
"""
from .contract import Backend, Request, RunResult, Unavailable, Unsupported
from .continuous import Brian2Backend, NativeBackend
from .engine import NumbaBackend
from .lava import LavaBackend, LavaFixedBackend

_REGISTRY = {}


def register(backend, replace=False):
    """Add ``backend`` (a :class:`Backend` instance) under its ``name``; returns it."""
    if not isinstance(backend, Backend):
        raise TypeError(f"a backend must be an instance of neurosim.backends.Backend, got {type(backend).__name__}")
    if not backend.name or not isinstance(backend.name, str):
        raise ValueError("a backend needs a name (a non-empty string)")
    if backend.time not in ("discrete", "continuous"):
        raise ValueError(f"backend {backend.name!r}: time must be 'discrete' or 'continuous', got {backend.time!r}")
    if backend.name in _REGISTRY and not replace:
        raise ValueError(f"a backend named {backend.name!r} is registered already (replace=True replaces it)")
    _REGISTRY[backend.name] = backend
    return backend


def get(name):
    """The registered backend ``name``."""
    if name not in _REGISTRY:
        raise ValueError(f"unknown backend {name!r}; registered: {', '.join(_REGISTRY)}")
    return _REGISTRY[name]


def names():
    """The registered backends' names, in registration order."""
    return list(_REGISTRY)


def run(cn, backend="numba", **kwargs):
    """``get(backend).run(cn, **kwargs)``: see :meth:`Backend.run`."""
    return get(backend).run(cn, **kwargs)


for _cls in (NumbaBackend, LavaBackend, LavaFixedBackend, NativeBackend, Brian2Backend):
    register(_cls())

__all__ = ["run", "get", "names", "register", "Backend", "Request", "RunResult", "Unsupported", "Unavailable"]
