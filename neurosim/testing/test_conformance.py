"""The conformance suite (run it with ``pytest --pyargs neurosim.testing``; see
``neurosim.testing``): every selected backend on every case of its suite, and its
declared refusals."""
import numpy as np
import pytest

from neurosim.backends import Unsupported
from neurosim.testing.checks import check_case
from neurosim.testing.golden import load


def test_backend_conforms(backend, conformance_case):
    """Discrete backends equal the golden trajectory step for step; continuous ones
    settle in discrete fixed points; ``agrees_with`` is reproduced."""
    check_case(backend, conformance_case)


def test_declared_unsupported_features_are_refused_by_name(backend):
    """Each declared (parameter, value) raises Unsupported naming the backend, the
    feature and the declared reason, before anything runs."""
    golden = load("ties-sync-plus")
    for (key, value), reason in backend.unsupported.items():
        kw = {key: value} if key in ("mode", "tie") else {"options": {key: value}}
        with pytest.raises(Unsupported) as info:
            backend.run(golden.network, field=golden.field, s0=golden.s0, max_steps=5, **kw)
        err = info.value
        assert (err.backend, err.feature, err.reason) == (backend.name, (key, value), reason)
        assert str(err).startswith(f"backend {backend.name!r} does not support {key}={value!r}: ") and reason in str(err)


def test_result_is_the_contract_type(backend):
    """The same RunResult fields from every backend, without recording too."""
    golden = load("ties-sync-plus")
    res = backend.run(golden.network, field=golden.field, s0=golden.s0, max_steps=golden.max_steps)
    B, n = golden.s0.shape
    assert res.backend == backend.name and res.trajectory is None
    assert res.states.shape == (B, n) and res.states.dtype == np.int8
    assert res.steps.shape == (B,) and np.issubdtype(res.steps.dtype, np.integer)
    assert res.converged.shape == (B,) and res.converged.dtype == bool
