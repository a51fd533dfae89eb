"""The run contract (neurosim.backends) and its shipped conformance suite
(neurosim.testing): every registered backend through the one ``backend`` fixture,
the golden files against a fresh reference run, the registry's checks, and the
suite run by ``pytest --pyargs`` on backends of one's own."""
import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from neurosim import backends
from neurosim.backends import Backend, RunResult
from neurosim.testing import load, reference
from neurosim.testing.cases import ALL_CASES, CASES
from neurosim.testing.golden import differences
# The shipped suite, parametrised by the plugin (tests/conftest.py) over every registered backend.
from neurosim.testing.test_conformance import (test_backend_conforms,  # noqa: F401
                                               test_declared_unsupported_features_are_refused_by_name,
                                               test_result_is_the_contract_type)


class ReferenceBackend(Backend):
    """The plain-numpy reference as a backend: a backend of one's own, in full."""

    name = "numpy-reference"
    summary = "neurosim.testing.reference: dense matrices, fields recomputed at every update"

    def execute(self, req):
        s0 = np.zeros((req.batch, req.cn.n), dtype=np.int8) if req.s0 is None else req.s0
        ref = self.reference(req.cn, req.field, s0, req)
        return RunResult(ref.states, ref.steps, ref.converged, trajectory=ref.trajectory if req.record else None)

    def reference(self, cn, field, s0, req):
        return reference.run(reference.dense_couplings(cn), field, s0, req.mode, req.max_steps, p=req.p,
                             seed=req.seed, tie=req.tie)


class TieBlindBackend(ReferenceBackend):
    """A wrong backend: sgn(0) = +1 whatever the tie rule (and it declares nothing)."""

    name = "tie-blind"

    def reference(self, cn, field, s0, req):
        return reference.run(reference.dense_couplings(cn), field, s0, req.mode, req.max_steps, p=req.p,
                             seed=req.seed, tie="plus")


def differs(a, b):
    """Two reference runs differ (steps, convergence or a state)."""
    return not (np.array_equal(a.steps, b.steps) and np.array_equal(a.converged, b.converged)
                and np.array_equal(a.trajectory, b.trajectory))


@pytest.mark.parametrize("name", sorted(ALL_CASES))
def test_golden_files_equal_a_fresh_reference_run(name):
    """The stored trajectories are what scripts/make_golden.py writes now: never stale."""
    assert differences(name) == []


def test_the_suite_runs_on_backends_of_ones_own(tmp_path):
    """``pytest --pyargs neurosim.testing --neurosim-backend module:Class``: the reference
    passes every case; the tie-blind backend fails exactly the tie = "zero" cases whose
    reference run differs from the tie = "plus" one."""
    paths = [str(Path(__file__).parent)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(paths))
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rf", "-p", "no:cacheprovider", "-p",
                          "neurosim.testing.plugin", "--pyargs", "neurosim.testing", "-k", "test_backend_conforms",
                          "--neurosim-backend", "test_backends:ReferenceBackend",
                          "--neurosim-backend", "test_backends:TieBlindBackend"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    failed = sorted(line.split("[", 1)[1].split("]", 1)[0] for line in out.stdout.splitlines()
                    if line.startswith("FAILED"))
    expected = [f"tie-blind-{case.id}" for case in CASES if case.tie == "zero" and differs(
        load(case).expected, load(dataclasses.replace(case, tie="plus")).expected)]
    assert out.returncode == 1, out.stdout[-2000:] + out.stderr[-2000:]
    assert failed == sorted(expected) and expected, out.stdout[-2000:]


def test_registry_checks_what_it_registers():
    with pytest.raises(TypeError, match="instance of neurosim.backends.Backend"):
        backends.register(ReferenceBackend)
    with pytest.raises(ValueError, match="registered already"):
        backends.register(backends.get("numba").__class__())
    with pytest.raises(ValueError, match="unknown backend 'nope'; registered: numba, "):
        backends.get("nope")
    assert backends.names()[:1] == ["numba"] and {"lava", "lava-fixed", "native", "brian2"} <= set(backends.names())


def test_options_are_checked_by_name():
    g = load("ties-sync-plus")
    with pytest.raises(ValueError, match=r"backend 'numba' has no option 'dt' \(its options: none\)"):
        backends.run(g.network, "numba", field=g.field, s0=g.s0, options={"dt": 0.1})
    with pytest.raises(ValueError, match="backend 'native' has no option 'target'"):
        backends.run(g.network, "native", field=g.field, s0=g.s0, options={"target": "numpy"})
    res = backends.run(g.network, "native", field=g.field, s0=g.s0, options={"dt": 0.1})
    assert res.options["dt"] == 0.1 and res.options["variant"] == "hard" and res.backend == "native"
