"""The IR: a :class:`CompiledNetwork` is plain arrays and nothing else. Every
engine and backend reads only this.

Couplings are kept in two sparse matrices over the N neurons, compressed by
column (CSC: ``indptr`` over the pre-neurons j, ``indices`` the post-neurons i,
``data`` the weights W_ij): ``j_*`` holds the learnable couplings J on their pattern
A, ``k_*`` the fixed ones K (chain lambda_L / lambda_R, frozen projections). Column j
is the out-neighbour list of neuron j, the order in which the event-driven kernels
push a flip of s_j to its targets, so one copy of the pattern serves both the
fields and the pushes. Learning changes the values in place, never the pattern.
``learnable()`` / ``fixed()`` give the usual [post, pre] scipy CSR matrices.

Each map is stored by :class:`neurosim.couplings.CouplingMap` in the layout its
density calls for (``csc``, or a ``dense`` block for a dense map such as the J of
a fully connected core), decided here at compile time (``dense_threshold``); the
CSC arrays above read the same in both layouts (``j_data`` of a dense map is a
read-only copy: assign to it, or use :meth:`with_couplings`, to change values).

Projections keep their identity: ``proj_names`` [P] and ``proj_table`` [P, 3]
(post population, pre population, learnable 0/1) describe them, and ``j_proj`` /
``k_proj`` give the projection of every entry of J / K, in CSC order. The
trainer reads them for per-projection eta, kappa and decay, quantisation gives
each projection its own weight exponent, and the Lava export one connection.
A network built without them (an older file, arrays from elsewhere) gets one
projection per (post population, pre population, map) that has entries.
"""
import hashlib
import json

import numpy as np
import scipy.sparse as sp

from .couplings import CouplingMap
from .network import Network, name_projections, projection_name
from .validate import check_ir

INDEX = np.int32
PROJ_ID = np.int16          # projection index of an entry: up to 32767 projections
IDENTITY = ("proj_names", "proj_table", "j_proj", "k_proj")
DTYPES = (np.dtype(np.float64), np.dtype(np.float32))

_MAPS = {f"{c}_{part}": (c, part) for c in "jk" for part in ("indptr", "indices", "data")}


