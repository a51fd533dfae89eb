"""HDF5 files: bit-exact round trips, atomic writes, clear errors on bad files."""
import os
import shutil
from pathlib import Path
from dataclasses import fields, is_dataclass

import h5py
import numpy as np
import pytest
import scipy.sparse as sp

import neurosim as ns
import neurosim.io as nio
from neurosim.io import NeurosimFileError


def make_network(seed=3):
    net = ns.Network(seed=seed, lam_x=1.25, lam_y=0.5)
    net.add_population("a", 30, j_d=0.5, a_out=np.arange(30) % 3 == 0)
    net.add_population("b", 30, j_d=0.2, a_in=False)
    net.connect("a", "a", rho=0.2)
    net.connect("b", "a", rho=0.3)
    net.couple_chain("a", "b", 0.7, 0.4)
    net.set_input(12, rho=0.5)
    net.set_back(3)
    net.set_output(3)
    net.meta = {"topology": "test", "rho": [0.2, 0.3]}
    return net


@pytest.fixture(scope="module")
def net():
    return make_network()


@pytest.fixture(scope="module")
def cn(net):
    return ns.compile(net)


@pytest.fixture(scope="module")
def result(cn):
    return ns.relax(cn, x=np.ones((4, 12)), record=True)


def assert_same(a, b, where="obj"):
    """Equal value, type and (for arrays) dtype and bytes, recursively."""
    assert type(a) is type(b), f"{where}: {type(a).__name__} != {type(b).__name__}"
    if sp.issparse(a):
        assert a.shape == b.shape, where
        for part in ("indptr", "indices", "data"):
            assert_same(getattr(a, part), getattr(b, part), f"{where}.{part}")
    elif isinstance(a, np.ndarray):
        assert (a.dtype, a.shape) == (b.dtype, b.shape), where
        assert a.tobytes() == b.tobytes(), where
    elif isinstance(a, ns.CompiledNetwork):
        for name in a.ARRAYS + a.SCALARS:
            assert_same(getattr(a, name), getattr(b, name), f"{where}.{name}")
    elif is_dataclass(a):
        for f in fields(a):
            assert_same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, dict):
        assert list(a) == list(b), where
        for k in a:
            assert_same(a[k], b[k], f"{where}[{k!r}]")
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


# ---------------------------------------------------------------- round trips
def test_network_round_trip_is_exact(tmp_path, net, cn):
    path = nio.save(net, tmp_path / "net.h5")
    loaded = nio.load(path)
    assert isinstance(loaded, ns.Network)
    assert_same(net, loaded, "network")          # every field, projections' CSR arrays with dtypes
    assert loaded.projections[0].weights.indices.dtype == net.projections[0].weights.indices.dtype
    assert ns.compile(loaded).content_hash() == cn.content_hash()


def test_network_without_maps_round_trip(tmp_path):
    net = ns.Network(seed=2**63 + 5)               # a seed beyond int64
    net.add_population("only", 5, j_d=0.1)
    net.connect("only", "only", pattern="full", weights=0.25, learnable=False)
    loaded = nio.load(nio.save(net, tmp_path / "bare.h5"))
    assert loaded.w_in is None and loaded.w_out is None
    assert_same(net, loaded)


def test_loaded_network_continues_drawing_identically(tmp_path):
    net = make_network()
    loaded = nio.load(nio.save(net, tmp_path / "net.h5"))
    for n in (net, loaded):
        n.set_output(4)
        n.add_population("c", 10, j_d=0.1)
        n.connect("c", "a", rho=0.5)
    assert loaded._draws == net._draws
    assert np.array_equal(loaded.w_out, net.w_out)
    assert_same(net.projections[-1].weights, loaded.projections[-1].weights)


def test_compiled_round_trip_is_exact(tmp_path, cn):
    loaded = nio.load(nio.save(cn, tmp_path / "cn.h5"))
    assert isinstance(loaded, ns.CompiledNetwork)
    for name in cn.ARRAYS:
        assert_same(getattr(cn, name), getattr(loaded, name), name)
    assert_same(cn, loaded)
    assert loaded.content_hash() == cn.content_hash()


@pytest.mark.parametrize("record", [True, False])
def test_result_round_trip(tmp_path, cn, record):
    r = ns.relax(cn, x=np.ones((3, 12)), record=record, mode="prob", p=0.5, seed=1)
    loaded = nio.load(nio.save(r, tmp_path / "r.h5"))
    assert_same(r, loaded)
    assert (loaded.trajectory is None) == (not record)


