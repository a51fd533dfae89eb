"""HDF5 files: networks, compiled networks, relaxation results and dicts of them
(a "run"), saved and loaded bit for bit.

A file is one HDF5 tree. The root has the attributes ``format = "neurosim"``,
``format_version``, ``kind``, ``neurosim_version``, ``created`` and ``user_attrs``
(JSON: the ``attrs`` given to :func:`save`); the saved object is written into the
root group itself, and every object sits in a group whose ``kind`` attribute names
the registered kind that wrote it:

- ``network``: attributes seed, draws, lam_x, lam_y, meta (JSON), pop_names
  (JSON); datasets pop_sizes, pop_j_d, a_in, a_back, a_out (the population masks
  end to end), optional w_in, w_in_mask, w_back, w_out; group ``projections``
  (attribute count) with one group ``0``, ``1``, ... per projection: attributes
  name, post, pre, learnable, shape; datasets indptr, indices, data (the CSR weights).
- ``compiled``: one dataset per ``CompiledNetwork.ARRAYS`` entry; attributes n,
  pop_names and proj_names (JSON), lam_x, lam_y, meta, content_hash (checked on load).
- ``result``: datasets states, steps, converged, flips, optional trajectory.
- ``array``: dataset value (any numeric or bool numpy array).
- ``dict``: attribute keys (JSON list, in order); one group per key.

Arrays keep their dtype; non-empty ones carry a Fletcher-32 checksum and those
over 1 MB are gzip-compressed. From format version 2 on, the file's first 512
bytes (an HDF5 user block) hold its seal: the SHA-256 of every byte after them,
so of every stored array and attribute (:func:`seal`). A read checks the seal
before HDF5 parses anything, then each dataset's declared size against the
bytes the file stores and the memory available, then the content (a compiled
network by the IR validator, :mod:`neurosim.validate`), so a damaged or edited
file is refused before anything in it is used. Writes go to a temp file in
the target's directory, renamed into place only when complete
(:func:`neurosim.files.atomic_path`).

Later modules add kinds with :func:`register_kind` and nest them with
:func:`save_group` / :func:`load_group`; old format versions are upgraded by the
functions in :data:`MIGRATIONS`.
"""
import contextlib
import errno
import hashlib
import io
import json
import os
from collections import namedtuple
from datetime import datetime, timezone
from functools import partial

import h5py
import numpy as np
import scipy.sparse as sp

from .compiled import IDENTITY, CompiledNetwork
from .engine import RelaxResult
from .files import atomic_path, exists_error
from .network import Network, Population, Projection
from .resources import check_memory, gib
from .validate import check_array, check_compressed
from .version import __version__

FORMAT = "neurosim"
FORMAT_VERSION = 3
ROOT_ATTRS = ("format", "format_version", "kind", "neurosim_version", "created", "user_attrs")
USERBLOCK = 512                  # bytes before the HDF5 part: the seal (see :func:`seal`)
SEAL = b"neurosim sha256 "
COMPRESS_BYTES = 1 << 20

Kind = namedtuple("Kind", "cls write read summarize")
KINDS = {}
"""Registered kinds: name -> Kind(cls, write(group, obj), read(group) -> obj,
summarize(obj) -> dict or None). Use :func:`register_kind` to add one."""

MIGRATIONS = {1: lambda root: None, 2: lambda root: _add_projection_identity(root)}
"""Format upgrades: version v -> function(root) that rewrites an in-memory copy
of a version-v file into version v + 1 in place. Version 1 is the first format;
version 2 adds the seal (:func:`seal`) and nothing else, so a version-1 file
reads as it is (without that check); version 3 adds the projection identity of
compiled networks (:func:`_add_projection_identity`) and projection names."""


class NeurosimFileError(ValueError):
    """A file neurosim cannot read: not HDF5, damaged, foreign, from a newer
    neurosim, or with missing or malformed content. The message names the file."""

    def __init__(self, detail, path=None):
        super().__init__(f"{path}: {detail}" if path else detail)
        self.detail, self.path = detail, path