class CompiledNetwork:
    """The IR (see the module docstring). Constructed by :func:`compile` or
    :func:`neurosim.load`; every argument below is an attribute."""

    ARRAYS = ("pop_offsets", "j_indptr", "j_indices", "j_data", "k_indptr", "k_indices", "k_data",
              "j_d", "a_in", "a_back", "a_out", "w_in", "w_in_mask", "w_back", "w_out",
              "proj_table", "j_proj", "k_proj")
    SCALARS = ("n", "pop_names", "lam_x", "lam_y", "meta", "proj_names")

    def __init__(self, n, pop_names, pop_offsets, j_indptr, j_indices, j_data, k_indptr, k_indices, k_data,
                 j_d, a_in, a_back, a_out, w_in, w_in_mask, w_back, w_out, lam_x, lam_y, meta="{}",
                 proj_names=None, proj_table=None, j_proj=None, k_proj=None,
                 dense_threshold=None, layouts=None, dtype=None):
        """``pop_offsets`` int64 [P+1]; ``*_indptr`` int64 [N+1] over pre-neurons, ``*_indices``
        int32 [nnz] post-neurons, ``*_data`` float [nnz]; ``j_d`` [N]; masks bool [N];
        ``w_in`` [N, D] with its learnable pattern ``w_in_mask``; ``w_back`` [N, C];
        ``w_out`` [C, N]; ``meta`` JSON (topology name and parameters). ``dense_threshold``
        (density at which a map is stored dense) or ``layouts`` ({"j": "csc" | "dense",
        "k": ...}) choose the storage; neither changes a result. ``dtype`` ("float64" or
        "float32", default: that of ``j_data``) is the precision of the coupling values
        and of the recurrent fields the engine keeps. ``proj_names``, ``proj_table``,
        ``j_proj``, ``k_proj``: the projections (module docstring), all four or
        none (then :func:`default_identity`). Every field is checked
        (:func:`neurosim.validate.check_ir`)."""
        given = [v is not None for v in (proj_names, proj_table, j_proj, k_proj)]
        if any(given) and not all(given):
            raise ValueError("proj_names, proj_table, j_proj and k_proj go together: give all four or none")
        if isinstance(proj_names, (list, np.ndarray)):
            proj_names = tuple(proj_names)
        layouts = layouts or {}
        if dtype is not None:
            if np.dtype(dtype) not in DTYPES:
                raise ValueError(f"dtype must be 'float64' or 'float32', got {dtype!r}")
            j_data, k_data = np.asarray(j_data, dtype=dtype), np.asarray(k_data, dtype=dtype)
        args = locals()
        check_ir({name: args[name] for name in self.ARRAYS + self.SCALARS})   # the identity too, when given
        if not all(given):             # derived from the checked patterns
            proj_names, proj_table, j_proj, k_proj = default_identity(n, pop_names, pop_offsets, j_indptr, j_indices,
                                                                      k_indptr, k_indices)
        self.n, self.pop_names, self.pop_offsets = n, pop_names, pop_offsets
        self.proj_names, self.proj_table, self.j_proj, self.k_proj = proj_names, proj_table, j_proj, k_proj
        self.j = CouplingMap(n, j_indptr, j_indices, j_data, dense_threshold, layouts.get("j"))
        self.k = CouplingMap(n, k_indptr, k_indices, k_data, dense_threshold, layouts.get("k"))
        self.j_d, self.a_in, self.a_back, self.a_out = j_d, a_in, a_back, a_out
        self.w_in, self.w_in_mask, self.w_back, self.w_out = w_in, w_in_mask, w_back, w_out
        self.lam_x, self.lam_y, self.meta = lam_x, lam_y, meta

    def __getattr__(self, name):
        if name in _MAPS and _MAPS[name][0] in self.__dict__:  # (absent while unpickling)
            m, part = _MAPS[name]
            return getattr(self.__dict__[m], part)
        raise AttributeError(f"'CompiledNetwork' object has no attribute {name!r}")

    def __setattr__(self, name, value):
        if name in _MAPS:
            m, part = _MAPS[name]
            if part != "data":
                raise AttributeError(f"{name} is the fixed pattern of the IR; build a new network to change it")
            getattr(self, m).data = value
            return
        object.__setattr__(self, name, value)

    def validate(self):
        """Check every field again (values may have been changed in place since
        construction); raises ValueError naming the first bad one."""
        check_ir({name: getattr(self, name) for name in self.ARRAYS + self.SCALARS})
        return self

    @property
    def dtype(self):
        """Precision of the coupling values and of the engine's recurrent fields."""
        return self.j.dtype

    @property
    def layouts(self):
        """{"j": layout, "k": layout}: how each coupling map is stored."""
        return {"j": self.j.layout, "k": self.k.layout}

    @property
    def input_dim(self):
        return self.w_in.shape[1]

    @property
    def n_classes(self):
        return max(self.w_back.shape[1], self.w_out.shape[0])

    def population_slice(self, name):
        i = self.pop_names.index(name)
        return slice(int(self.pop_offsets[i]), int(self.pop_offsets[i + 1]))

    def projection_index(self, name):
        """The index of projection ``name`` (a clear error names the declared ones)."""
        if name not in self.proj_names:
            raise ValueError(f"projection {name!r} is not in this network (projections: "
                             f"{', '.join(self.proj_names) or 'none'})")
        return self.proj_names.index(name)

    def projections(self):
        """[(name, post population, pre population, learnable, entries)] of every projection."""
        counts = {True: np.bincount(self.j_proj, minlength=len(self.proj_names)),
                  False: np.bincount(self.k_proj, minlength=len(self.proj_names))}
        return [(name, self.pop_names[post], self.pop_names[pre], bool(lrn), int(counts[bool(lrn)][i]))
                for i, (name, (post, pre, lrn)) in enumerate(zip(self.proj_names, self.proj_table))]

    def projection_blocks(self):
        """{index: (post slice, pre slice, offdiag)} of the learnable projections that
        fill their population block (every pair, or every pair but the diagonal
        within one population: ``offdiag``), so that a rule may treat them as a
        dense rectangle. Computed once per network (the patterns never change)."""
        if "_blocks" not in self.__dict__:
            P = len(self.proj_names)
            counts = np.bincount(self.j_proj, minlength=P)
            pre_of = np.repeat(np.arange(self.n), np.diff(self.j_indptr))
            on_diagonal = np.bincount(self.j_proj[self.j_indices == pre_of], minlength=P)
            blocks = {}
            for p, (post, pre, learnable) in enumerate(self.proj_table):
                rows = slice(int(self.pop_offsets[post]), int(self.pop_offsets[post + 1]))
                cols = slice(int(self.pop_offsets[pre]), int(self.pop_offsets[pre + 1]))
                size = (rows.stop - rows.start) * (cols.stop - cols.start)
                if learnable and counts[p] and not on_diagonal[p] and counts[p] in (
                        size, size - (rows.stop - rows.start) * (post == pre)):
                    blocks[p] = (rows, cols, bool(post == pre and counts[p] < size))
            object.__setattr__(self, "_blocks", blocks)
        return self._blocks

    def projection_matrix(self, name):
        """The couplings of projection ``name`` alone, [N, N] (post, pre) scipy CSR."""
        i = self.projection_index(name)
        m, ids = ("j", self.j_proj) if self.proj_table[i, 2] else ("k", self.k_proj)
        mine = ids == i
        indptr = getattr(self, m + "_indptr")
        before = np.concatenate([[0], np.cumsum(mine)])      # entries of i before each position
        sub = before[indptr]                                  # its CSC column pointers
        return _to_csr(sub, getattr(self, m + "_indices")[mine], getattr(self, m + "_data")[mine], self.n)

    def learnable(self):
        """The learnable couplings J [post, pre] as a scipy CSR matrix (a copy)."""
        return _to_csr(self.j_indptr, self.j_indices, self.j_data, self.n)

    def fixed(self):
        """The fixed couplings K [post, pre] as a scipy CSR matrix (a copy)."""
        return _to_csr(self.k_indptr, self.k_indices, self.k_data, self.n)

    def with_couplings(self, learnable=None, fixed=None, j_d=None, w_in=None, w_back=None, w_out=None):
        """A new CompiledNetwork with other values on the same patterns (e.g. the
        quantised weights of a hardware profile). ``learnable`` / ``fixed`` are
        [post, pre] matrices whose values are read at the stored pattern."""
        out = self.copy()
        for prefix, M in (("j", learnable), ("k", fixed)):
            if M is not None:
                getattr(out, prefix).data = _values_at(out, prefix, M)
        for name, arr in (("j_d", j_d), ("w_in", w_in), ("w_back", w_back), ("w_out", w_out)):
            if arr is not None:
                new = np.array(arr, dtype=np.float64)
                if new.shape != getattr(self, name).shape:
                    raise ValueError(f"{name} must have shape {getattr(self, name).shape}, got {new.shape}")
                setattr(out, name, new)
        return out

    def coupling_matrix(self):
        """Dense N x N matrix of all recurrent couplings: J + K + diag(J_D), so that
        ``sgn(coupling_matrix() @ s + field)`` is one synchronous step."""
        M = (self.learnable() + self.fixed()).toarray()
        M[np.diag_indices(self.n)] += self.j_d
        return M

    def field(self, x=None, y=None, lam_x=None, lam_y=None):
        """The external field b [B, N] = a_in lam_x W_in x + a_back lam_y W_back y."""
        from .fields import external_field
        return external_field(self, x, y, lam_x, lam_y)

    def content_hash(self, identity=True):
        """SHA-256 over every array (dtype, shape, bytes) and scalar (``identity=False``:
        without the projection identity, as format version 2 of the files had it)."""
        h = hashlib.sha256()
        for name in self.ARRAYS if identity else [a for a in self.ARRAYS if a not in IDENTITY]:
            a = np.ascontiguousarray(getattr(self, name))
            h.update(f"{name}:{a.dtype.str}:{a.shape}".encode())
            h.update(a.tobytes())
        h.update(json.dumps([self.n, list(self.pop_names), self.lam_x, self.lam_y, self.meta]).encode())
        if identity:
            h.update(json.dumps(list(self.proj_names)).encode())
        return h.hexdigest()

    def copy(self):
        kw = {name: getattr(self, name) for name in self.SCALARS}
        kw.update({name: np.array(getattr(self, name)) for name in self.ARRAYS})
        return CompiledNetwork(**kw, layouts=self.layouts, dtype=self.dtype)