def test_run_dict_round_trip_and_item_selection(tmp_path, net, cn, result):
    run = {"network": cn, "result": result, "source": net, "extra": {"x": np.arange(6, dtype=np.int16)}}
    path = nio.save(run, tmp_path / "run.h5")
    loaded = nio.load(path)
    assert list(loaded) == ["network", "result", "source", "extra"]
    assert_same(run, loaded)
    assert_same(result, nio.load(path, what="result"))
    assert_same(run["extra"]["x"], nio.load(path, what="extra/x"))
    with pytest.raises(NeurosimFileError, match="no item 'nope'"):
        nio.load(path, what="nope")


def test_layouts_cover_every_field():
    """Fails when a field is added to the IR or the result without teaching io.py."""
    assert [n for n, _, _ in nio._COMPILED_LAYOUT] == list(ns.CompiledNetwork.ARRAYS)
    assert list(ns.CompiledNetwork.SCALARS) == list(nio._COMPILED_SCALARS)
    assert [n for n, _, _ in nio._RESULT_LAYOUT] == [f.name for f in fields(ns.RelaxResult)]


def test_large_arrays_are_compressed_losslessly(tmp_path):
    big = np.random.default_rng(0).normal(size=(400, 400))        # 1.28 MB
    path = nio.save({"big": big, "small": big[:2]}, tmp_path / "big.h5")
    with h5py.File(path, "r") as f:
        assert f["big/value"].compression == "gzip"
        assert f["small/value"].compression is None
    assert_same(big, nio.load(path, what="big"))


def test_root_attributes(tmp_path, cn):
    path = nio.save(cn, tmp_path / "cn.h5", attrs={"experiment": "fig2", "eta": np.float32(0.5)})
    with h5py.File(path, "r") as f:
        assert f.attrs["format"] == "neurosim"
        assert f.attrs["format_version"] == nio.FORMAT_VERSION
        assert f.attrs["kind"] == "compiled"
        assert f.attrs["neurosim_version"] == ns.__version__
        assert f.attrs["created"][:2] == "20"
    assert nio.describe(path)["attrs"] == {"experiment": "fig2", "eta": 0.5}
    with pytest.raises(ValueError, match="JSON"):
        nio.save(cn, tmp_path / "bad.h5", attrs={"obj": object()})
    assert not (tmp_path / "bad.h5").exists()


def test_unsupported_object_is_refused(tmp_path):
    with pytest.raises(TypeError, match="cannot save a set"):
        nio.save({1, 2}, tmp_path / "x.h5")
    with pytest.raises(TypeError, match="numeric or bool"):
        nio.save({"s": np.array(["a"])}, tmp_path / "y.h5")
    assert os.listdir(tmp_path) == []


# -------------------------------------------------------------- atomic writes
def test_failed_write_leaves_existing_file_and_no_temp(tmp_path, monkeypatch, cn, result):
    path = tmp_path / "run.h5"
    nio.save(cn, path)
    before = path.read_bytes()
    original = nio.KINDS["result"]

    def failing_write(group, r):
        original.write(group, r)                 # datasets exist, then the writer dies
        raise RuntimeError("disk on fire")

    monkeypatch.setitem(nio.KINDS, "result", original._replace(write=failing_write))
    with pytest.raises(RuntimeError, match="disk on fire"):
        nio.save({"network": cn, "result": result}, path)
    with pytest.raises(RuntimeError):
        nio.save(result, tmp_path / "new.h5")
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["run.h5"]


def test_overwrite_false(tmp_path, cn, result):
    path = tmp_path / "cn.h5"
    nio.save(cn, path, overwrite=False)
    before = path.read_bytes()
    with pytest.raises(FileExistsError, match="cn.h5"):
        nio.save(result, path, overwrite=False)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["cn.h5"]
    nio.save(result, path)                        # overwrite=True replaces it
    assert isinstance(nio.load(path), ns.RelaxResult)


# --------------------------------------------------------------- bad files
def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing.h5"):
        nio.load(tmp_path / "nothing.h5")


