"""The pytest plugin of the conformance suite: the fixtures ``backend`` (parametrised
over the registered backends, or those named by ``--neurosim-backend``) and
``conformance_case`` (a :class:`~neurosim.testing.golden.Golden`, parametrised over
the cases of each backend's suite).

* A backend that cannot run here is one skipped test per test function, with its
  reason (``pytest -rs`` lists it; the report header too), never a silent omission.
* A case whose feature the backend declares unsupported is an expected failure
  (strict xfail, raising :class:`neurosim.backends.Unsupported`, with the declared
  reason).

Load it with ``pytest_plugins = ["neurosim.testing.plugin"]`` in a conftest.py, or
``-p neurosim.testing.plugin`` (needed for ``--neurosim-backend``: the option must be
known before the command line is read); ``pytest --pyargs neurosim.testing`` loads it
itself, for every registered backend.
"""
import importlib

import pytest

from .. import backends
from ..backends import Backend, Unsupported
from .cases import suite_cases
from .golden import load

SELECTED = pytest.StashKey()


def pytest_addoption(parser):
    parser.getgroup("neurosim", "neurosim conformance suite").addoption(
        "--neurosim-backend", action="append", default=[], metavar="NAME|MODULE:ATTR",
        help="check only this backend (repeatable): a registered name, or MODULE:ATTR naming a "
             "neurosim.backends.Backend subclass or instance, which is registered first")


def resolve(spec):
    """The backend name of ``spec``: a registered name, or ``module:attr`` (a Backend
    subclass or instance, imported and registered, replacing one of the same name)."""
    if ":" not in spec:
        return backends.get(spec).name
    module, _, attr = spec.partition(":")
    obj = getattr(importlib.import_module(module), attr)
    if isinstance(obj, type) and issubclass(obj, Backend):
        obj = obj()
    return backends.register(obj, replace=True).name


def pytest_configure(config):
    specs = config.getoption("neurosim_backend", default=[]) or []
    config.stash[SELECTED] = [resolve(s) for s in specs] or backends.names()


def pytest_report_header(config):
    lines = []
    for name in config.stash.get(SELECTED, []):
        b = backends.get(name)
        why = b.unavailable()
        state = f"cannot run here: {why}" if why else (
            f"{b.suite} suite" + (f" ({b.suite_reason})" if b.suite == "quick" else ""))
        lines.append(f"  {name}: {state}")
    return ["neurosim backends:"] + lines if lines else []


def _params(name, with_case):
    b = backends.get(name)
    why = b.unavailable()
    if why:
        skip = pytest.mark.skip(reason=f"backend {name!r} cannot run here: {why}")
        return [pytest.param(*((name, None) if with_case else (name,)), marks=skip, id=f"{name}-cannot-run-here")]
    if not with_case:
        return [pytest.param(name, id=name)]
    out = []
    for case in suite_cases(b.suite):
        refused = b.refusals(case.mode, case.tie)
        marks = []
        if refused:
            (key, value), reason = refused[0]
            marks = [pytest.mark.xfail(raises=Unsupported, strict=True,
                                       reason=f"declared unsupported: {key}={value!r}: {reason}")]
        out.append(pytest.param(name, case.id, marks=marks, id=f"{name}-{case.id}"))
    return out


def pytest_generate_tests(metafunc):
    if "backend" not in metafunc.fixturenames:
        return
    with_case = "conformance_case" in metafunc.fixturenames
    params = [p for name in metafunc.config.stash[SELECTED] for p in _params(name, with_case)]
    metafunc.parametrize(("backend", "conformance_case") if with_case else "backend", params, indirect=True)


@pytest.fixture
def backend(request):
    """A registered backend (:class:`neurosim.backends.Backend`)."""
    return backends.get(request.param)


@pytest.fixture
def conformance_case(request):
    """A conformance case with its golden trajectory (:class:`~neurosim.testing.golden.Golden`)."""
    return load(request.param)