def _to_csr(indptr, indices, data, n):
    return sp.csc_matrix((data.copy(), indices, indptr), shape=(n, n)).tocsr()


def default_identity(n, pop_names, pop_offsets, j_indptr, j_indices, k_indptr, k_indices):
    """(proj_names, proj_table, j_proj, k_proj) of a network given without them: one
    projection per (post population, pre population) block of J, then of K, that
    has entries, named as :meth:`neurosim.Network.connect` names them (the
    patterns and populations have passed :func:`neurosim.validate.check_ir`)."""
    sizes = np.diff(np.asarray(pop_offsets, dtype=np.int64))
    P = len(sizes)
    pop_of = np.repeat(np.arange(P), sizes)
    names, table, ids = [], [], []
    for learnable, indptr, indices in ((1, j_indptr, j_indices), (0, k_indptr, k_indices)):
        cols = np.repeat(np.arange(n), np.diff(indptr))
        blocks, inverse = np.unique(pop_of[indices] * P + pop_of[cols], return_inverse=True)
        ids.append((len(names) + inverse.reshape(-1)).astype(PROJ_ID))
        for b in blocks:
            post, pre = divmod(int(b), P)
            names.append(projection_name(pop_names[post], pop_names[pre], learnable, names))
            table.append((post, pre, learnable))
    return tuple(names), np.array(table, dtype=np.int64).reshape(-1, 3), ids[0], ids[1]


