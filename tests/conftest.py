"""Fixtures shared by the tests: the conformance networks of neurosim.testing (every
ready topology, partial masks, exact ties at h = 0, strong fixed couplings), the
conformance suite's plugin, the experiments package, and where the optional
backends run."""
import importlib
from pathlib import Path

import pytest

import neurosim as ns
from neurosim.backends.platform import brian2_platform, lava_platform
from neurosim.experiments import load_experiments
from neurosim.testing.cases import ALL_CASES, TOPOLOGY_CASES, masked_network, tie_network  # noqa: F401

pytest_plugins = ["neurosim.testing.plugin"]   # the fixtures `backend` and `conformance_case`


@pytest.fixture(params=sorted(ALL_CASES))
def case(request):
    """(name, compiled network) for every topology and hand-made case."""
    return request.param, ns.compile(ALL_CASES[request.param]())


@pytest.fixture(params=[(name, layout) for name in sorted(ALL_CASES) for layout in ("csc", "dense")],
                ids=lambda v: f"{v[0]}-{v[1]}")
def stored_case(request):
    """(name, compiled network) for every case, with every coupling map stored
    in one layout: CSC, or dense blocks (neurosim.couplings)."""
    name, layout = request.param
    return name, ns.compile(ALL_CASES[name](), dense_threshold=0.0 if layout == "dense" else 2.0)


@pytest.fixture(scope="module")
def pkg():
    """The experiments package (experiments/), loaded by path."""
    return load_experiments()


@pytest.fixture(scope="module")
def common(pkg):
    return importlib.import_module(f"{pkg.__name__}._common")


def check_files(res, common):
    """An experiment wrote its HDF5, PNG and markdown atomically; returns (tree, markdown)."""
    for kind in ("h5", "png", "md"):
        path = Path(res["files"][kind])
        assert path.is_file() and path.stat().st_size > 0, kind
        assert not list(path.parent.glob(f".{path.name}.*")), "a temporary file was left behind"
    assert Path(res["files"]["png"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    md = Path(res["files"]["md"]).read_text()
    assert "Paper:" in md and "## Gap to the paper" in md
    tree = common.read_h5(res["files"]["h5"])
    assert tree["attrs"]["quick"] == 1
    return tree, md


# The backends outside the core run only where their pinned releases do. There, their
# tests need them (missing is an error, never a skip); elsewhere (the newest Python of
# `make test-core-latest`) their tests are skipped with this reason.
PLATFORMS = {"lava": lava_platform, "brian2": brian2_platform}


def cannot_run(name):
    """Why backend ``name`` cannot run here, or None where it can (there its tests
    import it, and fail loudly if it is missing)."""
    return PLATFORMS[name]()
