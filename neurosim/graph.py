"""networkx view of a :class:`~neurosim.network.Network` and back.

Nodes 0..N-1 are the neurons in global order, with attributes ``population``,
``j_d``, ``a_in``, ``a_back``, ``a_out``. An edge j -> i (pre -> post) is the
coupling of s_j onto h_i (Eq. 82: J_ij if ``learnable``, else a fixed K_ij) with
attributes ``weight``, ``learnable`` and ``projection`` (its name). Graph attributes:
``seed``, ``lam_x``, ``lam_y``, ``meta``, ``populations`` [(name, size)],
``projections`` [(name, post, pre, learnable)], ``w_in``, ``w_in_mask``,
``w_back``, ``w_out`` (arrays or None; their neuron axis follows the order of
``G.nodes``, which is 0..N-1 for a graph written here). The round trip is exact: compiling the
network rebuilt from the graph gives the same IR, bit for bit.
"""
import copy

import networkx as nx
import numpy as np
import scipy.sparse as sp

from .network import Network

NODE_ATTRS = ("population", "j_d", "a_in", "a_back", "a_out")
EDGE_ATTRS = ("weight", "learnable")
MAPS = ("w_in", "w_in_mask", "w_back", "w_out")


def network_to_networkx(net):
    """The network as an ``nx.DiGraph`` (see the module docstring)."""
    G = nx.DiGraph()
    G.graph.update(seed=net.seed, lam_x=net.lam_x, lam_y=net.lam_y, meta=copy.deepcopy(net.meta),
                   populations=[(p.name, p.size) for p in net.populations],
                   projections=[(p.name, p.post, p.pre, bool(p.learnable)) for p in net.projections])
    G.graph.update({k: None if getattr(net, k) is None else np.array(getattr(net, k)) for k in MAPS})
    for p in net.populations:
        G.add_nodes_from(_population_nodes(p, len(G)))
    off = net.offsets()
    for proj in net.projections:
        coo = proj.weights.tocoo()
        pre, post = coo.col + off[proj.pre], coo.row + off[proj.post]
        clash = [(int(j), int(i)) for j, i in zip(pre, post) if G.has_edge(j, i)]
        if clash:
            raise ValueError(f"edge {clash[0][0]} -> {clash[0][1]} is covered by two projections; "
                             "a DiGraph holds one coupling per pair")
        G.add_edges_from((int(j), int(i), {"weight": float(w), "learnable": proj.learnable, "projection": proj.name})
                         for j, i, w in zip(pre, post, coo.data))
    return G


def _population_nodes(p, start):
    for k in range(p.size):
        yield start + k, {"population": p.name, "j_d": float(p.j_d), "a_in": bool(p.a_in[k]),
                          "a_back": bool(p.a_back[k]), "a_out": bool(p.a_out[k])}


def network_from_networkx(G):
    """A Network from a DiGraph: one written by :func:`network_to_networkx`
    (nodes grouped by their ``population`` attribute, in node order), or a plain
    graph without neurosim attributes (one population ``"core"``, every edge a
    learnable J_ij with its ``weight`` or a Gaussian draw N(0, 1/(rho N)))."""
    if not isinstance(G, nx.DiGraph) or G.is_multigraph():
        raise ValueError(f"graph must be a networkx DiGraph, got {type(G).__name__}")
    nodes = list(G.nodes)
    if not nodes:
        raise ValueError("graph has no nodes")
    loops = list(nx.selfloop_edges(G))
    if loops:
        raise ValueError(f"graph has a self-loop on node {loops[0][0]!r}: the self-coupling is the "
                         "node attribute 'j_d' (J_D), not an edge")
    if _is_neurosim(G):
        return _from_neurosim_graph(G, nodes)
    return _from_plain_graph(G, nodes)


def _is_neurosim(G):
    return "populations" in G.graph or any("population" in d for _, d in G.nodes(data=True))