def _values_at(cn, prefix, M):
    """Values of the [post, pre] matrix M at the stored pattern, in storage order."""
    indptr, indices = getattr(cn, prefix + "_indptr"), getattr(cn, prefix + "_indices")
    M = sp.csc_matrix(M) if sp.issparse(M) else np.asarray(M, dtype=np.float64)
    if M.shape != (cn.n, cn.n):
        raise ValueError(f"coupling matrix must have shape ({cn.n}, {cn.n}), got {M.shape}")
    if indices.size == 0:
        return np.zeros(0)
    cols = np.repeat(np.arange(cn.n), np.diff(indptr))
    return np.asarray(M[indices, cols], dtype=np.float64).ravel()


def _assemble(network, learnable):
    """Global CSC (indptr, indices, data, projection ids) of the learnable (or
    fixed) projections, in declaration order; overlaps are errors."""
    off = network.offsets()
    n = network.n
    owners = [i for i, p in enumerate(network.projections) if p.learnable == learnable]
    rows, cols, vals, ids = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)], [np.zeros(0)], [np.zeros(0, np.int64)]
    for i in owners:
        p = network.projections[i]
        coo = p.weights.tocoo()
        rows.append(coo.row + off[p.post])
        cols.append(coo.col + off[p.pre])
        vals.append(coo.data)
        ids.append(np.full(coo.nnz, i))
    r, c, v, pid = (np.concatenate(a) for a in (rows, cols, vals, ids))
    M = sp.csc_matrix((v.astype(np.float64), (r, c)), shape=(n, n))
    M.sum_duplicates()                    # sorted by (pre, post); a pair given twice becomes one entry
    if M.nnz != v.size:
        kind = "learnable" if learnable else "fixed"
        raise ValueError(f"two {kind} projections cover the same pair of neurons; merge them into one")
    if len(owners) == 1:                  # one projection: it owns every entry
        return M.indptr.astype(np.int64), M.indices.astype(INDEX), M.data, np.full(M.nnz, owners[0])
    owner = sp.csc_matrix((pid + 1.0, (r, c)), shape=(n, n))
    owner.sum_duplicates()                # the same order: the projection of every entry, plus one
    return M.indptr.astype(np.int64), M.indices.astype(INDEX), M.data, (owner.data - 1).astype(np.int64)


