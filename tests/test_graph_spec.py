"""networkx round trip and import, TOML specs in both forms."""
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

import neurosim
from neurosim import Network, topologies as T
from neurosim.graph import network_from_networkx, network_to_networkx
from neurosim.spec import network_from_toml

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "two_layer.toml"

CASES = {
    "core": dict(n=60, rho=0.2),
    "chain": dict(layers=3, n=30, rho=0.2, lam_l=0.8, lam_r=0.4),
    "fc_chain": dict(layers=3, n=20, rho=0.5),
    "skip": dict(layers=3, n=20, rho=0.2, input_layers=[1]),
    "ensemble": dict(n=40, rho=0.2, lam=0.6),
    "local": dict(height=5, width=6, radius=2, rho=0.7),
    "symmetric": dict(n=40, rho=0.5),
}


def h(net):
    return neurosim.compile(net).content_hash()


@pytest.mark.parametrize("with_io", [False, True])
@pytest.mark.parametrize("name", sorted(CASES))
def test_networkx_round_trip_is_bit_exact(name, with_io):
    io = {"n_classes": 4} if with_io else {}
    if with_io and name != "local":
        io["input_dim"] = 9
    net = T.build(name, seed=5, **CASES[name], **io)
    G = network_to_networkx(net)
    back = network_from_networkx(G)
    assert h(back) == h(net)
    assert back.meta == net.meta and [p.name for p in back.populations] == [p.name for p in net.populations]


def test_graph_layout_matches_the_coupling_matrix():
    net = T.chain(2, 15, rho=0.3, j_d=0.4, lam=0.9, seed=1, input_dim=3, n_classes=2)
    c = neurosim.compile(net)
    G = network_to_networkx(net)
    M = c.coupling_matrix()
    assert sorted(G.nodes) == list(range(30))
    assert G.number_of_edges() == np.count_nonzero(M - np.diag(np.diag(M)))
    for j, i, d in G.edges(data=True):
        assert d["weight"] == M[i, j]
        assert d["learnable"] == (G.nodes[i]["population"] == G.nodes[j]["population"])
    assert G.nodes[0] == {"population": "layer0", "j_d": 0.4, "a_in": True, "a_back": False, "a_out": False}
    assert G.graph["populations"] == [("layer0", 15), ("layer1", 15)]
    assert np.array_equal(G.graph["w_in"], c.w_in) and G.graph["seed"] == 1


def test_graph_is_a_copy():
    net = T.core(20, rho=0.3, seed=0, input_dim=4)
    G = network_to_networkx(net)
    G.graph["w_in"][:] = 0
    G.graph["meta"]["n"] = 99
    assert net.w_in.any() and net.meta["n"] == 20


def test_plain_digraph_without_weights_draws_gaussians():
    G = nx.gnp_random_graph(40, 0.2, seed=3, directed=True)
    G = nx.relabel_nodes(G, {k: f"v{k}" for k in G.nodes})
    net = network_from_networkx(G)
    c = neurosim.compile(net)
    assert c.pop_names == ("core",) and c.n == 40
    assert c.j_data.size == G.number_of_edges() and c.k_data.size == 0
    J = c.learnable().toarray()
    order = list(G.nodes)
    for u, v in list(G.edges)[:20]:
        assert J[order.index(v), order.index(u)] != 0
    assert h(network_from_networkx(G)) == h(net)  # seeded draws


def test_plain_digraph_with_weights_keeps_them():
    G = nx.DiGraph()
    G.add_edge(0, 1, weight=0.25)
    G.add_edge(1, 2, weight=-1.5)
    G.add_edge(2, 0, weight=0.0)
    c = neurosim.compile(network_from_networkx(G))
    J = c.learnable().toarray()
    assert J[1, 0] == 0.25 and J[2, 1] == -1.5
    assert c.j_data.size == 3  # the zero weight stays a learnable entry
    G.add_edge(0, 2)
    with pytest.raises(ValueError, match="weight"):
        network_from_networkx(G)


def test_graph_errors_are_clear():
    G = network_to_networkx(T.core(10, rho=0.5, seed=0))
    del G.nodes[3]["j_d"]
    with pytest.raises(ValueError, match="'j_d'"):
        network_from_networkx(G)
    G = network_to_networkx(T.core(10, rho=0.5, seed=0))
    u, v = next(iter(G.edges))
    del G.edges[u, v]["learnable"]
    with pytest.raises(ValueError, match="'learnable'"):
        network_from_networkx(G)
    G = network_to_networkx(T.core(10, rho=0.5, seed=0))
    G.add_edge(2, 2, weight=1.0, learnable=True)
    with pytest.raises(ValueError, match="self-loop"):
        network_from_networkx(G)
    G = network_to_networkx(T.core(10, rho=0.5, seed=0))
    G.nodes[0]["j_d"] = 0.9
    with pytest.raises(ValueError, match="j_d"):
        network_from_networkx(G)
    with pytest.raises(ValueError, match="DiGraph"):
        network_from_networkx(nx.Graph([(0, 1)]))