def _from_plain_graph(G, nodes):
    """One population "core" of every node (masks all on), edges learnable."""
    net = Network(seed=G.graph.get("seed", 0), lam_x=G.graph.get("lam_x", 1.0), lam_y=G.graph.get("lam_y", 0.0))
    net.add_population("core", len(nodes), G.graph.get("j_d", 0.0))
    pre, post, weight = _edge_arrays(G, {v: k for k, v in enumerate(nodes)}, plain=True)
    A = _csr(post, pre, np.ones(pre.size, dtype=bool), len(nodes), len(nodes))
    weights = None if weight is None else _csr(post, pre, weight, len(nodes), len(nodes))
    net.connect("core", "core", pattern=A, weights=weights)
    return net


def _from_neurosim_graph(G, nodes):
    """Populations in their recorded order, nodes of each in node order."""
    attrs = [_node_attrs(G, v) for v in nodes]
    order = _population_order(G, attrs)
    perm = np.array(sorted(range(len(nodes)), key=lambda k: order.index(attrs[k]["population"])))
    index = {nodes[k]: pos for pos, k in enumerate(perm)}
    net = Network(seed=_graph_attr(G, "seed"), lam_x=_graph_attr(G, "lam_x"), lam_y=_graph_attr(G, "lam_y"))
    net.meta = copy.deepcopy(G.graph.get("meta") or {})
    for name in order:
        _add_population(net, name, [attrs[k] for k in perm if attrs[k]["population"] == name])
    _add_projections(net, G, index)
    _set_maps(net, G, perm)
    return net


def _node_attrs(G, v):
    d = G.nodes[v]
    missing = [a for a in NODE_ATTRS if a not in d]
    if missing:
        raise ValueError(f"node {v!r} has no attribute {missing[0]!r} (a neurosim graph needs {NODE_ATTRS})")
    return d


def _graph_attr(G, key):
    if key not in G.graph:
        raise ValueError(f"graph has no attribute {key!r} (a neurosim graph needs seed, lam_x, lam_y)")
    return G.graph[key]


def _population_order(G, attrs):
    """Names in the order of the graph's ``populations`` list (else first seen),
    checked against the nodes' ``population`` attributes and the recorded sizes."""
    counts = {}
    for d in attrs:
        counts[d["population"]] = counts.get(d["population"], 0) + 1
    recorded = G.graph.get("populations")
    if recorded is None:
        return list(counts)
    recorded = [(str(name), int(size)) for name, size in recorded]
    if recorded != [(name, counts.get(name, 0)) for name, _ in recorded] or len(recorded) != len(counts):
        raise ValueError(f"graph attribute 'populations' {recorded} does not match the nodes' "
                         f"population attributes {list(counts.items())}")
    return [name for name, _ in recorded]


def _add_population(net, name, attrs):
    """One population from its nodes' attributes (j_d must be uniform)."""
    j_d = {d["j_d"] for d in attrs}
    if len(j_d) != 1:
        raise ValueError(f"nodes of population {name!r} have different 'j_d' values {sorted(j_d)}")
    masks = {m: np.array([bool(d[m]) for d in attrs]) for m in ("a_in", "a_back", "a_out")}
    net.add_population(name, len(attrs), j_d.pop(), **masks)


def _add_projections(net, G, index):
    """The projections recorded in the graph attribute ``projections`` (each edge
    names its own), else one per (post population, pre population, learnable)."""
    pre, post, weight, learnable = _edge_arrays(G, index, plain=False)
    off = net.offsets()
    bounds = np.array([off[p.name] for p in net.populations] + [net.n])
    pop_pre, pop_post = np.searchsorted(bounds, pre, "right") - 1, np.searchsorted(bounds, post, "right") - 1
    recorded = G.graph.get("projections")
    if recorded is None:
        groups = [(None, *key, (pop_post == key[0]) & (pop_pre == key[1]) & (learnable == key[2]))
                  for key in sorted(set(zip(pop_post.tolist(), pop_pre.tolist(), learnable.tolist())))]
    else:
        groups = _recorded_projections(net, G, recorded, pop_post, pop_pre, learnable)
    for name, po, pr, lrn, sel in groups:
        po, pr = net.populations[po], net.populations[pr]
        r, c = post[sel] - off[po.name], pre[sel] - off[pr.name]
        A = _csr(r, c, np.ones(r.size, dtype=bool), po.size, pr.size)
        net.connect(po.name, pr.name, pattern=A, weights=_csr(r, c, weight[sel], po.size, pr.size),
                    learnable=bool(lrn), name=name)