def compile(network, dense_threshold=None, dtype="float64"):
    """Network -> CompiledNetwork (the IR). Validates what only the whole network
    can tell: at least one population, consistent W_in / W_back / W_out shapes.
    ``dense_threshold`` (default ``neurosim.couplings.DENSE_THRESHOLD``): the
    density nnz / N**2 from which a coupling map is stored as a dense block.
    ``dtype``: "float64" (the default, the reference precision) or "float32"
    (opt-in for speed: couplings and recurrent fields in single precision)."""
    if not isinstance(network, Network):
        raise TypeError(f"network must be a neurosim.Network, got {type(network).__name__}")
    if not network.populations:
        raise ValueError("network has no population: call add_population first")
    n = network.n
    pops = network.populations
    name_projections(network.projections)
    jp, ji, jv, j_proj = _assemble(network, True)
    kp, ki, kv, k_proj = _assemble(network, False)
    projs = network.projections
    if len(projs) > np.iinfo(PROJ_ID).max:
        raise ValueError(f"the network declares {len(projs)} projections; the IR holds at most "
                         f"{np.iinfo(PROJ_ID).max}: merge some")
    index = {p.name: i for i, p in enumerate(pops)}
    w_in = network.w_in if network.w_in is not None else np.zeros((n, 0))
    mask = network.w_in_mask if network.w_in_mask is not None else w_in != 0
    w_back = network.w_back if network.w_back is not None else np.zeros((n, 0))
    w_out = network.w_out if network.w_out is not None else np.zeros((0, n))
    for name, arr, shape0 in (("w_in", w_in, n), ("w_back", w_back, n)):
        if arr.shape[0] != shape0:
            raise ValueError(f"{name} has {arr.shape[0]} rows but the network has N = {n} neurons "
                             "(declare every population before the input/output maps)")
    if w_out.shape[1] != n:
        raise ValueError(f"w_out has {w_out.shape[1]} columns but the network has N = {n} neurons")
    return CompiledNetwork(
        n=n,
        pop_names=tuple(p.name for p in pops),
        pop_offsets=np.concatenate([[0], np.cumsum([p.size for p in pops])]).astype(np.int64),
        j_indptr=jp, j_indices=ji, j_data=jv, k_indptr=kp, k_indices=ki, k_data=kv,
        j_d=np.concatenate([np.full(p.size, p.j_d) for p in pops]).astype(np.float64),
        a_in=np.concatenate([p.a_in for p in pops]).astype(bool),
        a_back=np.concatenate([p.a_back for p in pops]).astype(bool),
        a_out=np.concatenate([p.a_out for p in pops]).astype(bool),
        w_in=np.array(w_in, dtype=np.float64, order="C"),  # copies: training must not touch the Network
        w_in_mask=np.array(mask, dtype=bool, order="C"),
        w_back=np.array(w_back, dtype=np.float64, order="C"),
        w_out=np.array(w_out, dtype=np.float64, order="C"),
        lam_x=float(network.lam_x),
        lam_y=float(network.lam_y),
        meta=json.dumps(network.meta, sort_keys=True, default=str),
        proj_names=tuple(p.name for p in projs),
        proj_table=np.array([(index[p.post], index[p.pre], int(p.learnable)) for p in projs],
                            dtype=np.int64).reshape(-1, 3),
        j_proj=j_proj.astype(PROJ_ID), k_proj=k_proj.astype(PROJ_ID),
        dense_threshold=dense_threshold,
        dtype=dtype,
    )