def test_interleaved_populations_are_grouped_in_node_order():
    net = T.ensemble(6, rho=0.5, seed=2, input_dim=3, n_classes=2)
    G = network_to_networkx(net)
    order = [k for pair in zip(range(6), range(6, 12)) for k in pair]
    H = nx.DiGraph()
    H.graph.update(G.graph)
    for key in ("w_in", "w_in_mask", "w_back"):  # rows follow the node order
        H.graph[key] = G.graph[key][order]
    H.graph["w_out"] = G.graph["w_out"][:, order]
    H.add_nodes_from((k, G.nodes[k]) for k in order)
    H.add_edges_from(G.edges(data=True))
    assert h(network_from_networkx(H)) == h(net)


TOPOLOGY_TOML = """
[topology]
name = "chain"
layers = 2
n = 40
rho = 0.1
lam = 0.5
seed = 3
input_dim = 8
n_classes = 3
"""


def test_toml_topology_form_equals_build():
    net = network_from_toml(TOPOLOGY_TOML)
    ref = T.chain(2, 40, rho=0.1, lam=0.5, seed=3, input_dim=8, n_classes=3)
    assert h(net) == h(ref)
    assert h(neurosim.network_from_toml(TOPOLOGY_TOML)) == h(ref)


def test_toml_example_file_declares_a_two_layer_chain():
    for source in (EXAMPLE, str(EXAMPLE), EXAMPLE.read_text()):
        c = neurosim.compile(network_from_toml(source))
        assert c.pop_names == ("layer0", "layer1") and c.n == 200
        M = c.coupling_matrix()
        assert np.array_equal(M[100:, :100], np.eye(100)) and np.array_equal(M[:100, 100:], np.eye(100))
        assert np.all(np.diag(M) == 0.5)
        assert c.a_in[:100].all() and not c.a_in[100:].any() and c.a_out[100:].all() and not c.a_out[:100].any()
        assert c.w_in.shape == (200, 784) and c.w_back.shape == (200, 10) and c.w_out.shape == (10, 200)


def test_toml_explicit_form_matches_the_same_calls():
    text = """
[network]
seed = 4
lam_y = 0.5

[[population]]
name = "a"
size = 12
j_d = 0.2

[[population]]
name = "b"
size = 12
a_in = false

[[projection]]
post = "b"
pre = "a"
pattern = "block"
blocks = 3
weight = 0.125
learnable = false

[[projection]]
post = "a"
pre = "a"
rho = 0.4
scale = 0.5
name = "recurrent"

[input]
dim = 6
rho = 0.5
"""
    ref = Network(seed=4, lam_y=0.5)
    ref.add_population("a", 12, 0.2)
    ref.add_population("b", 12, a_in=False)
    ref.connect("b", "a", "block", blocks=3, weights=0.125, learnable=False)
    ref.connect("a", "a", rho=0.4, scale=0.5, name="recurrent")
    ref.set_input(6, rho=0.5)
    assert h(network_from_toml(text)) == h(ref)


@pytest.mark.parametrize("text,words", [
    ('[topology]\nname = "core"\nn = 10\nsize = 3\n', ["'size'", "[topology]"]),
    ('[topology]\nname = "ring"\n', ["'ring'", "core"]),
    ('[topology]\nn = 10\n', ["'name'", "[topology]"]),
    ('[topology]\nname = "core"\nn = 10\n[input]\ndim = 3\n', ["[topology]", "input"]),
    ('[networks]\nseed = 1\n', ["'networks'"]),
    ('[network]\nsead = 1\n[[population]]\nname = "a"\nsize = 3\n', ["'sead'", "[network]"]),
    ('[[population]]\nname = "a"\nsize = 3\ncolour = 1\n', ["'colour'", "[[population]] #1"]),
    ('[[population]]\nname = "a"\n', ["'size'", "[[population]] #1"]),
    ('[[population]]\nname = "a"\nsize = 3\n[[projection]]\npost = "a"\npre = "a"\nwieght = 1.0\n',
     ["'wieght'", "[[projection]] #1"]),
    ('[[population]]\nname = "a"\nsize = 3\n[[chain]]\nleft = "a"\nright = "a"\nlam = 1\n', ["'lam'", "[[chain]]"]),
    ('[[population]]\nname = "a"\nsize = 3\n[input]\ndim = 3\nrho_in = 0.1\n', ["'rho_in'", "[input]"]),
    ('[[population]]\nname = "a"\nsize = 3\n[output]\nn_classes = 3\n', ["'n_classes'", "[output]"]),
    ('[[population]]\nname = "a"\nsize = 3\n[[projection]]\npost = "a"\npre = "a"\nweight = [1, 2]\n', ["weight"]),
    ('[network]\nseed = 1\n', ["population"]),
])
def test_toml_bad_specs_name_the_key_and_table(text, words):
    with pytest.raises(ValueError) as err:
        network_from_toml(text)
    assert all(w in str(err.value) for w in words), str(err.value)


def test_toml_syntax_error_is_a_value_error():
    with pytest.raises(ValueError):
        network_from_toml("[topology\nname = 'core'")
