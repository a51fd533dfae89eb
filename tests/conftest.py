"""Small networks shared by the engine and backend tests: every ready topology,
plus hand-made cases (partial masks, exact ties at h = 0)."""
import importlib
import platform
import sys
from pathlib import Path

import numpy as np
import pytest

import neurosim as ns
from neurosim import topologies
from neurosim.experiments import load_experiments

COMMON = dict(n_classes=3, lam_x=1.0, lam_y=0.7)

TOPOLOGY_CASES = {
    "core": lambda: topologies.core(60, rho=0.2, j_d=0.6, seed=1, input_dim=10, **COMMON),
    "chain": lambda: topologies.chain(3, 20, rho=0.3, j_d=0.4, lam=0.6, seed=2, input_dim=10, **COMMON),
    "fc_chain": lambda: topologies.fc_chain(3, 15, rho=0.5, j_d=0.5, seed=3, input_dim=10, **COMMON),
    "skip": lambda: topologies.skip(3, 20, rho=0.3, j_d=0.5, lam=0.5, seed=4, input_dim=10, **COMMON),
    "ensemble": lambda: topologies.ensemble(30, rho=0.3, j_d=0.3, lam=0.5, seed=5, input_dim=10, **COMMON),
    "local": lambda: topologies.local(6, 6, radius=1, j_d=0.3, seed=6, **COMMON),
    "symmetric": lambda: topologies.symmetric(40, rho=0.5, j_d=0.2, seed=7, input_dim=10, **COMMON),
}


def masked_network():
    """Two populations with partial masks and a frozen projection."""
    net = ns.Network(seed=11, lam_x=1.5, lam_y=0.8)
    net.add_population("a", 25, j_d=0.5, a_in=np.arange(25) % 2 == 0, a_out=False)
    net.add_population("b", 25, j_d=0.1, a_back=np.arange(25) < 10)
    net.connect("a", "a", rho=0.3)
    net.connect("b", "a", rho=0.2)
    net.connect("b", "b", pattern="full", learnable=False, scale=0.05)
    net.couple_chain("a", "b", 0.4, 0.3)
    net.set_input(8, rho=0.5)
    net.set_back(3)
    net.set_output(3)
    return net


def tie_network():
    """Integer weights and fields: many local fields are exactly 0, which must
    resolve to +1 in every engine."""
    net = ns.Network(seed=0, lam_x=1.0)
    net.add_population("t", 6, j_d=0.0)
    W = np.array([[0, 1, -1, 0, 0, 0],
                  [1, 0, 0, -1, 0, 0],
                  [0, 0, 0, 1, -1, 0],
                  [0, 1, 1, 0, 0, -2],
                  [1, 0, 0, 1, 0, 0],
                  [0, 0, 1, 0, -1, 0]], dtype=float)
    net.connect("t", "t", pattern=W)
    net.set_input(2, weights=np.array([[1, 0], [0, 1], [1, 1], [0, 0], [1, -1], [0, 2]], dtype=float))
    return net


ALL_CASES = dict(TOPOLOGY_CASES, masked=masked_network, ties=tie_network)


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


# The backends outside the core, and where their pinned releases run. There, their tests
# need them (missing is an error, never a skip); elsewhere (the newest Python of
# `make test-core-latest`) their tests are skipped with this reason.
NP = tuple(int(v) for v in np.__version__.split(".")[:2])
BACKENDS = {
    "lava": (sys.version_info[:2] == (3, 10) and NP < (2, 0),
             "lava-nc 0.10 (the `lava` extra) runs only on Python 3.10 with numpy < 2"),
    "brian2": (NP < (2, 4), "brian2 2.9 (the `brian2` extra) fails to import with numpy >= 2.4"),
}


def cannot_run(name):
    """Why backend ``name`` cannot run here, or None where it can (there its tests
    import it, and fail loudly if it is missing)."""
    runs_here, why = BACKENDS[name]
    return None if runs_here else f"{why}; this is Python {platform.python_version()} with numpy {np.__version__}"