# ------------------------------------------------------------------ registry
def register_kind(name, cls, write, read, summarize=None):
    """Teach :func:`save` / :func:`load` a new kind of object.

    ``write(group, obj)`` fills an empty group (use :func:`save_group` for nested
    objects), ``read(group)`` returns the object (use :func:`load_group` for
    nested ones), ``summarize(obj)`` gives a dict for :func:`describe`. Writers
    must leave the attribute names in ROOT_ATTRS alone (an object may be saved at
    the root). An object is saved by the most recently registered kind whose
    ``cls`` it is an instance of.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"name must be a non-empty string, got {name!r}")
    if name in KINDS and KINDS[name].cls is not cls:
        raise ValueError(f"kind {name!r} is already registered for {KINDS[name].cls.__name__}")
    KINDS[name] = Kind(cls, write, read, summarize)


def _kind_of(obj):
    for name, kind in reversed(KINDS.items()):
        if isinstance(obj, kind.cls):
            return name, kind
    known = ", ".join(k.cls.__name__ for k in KINDS.values())
    raise TypeError(f"cannot save a {type(obj).__name__}: neurosim.io saves {known} "
                    "(neurosim.io.register_kind adds more)")


def save_group(group, obj):
    """Write ``obj`` into the empty h5py group ``group`` (sets its ``kind``)."""
    name, kind = _kind_of(obj)
    group.attrs["kind"] = name
    kind.write(group, obj)


def load_group(group):
    """Read the object that :func:`save_group` wrote into ``group``; errors are
    :class:`NeurosimFileError` naming the file and the group."""
    return _guarded(group.file.filename, _read_group, group)


def _read_group(group):
    name = _attr(group, "kind")
    if name not in KINDS:
        raise _bad(group, f"unknown kind {name!r} (known: {', '.join(KINDS)}); "
                          "import the module that registers it")
    return KINDS[name].read(group)


# ------------------------------------------------------------------- helpers
def _bad(node, detail):
    """A NeurosimFileError about ``node`` (the file name is added by _guarded)."""
    return NeurosimFileError(detail if node.name == "/" else f"{node.name}: {detail}")


def _guarded(path, fn, *args):
    """fn(*args) with every reading error turned into a NeurosimFileError naming ``path``."""
    try:
        return fn(*args)
    except NeurosimFileError as e:
        if e.path is None:
            raise NeurosimFileError(e.detail, path) from e
        raise
    except (KeyError, OSError, TypeError, ValueError, RuntimeError, IndexError, OverflowError) as e:
        raise NeurosimFileError(f"unreadable content ({type(e).__name__}: {e})", path) from e


def _plain(value, strict=False):
    """numpy scalar / array -> plain Python value; anything else is returned as
    it is, or (``strict``, as a json ``default``) refused with a TypeError."""
    if isinstance(value, (np.generic, np.ndarray)):
        return value.tolist()
    if strict:
        raise TypeError(f"{type(value).__name__} is not JSON serialisable")
    return value


def _attr(node, name):
    if name not in node.attrs:
        raise _bad(node, f"missing attribute {name!r}")
    return _plain(node.attrs[name])


def _json_attr(node, name):
    text = _attr(node, name)
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        raise _bad(node, f"attribute {name!r} is not valid JSON: {text!r}") from None


def _child(node, name, cls):
    if name not in node or not isinstance(node[name], cls):
        what = "group" if cls is h5py.Group else "dataset"
        raise _bad(node, f"missing {what} {name!r}")
    return node[name]


def _write_array(group, name, arr):
    """One dataset, dtype kept; checksummed when non-empty, gzip when large."""
    arr = np.asarray(arr)
    opts = {}
    if arr.ndim and arr.size:
        opts = dict(chunks=True, fletcher32=True)
        if arr.nbytes > COMPRESS_BYTES:
            opts["compression"] = "gzip"
    group.create_dataset(name, data=arr, **opts)


_DTYPES = {"iu": "an integer dtype", "f": "a float dtype", "b": "bool", "biufc": "a numeric or bool dtype"}


def _read_arrays(group, layout, dims, optional=()):
    """Read the datasets of ``layout`` ((name, dtype kinds, dim symbols or None
    for any shape), ...) checking dtype and shape; ``dims`` maps a symbol to its
    size and is filled in as symbols are first met."""
    out = {}
    for name, kinds, syms in layout:
        if name not in group and name in optional:
            out[name] = None
            continue
        ds = _child(group, name, h5py.Dataset)
        if ds.dtype.kind not in kinds:
            raise _bad(group, f"dataset {name!r} has dtype {ds.dtype}, expected {_DTYPES[kinds]}")
        if syms is not None:
            want = f"[{', '.join(syms)}]"
            if len(ds.shape) != len(syms):
                raise _bad(group, f"dataset {name!r} has shape {ds.shape}, expected {want}")
            for sym, size in zip(syms, ds.shape):
                if dims.setdefault(sym, size) != size:
                    raise _bad(group, f"dataset {name!r} has shape {ds.shape}, expected {want} "
                                      f"with {sym} = {dims[sym]}")
        out[name] = np.asarray(ds[()])
    return out


# ------------------------------------------------------------------- network
_MASKS = ("a_in", "a_back", "a_out")
_MAPS = ("w_in", "w_in_mask", "w_back", "w_out")
_NETWORK_LAYOUT = (("pop_sizes", "iu", ("P",)), ("pop_j_d", "f", ("P",)),
                   *((m, "b", ("N",)) for m in _MASKS),
                   ("w_in", "f", ("R", "D")), ("w_in_mask", "b", ("R", "D")),
                   ("w_back", "f", ("RB", "C")), ("w_out", "f", ("C2", "NO")))
_CSR_LAYOUT = (("indptr", "iu", ("rows+1",)), ("indices", "iu", ("nnz",)), ("data", "f", ("nnz",)))


def _check_network(net):
    """What a network file must hold for compile to read it safely: valid CSR
    weights, finite J_D and maps (seed and lambdas: ``Network`` checks them)."""
    for i, p in enumerate(net.projections):
        w = p.weights.tocsr()
        check_compressed(f"projection {i} ({p.pre} -> {p.post}) ", w.indptr, w.indices, w.data, *w.shape)
    check_array("pop_j_d", [p.j_d for p in net.populations], "f", (None,), finite=True)
    for m in _MAPS:
        if getattr(net, m) is not None:
            check_array(m, getattr(net, m), "b" if m == "w_in_mask" else "f", (None, None), finite=True)
    return net


def _write_network(g, net):
    _check_network(net)
    seed = int(net.seed)
    g.attrs["seed"] = seed if -2 ** 63 <= seed < 2 ** 63 else str(seed)
    g.attrs["draws"] = int(net._draws)
    g.attrs["lam_x"], g.attrs["lam_y"] = net.lam_x, net.lam_y
    g.attrs["meta"] = json.dumps(net.meta, default=str)
    pops = net.populations
    g.attrs["pop_names"] = json.dumps([p.name for p in pops])
    _write_array(g, "pop_sizes", np.array([p.size for p in pops], dtype=np.int64))
    _write_array(g, "pop_j_d", np.array([p.j_d for p in pops], dtype=np.float64))
    for m in _MASKS:
        _write_array(g, m, np.concatenate([getattr(p, m) for p in pops] or [np.zeros(0, bool)]).astype(bool))
    for m in _MAPS:
        if getattr(net, m) is not None:
            _write_array(g, m, getattr(net, m))
    projs = g.create_group("projections")
    projs.attrs["count"] = len(net.projections)
    for i, p in enumerate(net.projections):
        q = projs.create_group(str(i))
        q.attrs["name"], q.attrs["post"], q.attrs["pre"] = p.name, p.post, p.pre
        q.attrs["learnable"] = bool(p.learnable)
        w = p.weights.tocsr()
        q.attrs["shape"] = np.array(w.shape, dtype=np.int64)
        for part, _, _ in _CSR_LAYOUT:
            _write_array(q, part, getattr(w, part))


def _read_network(g):
    names = _json_attr(g, "pop_names")
    arr = _read_arrays(g, _NETWORK_LAYOUT, {"P": len(names)}, optional=_MAPS)
    sizes = arr["pop_sizes"]
    if (sizes < 1).any() or sizes.sum() != arr["a_in"].size:
        raise _bad(g, f"population sizes {sizes.tolist()} do not match the {arr['a_in'].size} mask entries")
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    pops = [Population(name, int(sizes[i]), float(arr["pop_j_d"][i]),
                       *(arr[m][bounds[i]:bounds[i + 1]].copy() for m in _MASKS))
            for i, name in enumerate(names)]
    size_of = dict(zip(names, sizes.tolist()))
    projs = _child(g, "projections", h5py.Group)
    projections = [_read_projection(_child(projs, str(i), h5py.Group), size_of)
                   for i in range(int(_attr(projs, "count")))]
    try:
        return _check_network(Network(
            seed=int(_attr(g, "seed")), lam_x=_attr(g, "lam_x"), lam_y=_attr(g, "lam_y"), populations=pops,
            projections=projections, meta=_json_attr(g, "meta"), _draws=int(_attr(g, "draws")),
            **{m: arr[m] for m in _MAPS}))
    except ValueError as e:
        raise _bad(g, f"not a valid network: {e}") from None


def _read_projection(q, size_of):
    post, pre = _attr(q, "post"), _attr(q, "pre")
    for name in (post, pre):
        if name not in size_of:
            raise _bad(q, f"projection names population {name!r}, which the network does not declare")
    shape = tuple(int(v) for v in np.atleast_1d(_attr(q, "shape")))
    if shape != (size_of[post], size_of[pre]):
        raise _bad(q, f"weights have shape {shape}, expected {(size_of[post], size_of[pre])} (post, pre)")
    csr = _read_arrays(q, _CSR_LAYOUT, {"rows+1": shape[0] + 1})
    try:
        check_compressed("", csr["indptr"], csr["indices"], csr["data"], *shape)
    except ValueError as e:
        raise _bad(q, f"weights are not a valid CSR matrix: {e}") from None
    w = sp.csr_matrix((csr["data"], csr["indices"], csr["indptr"]), shape=shape)
    w.indices, w.indptr = csr["indices"], csr["indptr"]   # scipy may narrow the index dtype
    name = q.attrs.get("name")          # absent before format version 3: the default name
    if name is not None and not isinstance(name, str):
        raise _bad(q, f"attribute 'name' must be a string, got {name!r}")
    return Projection(post, pre, w, bool(_attr(q, "learnable")), name)


# ------------------------------------------------------------------ compiled
_COMPILED_SCALARS = ("n", "pop_names", "lam_x", "lam_y", "meta", "proj_names")
_COMPILED_LAYOUT = (
    ("pop_offsets", "iu", ("P+1",)),
    *((f"{c}{part}", kinds, (dim,)) for c, nnz in (("j", "nnz_J"), ("k", "nnz_K")) for part, kinds, dim in (
        ("_indptr", "iu", "N+1"), ("_indices", "iu", nnz), ("_data", "f", nnz))),
    ("j_d", "f", ("N",)), *((m, "b", ("N",)) for m in _MASKS),
    ("w_in", "f", ("N", "D")), ("w_in_mask", "b", ("N", "D")),
    ("w_back", "f", ("N", "C")), ("w_out", "f", ("C_out", "N")),
    ("proj_table", "iu", ("P_proj", "3")), ("j_proj", "iu", ("nnz_J",)), ("k_proj", "iu", ("nnz_K",)))


def _write_compiled(g, cn):
    cn.validate()
    for name in cn.ARRAYS:
        _write_array(g, name, getattr(cn, name))
    g.attrs["n"] = int(cn.n)
    g.attrs["pop_names"] = json.dumps(list(cn.pop_names))
    g.attrs["proj_names"] = json.dumps(list(cn.proj_names))
    g.attrs["lam_x"], g.attrs["lam_y"], g.attrs["meta"] = cn.lam_x, cn.lam_y, cn.meta
    g.attrs["content_hash"] = cn.content_hash()


def _read_compiled(g, identity=True):
    """The CompiledNetwork of group g (``identity=False``: a version-2 group, without
    the projection identity, which is then derived), its stored hash checked."""
    n, names = int(_attr(g, "n")), tuple(_json_attr(g, "pop_names"))
    dims = {"N": n, "N+1": n + 1, "P+1": len(names) + 1, "3": 3}
    layout = _COMPILED_LAYOUT if identity else [e for e in _COMPILED_LAYOUT if e[0] not in IDENTITY]
    arr = _read_arrays(g, layout, dims)
    if identity:
        arr["proj_names"] = _json_attr(g, "proj_names")
        if not isinstance(arr["proj_names"], list):
            raise _bad(g, f"attribute 'proj_names' must be a JSON list, got {arr['proj_names']!r}")
    try:
        cn = CompiledNetwork(n=n, pop_names=names, lam_x=_attr(g, "lam_x"), lam_y=_attr(g, "lam_y"),
                             meta=_attr(g, "meta"), **arr)
    except ValueError as e:
        raise _bad(g, f"not a valid network: {e}") from None
    stored, actual = _attr(g, "content_hash"), cn.content_hash(identity)
    if stored != actual:
        raise _bad(g, f"content hash mismatch (stored {stored[:16]}..., computed {actual[:16]}...): "
                      "the file is corrupt or was edited")
    return cn


def _add_projection_identity(root):
    """Format 2 -> 3: every compiled network gets its projection identity (one
    projection per population block of J and of K: the IR's default), after its
    version-2 content hash is checked; its hash then covers the identity too."""
    found = []
    root.visititems(lambda name, node: found.append(node) if isinstance(node, h5py.Group)
                    and node.attrs.get("kind") == "compiled" else None)
    if root.attrs.get("kind") == "compiled":
        found.append(root)
    for g in found:
        cn = _read_compiled(g, identity=False)
        for name in IDENTITY[1:]:
            _write_array(g, name, getattr(cn, name))
        g.attrs["proj_names"] = json.dumps(list(cn.proj_names))
        g.attrs["content_hash"] = cn.content_hash()


# -------------------------------------------------------------------- result
_RESULT_LAYOUT = (("states", "iu", ("B", "N")), ("steps", "iu", ("B",)), ("converged", "b", ("B",)),
                  ("flips", "iu", ("B",)), ("trajectory", "iu", ("B", "T+1", "N")))


def _write_result(g, r):
    for name, _, _ in _RESULT_LAYOUT:
        if getattr(r, name) is not None:
            _write_array(g, name, getattr(r, name))


def _read_result(g):
    return RelaxResult(**_read_arrays(g, _RESULT_LAYOUT, {}, optional=("trajectory",)))


# --------------------------------------------------------------- array, dict
def _write_value(g, arr):
    if arr.dtype.kind not in "biufc":
        raise TypeError(f"only numeric or bool arrays can be saved, got dtype {arr.dtype}")
    _write_array(g, "value", arr)


def _read_value(g):
    return _read_arrays(g, (("value", "biufc", None),), {})["value"]


def _write_dict(g, d):
    for key in d:
        if not isinstance(key, str) or not key or "/" in key or key == ".":
            raise ValueError(f"dict keys must be non-empty strings without '/', got {key!r}")
    g.attrs["keys"] = json.dumps(list(d))
    for key, value in d.items():
        save_group(g.create_group(key), value)


def _read_dict(g):
    return {key: _read_group(_child(g, key, h5py.Group)) for key in _json_attr(g, "keys")}


# ----------------------------------------------------------------- summaries
def _summarize(obj):
    name, kind = _kind_of(obj)
    return {"kind": name, **(kind.summarize(obj) if kind.summarize else {})}


def _summarize_compiled(cn):
    pops = []
    for i, name in enumerate(cn.pop_names):
        j_d = np.unique(cn.j_d[cn.pop_offsets[i]:cn.pop_offsets[i + 1]])
        pops.append({"name": name, "size": int(cn.pop_offsets[i + 1] - cn.pop_offsets[i]),
                     "j_d": float(j_d[0]) if j_d.size == 1 else [float(j_d.min()), float(j_d.max())]})
    try:
        meta = json.loads(cn.meta)
    except ValueError:
        meta = cn.meta
    projs = [{"name": name, "post": post, "pre": pre, "learnable": learnable, "entries": entries}
             for name, post, pre, learnable, entries in cn.projections()]
    return {"n": int(cn.n), "populations": pops, "projections": projs, "nnz_learnable": int(cn.j_data.size),
            "nnz_fixed": int(cn.k_data.size), "input_dim": int(cn.input_dim), "n_classes": int(cn.n_classes),
            "lam_x": cn.lam_x, "lam_y": cn.lam_y, "meta": meta, "content_hash": cn.content_hash()}


def _summarize_network(net):
    """The compiled network's summary (its content hash is that of compile(net))."""
    from .compiled import compile
    info = {"seed": int(net.seed), "draws": int(net._draws)}
    try:
        info.update(_summarize_compiled(compile(net)))
    except ValueError as e:
        info.update(n=net.n, meta=net.meta, not_compilable=str(e))
    return info


def _summarize_result(r):
    batch = int(r.states.shape[0])
    return {"batch": batch, "n": int(r.states.shape[1]),
            "converged_fraction": float(np.mean(r.converged)) if batch else None,
            "mean_steps": float(np.mean(r.steps)) if batch else None,
            "max_steps": int(np.max(r.steps)) if batch else None,
            "mean_flips": float(np.mean(r.flips)) if batch else None,
            "trajectory_steps": None if r.trajectory is None else int(r.trajectory.shape[1]) - 1}


def _summarize_dict(d):
    return {"items": {key: _summarize(value) for key, value in d.items()}}


register_kind("array", np.ndarray, _write_value, _read_value,
              lambda a: {"shape": list(a.shape), "dtype": str(a.dtype)})
register_kind("network", Network, _write_network, _read_network, _summarize_network)
register_kind("compiled", CompiledNetwork, _write_compiled, _read_compiled, _summarize_compiled)
register_kind("result", RelaxResult, _write_result, _read_result, _summarize_result)
register_kind("dict", dict, _write_dict, _read_dict, _summarize_dict)


# ------------------------------------------------------------------- writing
def save(obj, path, overwrite=True, attrs=None):
    """Save a Network, CompiledNetwork, RelaxResult, numpy array or a dict of
    them (nested dicts too) to the HDF5 file ``path``, atomically.

    ``attrs``: a JSON-serialisable dict kept with the file (see :func:`describe`).
    With ``overwrite=False`` an existing file raises FileExistsError. Returns ``path``.
    """
    path = os.fspath(path)
    _kind_of(obj)
    try:
        user_attrs = json.dumps(dict(attrs or {}), default=partial(_plain, strict=True))
    except (TypeError, ValueError) as e:
        raise ValueError(f"attrs must be a JSON-serialisable dict: {e}") from None
    if not overwrite and os.path.exists(path):
        raise exists_error(path)
    with atomic_path(path, overwrite) as tmp:
        with h5py.File(tmp, "w", userblock_size=USERBLOCK) as f:
            f.attrs.update(format=FORMAT, format_version=FORMAT_VERSION, neurosim_version=__version__,
                           created=datetime.now(timezone.utc).isoformat(timespec="seconds"), user_attrs=user_attrs)
            save_group(f, obj)
        seal(tmp)
    return path


# ------------------------------------------------------------------- reading
@contextlib.contextmanager
def _reading(path):
    """Open a neurosim file read-only, checked and migrated to FORMAT_VERSION."""
    with _opened(path) as (f, sealed), _checked(path, f, sealed) as root:
        yield root


@contextlib.contextmanager
def _checked(path, f, sealed):
    """The open file ``f`` after the checks that come before any content is read
    (header, seal present from version 2 on, dataset storage), migrated to
    FORMAT_VERSION."""
    version = _guarded(path, _check_header, f)
    if version >= 2 and not sealed:
        raise NeurosimFileError("no checksum in the user block (format version 2 has one): the file is "
                                "corrupt or was edited", path)
    _guarded(path, _check_storage, f)
    if version == FORMAT_VERSION:
        yield f
    else:
        with _guarded(path, _migrate, f, version) as mem:
            yield mem


@contextlib.contextmanager
def _opened(path):
    """(HDF5 file open for reading, whether it carries a seal): the seal is
    checked first; a missing path, a directory or a file that is not (or no
    longer) HDF5 is a clear error naming the path."""
    if not os.path.exists(path):
        raise FileNotFoundError(errno.ENOENT, "no such neurosim file", path)
    if os.path.isdir(path):
        raise NeurosimFileError("a directory, not a neurosim file", path)
    sealed = _check_seal(path)
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        try:
            what = "a damaged HDF5 file (truncated?)" if h5py.is_hdf5(path) else "not an HDF5 file"
        except OSError:
            what = "unreadable"
        raise NeurosimFileError(f"cannot open: {what} ({e})", path) from e
    with f:
        yield f, sealed


def _check_header(f):
    """The file's format version, after checking that this neurosim can read it."""
    if f.attrs.get("format") != FORMAT:
        raise _bad(f, "an HDF5 file, but not a neurosim file (no root attribute format = 'neurosim')")
    version = _attr(f, "format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise _bad(f, f"format_version must be an integer, got {version!r}")
    if version > FORMAT_VERSION:
        raise _bad(f, f"format version {version} (written by neurosim {f.attrs.get('neurosim_version', '?')}) "
                      f"is newer than this neurosim ({__version__}) supports: it reads format version "
                      f"{FORMAT_VERSION} and older; upgrade neurosim to read this file")
    missing = [v for v in range(version, FORMAT_VERSION) if v not in MIGRATIONS]
    if missing:
        raise _bad(f, f"format version {version} cannot be read: this neurosim ({__version__}) reads format "
                      f"version {FORMAT_VERSION} and has no migration from version {missing[0]}")
    return version


def seal(path):
    """Write the SHA-256 of the file's HDF5 part (every byte after its user
    block) into the user block: :func:`save` seals every file it writes, and
    every read checks the seal before HDF5 parses a byte, so a damaged or edited
    file is refused before anything in it is used (or can hang the HDF5
    library). Call it after editing a file on purpose."""
    with open(path, "r+b") as fh:
        digest = _digest(fh)
        fh.seek(0)
        fh.write(SEAL + digest.encode() + b"\n")


def _digest(fh):
    fh.seek(USERBLOCK)
    h = hashlib.sha256()
    while chunk := fh.read(1 << 20):
        h.update(chunk)
    return h.hexdigest()


def _check_seal(path):
    """True if the file carries a seal (checked: a mismatch is an error), False
    if it has none (a version-1 file, or one neurosim did not write)."""
    with open(path, "rb") as fh:
        head = fh.read(len(SEAL) + 64)
        if not head.startswith(SEAL):
            return False
        stored, actual = head[len(SEAL):].decode("ascii", "replace"), _digest(fh)
    if stored != actual:
        raise NeurosimFileError(f"checksum mismatch (stored {stored[:16]}..., computed {actual[:16]}...): "
                                "the file is corrupt or was edited", path)
    return True


GZIP_MAX_RATIO = 1100  # zlib never compresses better than about 1032:1


def _check_storage(f):
    """Before anything is read: every dataset declares no more bytes than the
    file stores for it (times zlib's best ratio when compressed), its data lie
    inside the file after the superblock, every chunk is stored (HDF5 would
    read a missing one as zeros), and all of them together fit in the
    available memory."""
    total, end = 0, os.path.getsize(f.filename)

    def visit(name, node):
        nonlocal total
        if not isinstance(node, h5py.Dataset) or node.shape is None:
            return
        declared = int(np.prod(node.shape, dtype=object)) * node.dtype.itemsize
        stored = node.id.get_storage_size()
        if declared > stored * (GZIP_MAX_RATIO if node.compression else 1):
            raise _bad(node, f"declares {gib(declared)} but the file stores {gib(stored)} of it: "
                             "the file is corrupt or was edited")
        for offset, size in _extents(node):
            if not f.userblock_size < offset <= end - size:
                raise _bad(node, f"data at bytes {offset}..{offset + size} lie outside the file's data "
                                 f"({f.userblock_size}..{end}): the file is corrupt or was edited")
        total += declared

    f.visititems(visit)
    check_memory(f"reading {f.filename}", total)


def _extents(ds):
    """(file offset, bytes) of every stored piece of a dataset: its chunks
    (all of them must be stored), or its one contiguous block."""
    if ds.chunks is None:
        size = ds.id.get_storage_size()
        return [(ds.id.get_offset(), size)] if size else []
    expected = int(np.prod([-(-s // c) for s, c in zip(ds.shape, ds.chunks)], dtype=object))
    if ds.id.get_num_chunks() != expected:
        raise _bad(ds, f"stores {ds.id.get_num_chunks()} of its {expected} chunks: the file is corrupt or was edited")
    return [(info.byte_offset, info.size) for info in map(ds.id.get_chunk_info, range(expected))]


def _migrate(f, version):
    """An in-memory copy of ``f`` upgraded from ``version`` to FORMAT_VERSION by
    MIGRATIONS (the root attribute format_version keeps the file's own version)."""
    mem = h5py.File(io.BytesIO(), "w")
    try:
        for key in f:
            f.copy(f[key], mem, name=key)
        mem.attrs.update(dict(f.attrs))
        for v in range(version, FORMAT_VERSION):
            MIGRATIONS[v](mem)
    except BaseException:
        mem.close()
        raise
    return mem


def _select(root, what):
    """The group of item ``what`` ("key" or "key/subkey") of a saved dict."""
    group = root
    for key in what.split("/"):
        if _attr(group, "kind") != "dict" or key not in _json_attr(group, "keys"):
            raise _bad(root, f"no item {what!r}: 'what' selects an item of a saved dict "
                             f"(this file holds a {_attr(root, 'kind')})")
        group = _child(group, key, h5py.Group)
    return group


def load(path, what=None):
    """Load what :func:`save` wrote: the same type back (a dict for a dict).
    ``what="key"`` (or ``"key/subkey"``) loads one item of a saved dict."""
    path = os.fspath(path)
    with _reading(path) as f:
        return _guarded(path, lambda: _read_group(f if what is None else _select(f, what)))


def describe(path):
    """A dict summarising a saved file: kind, format version, writer, user attrs
    and the kind's summary (for networks: N, populations, couplings, input dim,
    classes, lam_x, lam_y, meta, content hash; for results: batch, converged
    fraction, steps; for dicts: ``items``, one summary per key). The results
    file of an experiment or a sweep (``experiments/``: plain HDF5 with a root
    attribute ``experiment``) is described by its attributes and datasets."""
    path = os.fspath(path)
    with _opened(path) as (f, sealed):
        if f.attrs.get("format") != FORMAT and "experiment" in f.attrs:
            return _guarded(path, _describe_results, f, path)
        with _checked(path, f, sealed) as root:
            return _guarded(path, lambda: {
                "path": path, "format_version": _attr(root, "format_version"),
                "neurosim_version": _attr(root, "neurosim_version"), "created": _attr(root, "created"),
                "attrs": _json_attr(root, "user_attrs"), **_summarize(_read_group(root))})


def _describe_results(f, path):
    """An experiment's or a sweep's results file, from its metadata alone."""
    datasets = {}
    f.visititems(lambda name, node: datasets.__setitem__(name, f"{node.dtype} {list(node.shape or ())}")
                 if isinstance(node, h5py.Dataset) else None)
    return {"path": path, "kind": "results", "experiment": _attr(f, "experiment"),
            "created": _plain(f.attrs.get("created")), "attrs": {k: _plain(v) for k, v in f.attrs.items()},
            "datasets": datasets}


_LABELS = {"network": "network", "compiled": "compiled network", "result": "relaxation result",
           "array": "array", "dict": "dict"}


def format_description(d):
    """Human-readable text for a :func:`describe` dict (``neurosim info``)."""
    if d["kind"] == "results":
        return "\n".join([f"{d['path']}: results of experiment {d['experiment']!r} (created {d['created']})",
                          *(f"  {k} = {v!r}" for k, v in d["attrs"].items() if k not in ("experiment", "created")),
                          f"  {len(d['datasets'])} dataset(s):",
                          *(f"    {k}: {v}" for k, v in d["datasets"].items())])
    head = (f"{d['path']}: neurosim file, format version {d['format_version']} "
            f"(neurosim {d['neurosim_version']}, created {d['created']})")
    lines = [head]
    if d["attrs"]:
        lines.append("  attrs: " + ", ".join(f"{k} = {v!r}" for k, v in d["attrs"].items()))
    return "\n".join(lines + _format_summary(d, "  "))


def _format_summary(s, pad):
    kind = s["kind"]
    lines = [f"{pad}{_LABELS.get(kind, kind)}"]
    sub = pad + "  "
    if kind in ("network", "compiled") and "populations" in s:
        lines[0] += f": N = {s['n']} neurons in {len(s['populations'])} population(s)"
        lines += [f"{sub}  {p['name']:<12} size {p['size']:<6} j_d = {p['j_d']}" for p in s["populations"]]
        lines.append(f"{sub}couplings: {s['nnz_learnable']} learnable, {s['nnz_fixed']} fixed, in "
                     f"{len(s['projections'])} projection(s)")
        lines += [f"{sub}  {p['name']:<12} {p['pre']} -> {p['post']}, {p['entries']} "
                  f"{'learnable' if p['learnable'] else 'fixed'}" for p in s["projections"]]
        lines.append(f"{sub}input dim {s['input_dim']}, classes {s['n_classes']}, "
                     f"lam_x = {s['lam_x']}, lam_y = {s['lam_y']}")
        if kind == "network":
            lines.append(f"{sub}seed {s['seed']}, {s['draws']} draw(s)")
        lines.append(f"{sub}meta: {json.dumps(s['meta'], sort_keys=True, default=str)}")
        lines.append(f"{sub}content hash: {s['content_hash']}")
    elif kind == "result":
        lines[0] += f": batch {s['batch']}, N = {s['n']}"
        if s["batch"]:
            lines.append(f"{sub}converged {s['converged_fraction']:.1%}, steps mean {s['mean_steps']:.2f} "
                         f"(max {s['max_steps']}), flips mean {s['mean_flips']:.2f}")
        traj = s["trajectory_steps"]
        lines.append(f"{sub}trajectory: " + ("not recorded" if traj is None else f"{traj} step(s) recorded"))
    elif kind == "array":
        lines[0] += f" {s['shape']} {s['dtype']}"
    elif kind == "dict":
        lines[0] += f" of {len(s['items'])} item(s)"
        for key, item in s["items"].items():
            item_lines = _format_summary(item, sub)
            lines += [f"{sub}[{key}] {item_lines[0].strip()}"] + item_lines[1:]
    else:
        lines += [f"{sub}{k}: {v}" for k, v in s.items() if k != "kind"]
    return lines