def _recorded_projections(net, G, recorded, pop_post, pop_pre, learnable):
    """[(name, post index, pre index, learnable, edge selection)] of the graph's
    ``projections`` list, each edge checked against the projection it names."""
    pops = [p.name for p in net.populations]
    tags = np.array([d.get("projection") for _, _, d in G.edges(data=True)], dtype=object)
    groups = []
    for item in recorded:
        name, post, pre, lrn = item
        if post not in pops or pre not in pops:
            raise ValueError(f"graph attribute 'projections': {name!r} names a population that is not declared")
        sel = tags == name
        groups.append((name, pops.index(post), pops.index(pre), bool(lrn), sel))
        wrong = sel & ((pop_post != pops.index(post)) | (pop_pre != pops.index(pre)) | (learnable != bool(lrn)))
        if wrong.any():
            u, v, _ = list(G.edges(data=True))[int(np.flatnonzero(wrong)[0])]
            raise ValueError(f"edge {u!r} -> {v!r} names projection {name!r} ({pre} -> {post}, learnable={lrn}) "
                             "but joins other populations or has another learnable flag")
    known = set(name for name, *_ in recorded)
    stray = [k for k, t in enumerate(tags) if t not in known]
    if stray:
        u, v, d = list(G.edges(data=True))[stray[0]]
        raise ValueError(f"edge {u!r} -> {v!r} has projection {d.get('projection')!r}, which the graph "
                         f"attribute 'projections' does not list")
    return groups


def _edge_arrays(G, index, plain):
    """pre, post (global indices), weight (None for a plain graph without any),
    and for a neurosim graph the learnable flags."""
    edges = list(G.edges(data=True))
    pre = np.array([index[u] for u, _, _ in edges], dtype=np.int64)
    post = np.array([index[v] for _, v, _ in edges], dtype=np.int64)
    needed = ("weight",) if plain else EDGE_ATTRS
    has = [all(a in d for a in needed) for _, _, d in edges]
    if plain and not any(has):
        return pre, post, None
    if not all(has):
        u, v, d = edges[has.index(False)]
        missing = next(a for a in needed if a not in d)
        raise ValueError(f"edge {u!r} -> {v!r} has no attribute {missing!r} (needed on every edge: {needed})")
    weight = np.array([d["weight"] for _, _, d in edges], dtype=np.float64)
    if plain:
        return pre, post, weight
    return pre, post, weight, np.array([bool(d["learnable"]) for _, _, d in edges], dtype=bool)


def _csr(rows, cols, data, n_rows, n_cols):
    return sp.csr_matrix((data, (rows, cols)), shape=(n_rows, n_cols))


def _set_maps(net, G, perm):
    """W_in, its mask, W_back (rows) and W_out (columns) in the rebuilt neuron order."""
    n = net.n
    for key, axis in (("w_in", 0), ("w_in_mask", 0), ("w_back", 0), ("w_out", 1)):
        arr = G.graph.get(key)
        if arr is None:
            setattr(net, key, None)
            continue
        arr = np.array(arr, dtype=bool if key == "w_in_mask" else np.float64)
        if arr.ndim != 2 or arr.shape[axis] != n:
            raise ValueError(f"graph attribute {key!r} must be a 2-d array with {n} "
                             f"{'rows' if axis == 0 else 'columns'}, got shape {arr.shape}")
        setattr(net, key, np.take(arr, perm, axis=axis))
    if (net.w_in is None) != (net.w_in_mask is None) or (
            net.w_in is not None and net.w_in.shape != net.w_in_mask.shape):
        raise ValueError("graph attributes 'w_in' and 'w_in_mask' must both be arrays of the same shape, or both None")