def test_truncated_file(tmp_path, cn):
    path = tmp_path / "cn.h5"
    nio.save(cn, path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(NeurosimFileError, match="checksum mismatch.*corrupt") as err:
        nio.load(path)
    assert str(path) in str(err.value)
    path.write_bytes(bytes(nio.USERBLOCK) + data[nio.USERBLOCK: len(data) // 2])   # without its seal
    with pytest.raises(NeurosimFileError, match="damaged HDF5 file") as err:
        nio.load(path)


def test_not_hdf5(tmp_path):
    path = tmp_path / "text.h5"
    path.write_text("hello\n")
    with pytest.raises(NeurosimFileError, match="not an HDF5 file") as err:
        nio.describe(path)
    assert str(path) in str(err.value)


def test_foreign_hdf5(tmp_path):
    path = tmp_path / "foreign.h5"
    with h5py.File(path, "w") as f:
        f["data"] = np.arange(3)
    with pytest.raises(NeurosimFileError, match="not a neurosim file") as err:
        nio.load(path)
    assert str(path) in str(err.value)


def set_root_attr(path, **attrs):
    with h5py.File(path, "r+") as f:
        f.attrs.update(attrs)


def test_newer_format_version(tmp_path, cn):
    path = nio.save(cn, tmp_path / "cn.h5")
    set_root_attr(path, format_version=nio.FORMAT_VERSION + 1)
    reseal(path)
    v = nio.FORMAT_VERSION
    with pytest.raises(NeurosimFileError, match=f"format version {v + 1} .*reads format version {v}.*upgrade neurosim"):
        nio.load(path)


def test_old_format_version_fails_or_migrates(tmp_path, monkeypatch, net):
    path = nio.save(net, tmp_path / "v0.h5")
    with h5py.File(path, "r+") as f:         # a made-up version 0 called the draw counter "n_draws"
        f.attrs["n_draws"] = f.attrs["draws"]
        del f.attrs["draws"]
        f.attrs["format_version"] = 0
    reseal(path)
    with pytest.raises(NeurosimFileError, match="format version 0 cannot be read.*no migration from version 0"):
        nio.load(path)

    def v0_to_v1(root):
        root.attrs["draws"] = root.attrs.pop("n_draws")

    monkeypatch.setitem(nio.MIGRATIONS, 0, v0_to_v1)
    assert_same(net, nio.load(path))
    assert nio.describe(path)["format_version"] == 0
    with h5py.File(path, "r") as f:          # the file itself is not rewritten
        assert "draws" not in f.attrs


def reseal(path):
    """Seal the file's present content: an edit the checksum cannot see, so
    that the checks behind it are tested."""
    nio.seal(path)


def test_edited_content_fails_the_checksum_and_the_hash(tmp_path, cn):
    path = nio.save({"network": cn}, tmp_path / "run.h5")
    with h5py.File(path, "r+") as f:
        f["network/j_data"][0] += 1e-12
    with pytest.raises(NeurosimFileError, match="checksum mismatch.*corrupt") as err:
        nio.load(path)
    assert str(path) in str(err.value)
    reseal(path)
    with pytest.raises(NeurosimFileError, match="content hash mismatch.*corrupt") as err:
        nio.load(path)
    assert str(path) in str(err.value) and "/network" in str(err.value)


def test_damaged_bytes_are_caught_by_the_checksum(tmp_path, net):
    path = nio.save(net, tmp_path / "net.h5")
    with h5py.File(path, "r") as f:
        info = f["w_out"].id.get_chunk_info(0)
    with open(path, "r+b") as fh:
        fh.seek(info.byte_offset + info.size // 2)
        byte = fh.read(1)
        fh.seek(-1, os.SEEK_CUR)
        fh.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(NeurosimFileError, match="checksum mismatch") as err:
        nio.load(path)
    reseal(path)                             # the Fletcher-32 checksum of the chunk stays
    with pytest.raises(NeurosimFileError, match="unreadable content") as err:
        nio.load(path)
    assert str(path) in str(err.value)


def replace(name, value):
    def edit(f):
        del f[name]
        f[name] = value
    return edit


@pytest.mark.parametrize("edit,match", [
    (lambda f: f.__delitem__("pop_sizes"), "missing dataset 'pop_sizes'"),
    (lambda f: f["projections/1"].attrs.__setitem__("pre", "zz"), "population 'zz'"),
    (replace("w_in_mask", np.ones((60, 5), bool)), "'w_in_mask' has shape"),
    (replace("a_in", np.ones(60)), "'a_in' has dtype float64"),
    (replace("pop_sizes", np.array([30, 29])), r"population sizes \[30, 29\] do not match the 60"),
    (lambda f: f.attrs.__setitem__("kind", "mystery"), "unknown kind 'mystery'"),
])
def test_malformed_network_file(tmp_path, net, edit, match):
    path = nio.save(net, tmp_path / "net.h5")
    with h5py.File(path, "r+") as f:
        edit(f)
    with pytest.raises(NeurosimFileError, match="checksum mismatch"):
        nio.load(path)
    reseal(path)
    with pytest.raises(NeurosimFileError, match=match) as err:
        nio.load(path)
    assert str(path) in str(err.value)


# ------------------------------------------------------------ describe, registry
def test_describe(tmp_path, net, cn, result):
    path = nio.save({"network": net, "result": result}, tmp_path / "run.h5")
    d = nio.describe(path)
    assert d["kind"] == "dict" and d["format_version"] == nio.FORMAT_VERSION and d["neurosim_version"] == ns.__version__
    n, r = d["items"]["network"], d["items"]["result"]
    assert n["kind"] == "network" and n["n"] == 60
    assert n["populations"] == [{"name": "a", "size": 30, "j_d": 0.5}, {"name": "b", "size": 30, "j_d": 0.2}]
    assert (n["nnz_learnable"], n["nnz_fixed"]) == (cn.j_data.size, cn.k_data.size) and n["nnz_fixed"] == 60
    assert (n["input_dim"], n["n_classes"], n["lam_x"], n["lam_y"]) == (12, 3, 1.25, 0.5)
    assert n["meta"] == net.meta and n["content_hash"] == cn.content_hash()
    assert r["batch"] == 4 and r["converged_fraction"] == float(result.converged.mean())
    assert r["mean_steps"] == float(result.steps.mean())
    text = nio.format_description(d)
    assert str(path) in text and "N = 60" in text and "[result] relaxation result: batch 4" in text
    assert cn.content_hash() in text


class Counter:
    def __init__(self, count):
        self.count = count


def test_registry_and_groups_in_another_file(tmp_path, cn):
    nio.register_kind("counter", Counter, lambda g, c: g.attrs.__setitem__("count", c.count),
                      lambda g: Counter(int(g.attrs["count"])), lambda c: {"count": c.count})
    try:
        path = tmp_path / "ckpt.h5"
        with h5py.File(path, "w") as f:           # a later module's own file layout
            nio.save_group(f.create_group("weights"), cn)
            nio.save_group(f.create_group("step"), Counter(7))
        with h5py.File(path, "r") as f:
            assert nio.load_group(f["weights"]).content_hash() == cn.content_hash()
            assert nio.load_group(f["step"]).count == 7
        saved = nio.save({"c": Counter(3)}, tmp_path / "c.h5")
        assert nio.load(saved)["c"].count == 3
        assert nio.describe(saved)["items"]["c"] == {"kind": "counter", "count": 3}
        with pytest.raises(ValueError, match="already registered"):
            nio.register_kind("counter", dict, None, None)
    finally:
        del nio.KINDS["counter"]
    with pytest.raises(NeurosimFileError, match="unknown kind 'counter'") as err:
        nio.load(saved)
    assert str(saved) in str(err.value)


FORMAT2 = Path(__file__).parent / "data" / "format2_compiled.h5"


def format2_network():
    """The network tests/data/format2_compiled.h5 was compiled from (by neurosim at format version 2)."""
    net = ns.Network(seed=1)
    net.add_population("a", 6)
    net.add_population("b", 6)
    net.connect("a", "a", rho=0.5)
    net.connect("b", "a", rho=0.5)
    net.couple_chain("a", "b", 0.5, 0.5)
    return net


def test_a_format2_compiled_network_gets_its_projection_identity():
    """A file written before projections had an identity loads with one projection
    per population block and map, named as connect names them."""
    old, fresh = nio.load(FORMAT2), ns.compile(format2_network())
    assert sorted(old.proj_names) == sorted(fresh.proj_names) == ["a<-a", "a<-b:fixed", "b<-a", "b<-a:fixed"]
    for name in fresh.proj_names:
        assert (old.projection_matrix(name) != fresh.projection_matrix(name)).nnz == 0
    for name in cn_fields_without_identity():
        assert np.array_equal(getattr(old, name), getattr(fresh, name))


def cn_fields_without_identity():
    return [a for a in ns.CompiledNetwork.ARRAYS if not a.endswith("proj") and a != "proj_table"]


def test_an_edited_format2_file_fails_its_old_hash(tmp_path):
    path = tmp_path / "edited.h5"
    shutil.copy(FORMAT2, path)
    with h5py.File(path, "r+") as f:
        f["j_d"][0] = 0.25
    reseal(path)
    with pytest.raises(NeurosimFileError, match="content hash mismatch"):
        nio.load(path)
