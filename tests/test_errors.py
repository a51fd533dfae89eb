"""Bad input gets a clear error that names the argument."""
import numpy as np
import pytest

import neurosim as ns


@pytest.fixture
def cn():
    net = ns.Network(seed=0)
    net.add_population("a", 10, j_d=0.5)
    net.connect("a", "a", rho=0.5)
    net.set_input(4)
    net.set_back(2)
    return ns.compile(net)


@pytest.mark.parametrize("kwargs,match", [
    (dict(s0=np.ones((2, 9))), "s0 must have shape"),
    (dict(s0=np.full((2, 10), 2)), "s0 must hold only"),
    (dict(s0=np.full((2, 10), 0.5)), "s0 must hold only"),
    (dict(x=np.ones((2, 5))), "x must have shape"),
    (dict(x=np.full((1, 4), np.nan)), "x must be finite"),
    (dict(y=np.ones((2, 3)), lam_y=1.0), "y must have shape"),
    (dict(mode="fast"), "mode must be one of"),
    (dict(mode="prob", p=1.5), "p must be a number in"),
    (dict(mode="prob", p=-0.1), "p must be a number in"),
    (dict(max_steps=-1), "max_steps must be"),
    (dict(seed=-3), "seed must be"),
    (dict(field=np.ones((1, 3))), "field must have shape"),
    (dict(x=np.ones((2, 4)), s0=np.ones((3, 10))), "batch"),
])
def test_relax_rejects_bad_input(cn, kwargs, match):
    with pytest.raises(ValueError, match=match):
        ns.relax(cn, **kwargs)


def test_relax_rejects_non_compiled():
    with pytest.raises(TypeError, match="CompiledNetwork"):
        ns.relax("network")


@pytest.mark.parametrize("call,match", [
    (lambda n: n.add_population("b", 0), "size must be a positive integer"),
    (lambda n: n.add_population("b", 5, j_d=-1), "j_d must be"),
    (lambda n: n.add_population("b", 5, j_d=float("nan")), "j_d must be"),
    (lambda n: n.add_population("a", 5), "declared twice"),
    (lambda n: n.add_population("b", 3, a_in=[1, 0]), "a_in must be"),
    (lambda n: n.connect("a", "a", rho=-0.1), "rho must be a number in"),
    (lambda n: n.connect("a", "a", rho=1.5), "rho must be a number in"),
    (lambda n: n.connect("a", "a"), "rho is required"),
    (lambda n: n.connect("a", "zzz", rho=0.1), "population 'zzz' is not declared"),
    (lambda n: n.connect("a", "a", pattern="ring"), "pattern must be one of"),
    (lambda n: n.connect("a", "a", pattern=np.ones((3, 3))), "pattern matrix must have shape"),
    (lambda n: n.connect("a", "a", rho=0.5, weights=np.full((6, 6), np.nan)), "weights must be finite"),
    (lambda n: n.connect("a", "a", pattern="full", weights=float("inf")), "weights must be finite"),
    (lambda n: n.connect("a", "a", pattern="block", blocks=4), "blocks=4 must divide"),
    (lambda n: n.set_input(0), "dim must be a positive integer"),
    (lambda n: n.set_input(3, weights=np.ones((2, 3))), "weights must have shape"),
    (lambda n: n.set_back(2, prototypes=np.ones((6, 3))), "prototypes must have shape"),
])
def test_network_rejects_bad_declarations(call, match):
    net = ns.Network(seed=0)
    net.add_population("a", 6)
    with pytest.raises(ValueError, match=match):
        call(net)


def test_compile_rejects_bad_networks():
    with pytest.raises(ValueError, match="no population"):
        ns.compile(ns.Network())
    with pytest.raises(TypeError, match="neurosim.Network"):
        ns.compile({"n": 3})
    net = ns.Network()
    net.add_population("a", 4)
    net.set_input(2)
    net.add_population("b", 4)
    with pytest.raises(ValueError, match="w_in has 4 rows"):
        ns.compile(net)
    net = ns.Network()
    net.add_population("a", 4)
    net.connect("a", "a", pattern="full")
    net.connect("a", "a", pattern="full")
    with pytest.raises(ValueError, match="same pair of neurons"):
        ns.compile(net)
