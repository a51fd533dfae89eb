"""Tests of neurosim.datasets, on small files written here (plus the real MNIST when present)."""

import gzip
import hashlib
import pickle
from pathlib import Path

import numpy as np
import pytest

from neurosim import datasets as ds
from neurosim.datasets import entangled, mnist

SHARED_MNIST = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "mnist.npz"
MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path_factory, monkeypatch):
    """Never look at the user's real NEUROSIM_DATA, cache or Debian directory."""
    monkeypatch.setenv("NEUROSIM_DATA", str(tmp_path_factory.mktemp("env_empty")))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache_empty")))
    monkeypatch.setitem(mnist.SYSTEM_DIRS, "fashion-mnist", (tmp_path_factory.mktemp("debian_empty"),))


def tiny_raw(seed=0, n_train=20, n_test=7):
    rng = np.random.default_rng(seed)
    return {"x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
            "y_train": (np.arange(n_train) % 10).astype(np.uint8),
            "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
            "y_test": (np.arange(n_test) % 10).astype(np.uint8)}


def hashes_of(raw):
    return {k: hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest() for k, a in raw.items()}


def write_mnist(root: Path, layout: str, raw, name="mnist"):
    """Write ``raw`` under ``root`` as .npz, plain idx or gzipped idx files."""
    root.mkdir(parents=True, exist_ok=True)
    if layout == "npz":
        np.savez(root / mnist.NPZ_FILES[name], **raw)
        return root
    sub = root / mnist.SUBDIRS[name]
    sub.mkdir(exist_ok=True)
    for key, fname in mnist.IDX_FILES.items():
        ds.write_idx(sub / (fname + (".gz" if layout == "idx-gz" else "")), raw[key])
    return root


# --------------------------------------------------------------------------- idx format

@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_idx_round_trip(tmp_path, dtype, suffix):
    a = (np.arange(2 * 3 * 5) - 7).astype(dtype).reshape(2, 3, 5)
    if dtype == np.uint8:
        a = np.arange(30, dtype=np.uint8).reshape(2, 3, 5)
    path = ds.write_idx(tmp_path / f"a-idx{suffix}", a)
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == (suffix == ".gz")
    b = ds.read_idx(path)
    assert b.dtype == np.dtype(dtype) and b.shape == a.shape
    np.testing.assert_array_equal(a, b)


def test_idx_header_is_big_endian_mnist_layout(tmp_path):
    path = ds.write_idx(tmp_path / "labels", np.array([3, 1, 4], dtype=np.uint8))
    assert path.read_bytes() == bytes([0, 0, 8, 1, 0, 0, 0, 3, 3, 1, 4])


def test_idx_gzip_detected_from_content(tmp_path):
    a = np.arange(12, dtype=np.uint8).reshape(3, 4)
    path = ds.write_idx(tmp_path / "no-suffix", a, compress=True)
    assert gzip.decompress(path.read_bytes())[:4] == bytes([0, 0, 8, 2])
    np.testing.assert_array_equal(ds.read_idx(path), a)


@pytest.mark.parametrize("content", [b"\x01\x02\x03\x04", bytes([0, 0, 8, 1, 0, 0, 0, 5, 1, 2]), b"\x1f\x8bjunk"])
def test_idx_rejects_bad_files(tmp_path, content):
    path = tmp_path / "bad-idx"
    path.write_bytes(content)
    with pytest.raises(ds.DatasetFormatError, match="bad-idx"):
        ds.read_idx(path)


# --------------------------------------------------------------------------- MNIST loaders

LAYOUTS = ["npz", "idx", "idx-gz"] + (["shared"] if SHARED_MNIST.is_file() else [])


@pytest.mark.parametrize("layout", LAYOUTS)
def test_load_mnist_layouts(tmp_path, layout):
    if layout == "shared":  # the real data set, verified against the published hashes
        data = ds.load_mnist(data_dir=SHARED_MNIST.parent)
        raw = ds.mnist_arrays("mnist", SHARED_MNIST.parent)
        assert data.x_train.shape == (60000, 784) and data.x_test.shape == (10000, 784)
        assert np.bincount(data.y_train).tolist() == MNIST_TRAIN_COUNTS
        assert np.bincount(data.y_test).tolist() == MNIST_TEST_COUNTS
        assert abs(float(data.x_train.mean()) - 0.1307) < 1e-3
    else:
        raw = tiny_raw()
        write_mnist(tmp_path, layout, raw)
        data = ds.load_mnist(data_dir=tmp_path, hashes=hashes_of(raw))
    assert data.name == "mnist" and data.n_classes == 10 and data.dim == 784
    assert data.x_train.dtype == np.float32 and data.y_train.dtype == np.int64
    assert 0.0 <= data.x_train.min() and data.x_train.max() <= 1.0
    np.testing.assert_array_equal(data.x_train, raw["x_train"].reshape(-1, 784) / np.float32(255))
    np.testing.assert_array_equal(data.y_test, raw["y_test"])


def test_hash_mismatch_raises_and_verify_false_loads(tmp_path):
    raw = tiny_raw()
    write_mnist(tmp_path, "idx-gz", raw)
    with pytest.raises(ds.DatasetIntegrityError, match="SHA-256") as err:
        ds.load_mnist(data_dir=tmp_path)  # the official hashes cannot match the fixture
    assert isinstance(err.value, ValueError) and "x_train" in str(err.value)
    bad = dict(hashes_of(raw), y_test="0" * 64)
    with pytest.raises(ds.DatasetIntegrityError, match="y_test"):
        ds.load_mnist(data_dir=tmp_path, hashes=bad)
    assert ds.load_mnist(data_dir=tmp_path, verify=False).x_train.shape == (20, 784)


def test_missing_data_error_names_directories(tmp_path, monkeypatch):
    with pytest.raises(ds.DatasetNotFoundError) as err:
        ds.load_mnist(data_dir=tmp_path)
    msg = str(err.value)
    assert isinstance(err.value, FileNotFoundError)
    assert str(tmp_path) in msg and "mnist.npz" in msg and "train-images-idx3-ubyte" in msg
    env_dir, cache = tmp_path / "env", tmp_path / "xdg"
    monkeypatch.setenv("NEUROSIM_DATA", str(env_dir))
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    with pytest.raises(FileNotFoundError) as err:
        ds.load("fashion-mnist")
    msg = str(err.value)
    assert str(env_dir) in msg and str(cache / "neurosim") in msg and "fashion_mnist.npz" in msg
    assert str(mnist.SYSTEM_DIRS["fashion-mnist"][0]) in msg and "NEUROSIM_DATA" in msg


def test_search_order_env_then_cache_then_debian(tmp_path, monkeypatch):
    first, second = tiny_raw(1), tiny_raw(2)
    write_mnist(tmp_path / "env", "npz", first, "fashion-mnist")
    write_mnist(tmp_path / "xdg" / "neurosim", "idx", second, "fashion-mnist")
    monkeypatch.setenv("NEUROSIM_DATA", str(tmp_path / "env"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    got = ds.load("Fashion_MNIST", verify=False)
    assert got.name == "fashion-mnist"
    np.testing.assert_array_equal(got.x_test, first["x_test"].reshape(-1, 784) / np.float32(255))
    monkeypatch.setenv("NEUROSIM_DATA", str(tmp_path / "nothing"))
    np.testing.assert_array_equal(ds.load_fashion_mnist(verify=False).y_train, second["y_train"])
    # Debian's directory holds the idx files directly, not in a subdirectory
    debian = tmp_path / "debian"
    write_mnist(tmp_path / "deb_root", "idx-gz", first, "fashion-mnist")
    (tmp_path / "deb_root" / "fashion-mnist").rename(debian)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "nothing2"))
    monkeypatch.setitem(mnist.SYSTEM_DIRS, "fashion-mnist", (debian,))
    assert ds.load_fashion_mnist(hashes=hashes_of(first)).x_train.shape == (20, 784)


class _Tripwire:
    """Records any attempt to unpickle it."""

    fired = []

    def __reduce__(self):
        return (_Tripwire._fire, ())

    @staticmethod
    def _fire():
        _Tripwire.fired.append(True)
        return _Tripwire()


def test_pickled_npz_is_never_unpickled(tmp_path):
    raw = dict(tiny_raw(), y_train=np.array([_Tripwire()] * 20, dtype=object))
    np.savez(tmp_path / "mnist.npz", **raw)
    with pytest.raises(ds.DatasetFormatError, match="y_train") as err:
        ds.load_mnist(data_dir=tmp_path, verify=False)
    assert "mnist.npz" in str(err.value) and isinstance(err.value, ValueError)
    (tmp_path / "mnist.npz").write_bytes(pickle.dumps(_Tripwire()))  # a bare pickle
    with pytest.raises(ds.DatasetFormatError, match="mnist.npz"):
        ds.load_mnist(data_dir=tmp_path, verify=False)
    assert _Tripwire.fired == []


@pytest.mark.parametrize("key, value, fragment", [
    ("x_train", np.zeros((20, 27, 28), np.uint8), "x_train"),
    ("x_test", np.zeros((7, 28, 28), np.float32), "x_test"),
    ("y_train", np.zeros(19, np.uint8), "y_train"),
    ("y_test", np.full(7, 10, np.uint8), "y_test"),
])
def test_bad_mnist_arrays_name_the_key(tmp_path, key, value, fragment):
    np.savez(tmp_path / "mnist.npz", **dict(tiny_raw(), **{key: value}))
    with pytest.raises(ds.DatasetFormatError, match=fragment) as err:
        ds.load_mnist(data_dir=tmp_path, verify=False)
    assert "mnist.npz" in str(err.value)


def test_npz_missing_key(tmp_path):
    raw = tiny_raw()
    del raw["y_test"]
    np.savez(tmp_path / "mnist.npz", **raw)
    with pytest.raises(ds.DatasetFormatError, match="y_test"):
        ds.load_mnist(data_dir=tmp_path, verify=False)


def test_download_from_mirror_is_atomic_and_verified(tmp_path, monkeypatch):
    raw = tiny_raw(3)
    mirror = write_mnist(tmp_path / "mirror_root", "idx-gz", raw) / "mnist"
    monkeypatch.setitem(mnist.MIRRORS, "mnist", ((tmp_path / "dead").as_uri() + "/", mirror.as_uri() + "/"))
    target = tmp_path / "data"
    with pytest.raises(ds.DatasetNotFoundError):
        ds.load_mnist(data_dir=target, hashes=hashes_of(raw))  # no implicit download
    data = ds.load("mnist", data_dir=target, download=True, hashes=hashes_of(raw))
    np.testing.assert_array_equal(data.y_train, raw["y_train"])
    assert sorted(p.name for p in (target / "mnist").iterdir()) == sorted(f + ".gz" for f in mnist.IDX_FILES.values())
    # a download whose content does not verify is removed again
    other = tmp_path / "other"
    with pytest.raises(ds.DatasetIntegrityError):
        ds.download("mnist", other)
    assert list((other / "mnist").iterdir()) == []
    monkeypatch.setitem(mnist.MIRRORS, "mnist", ((tmp_path / "dead").as_uri() + "/",))
    with pytest.raises(ds.DatasetDownloadError, match="train-images-idx3-ubyte.gz"):
        ds.download("mnist", tmp_path / "third", verify=False)


def test_download_rejects_non_downloadable_names():
    for name in ("entangled-mnist", "tiny-imagenet-features", "prototypes"):
        with pytest.raises(ValueError):
            ds.download(name)
    with pytest.raises(ValueError, match="mnist, fashion-mnist, entangled-mnist"):
        ds.download("cifar10")


# --------------------------------------------------------------------------- Dataset type

def small_dataset():
    return ds.prototypes(n_classes=4, dim=16, n_train=40, n_test=12, flip=0.1, seed=5)


def test_targets_are_pm1_one_hot():
    data = small_dataset()
    t = data.targets()
    assert t.shape == (40, 4) and t.dtype == np.float32
    assert set(np.unique(t)) == {-1.0, 1.0}
    np.testing.assert_array_equal(t.argmax(axis=1), data.y_train)
    np.testing.assert_array_equal(t.sum(axis=1), np.full(40, 2 - 4))
    np.testing.assert_array_equal(data.targets("test", dtype=np.int8), ds.pm1_targets(data.y_test, 4, np.int8))
    with pytest.raises(ds.DatasetFormatError, match="labels"):
        ds.pm1_targets(np.array([0, 4]), 4)


def test_validation_split_is_seeded_and_disjoint():
    data = small_dataset()
    a, b, c = data.validation_split(0.25, seed=1), data.validation_split(0.25, seed=1), data.validation_split(0.25, 2)
    assert a.x_train.shape == (30, 16) and a.x_test.shape == (10, 16) and a.n_classes == 4
    np.testing.assert_array_equal(a.x_test, b.x_test)
    np.testing.assert_array_equal(a.y_train, b.y_train)
    assert not (np.array_equal(a.y_test, c.y_test) and np.array_equal(a.x_test, c.x_test))

    def rows(x, y):
        return sorted(r.tobytes() + bytes([int(label)]) for r, label in zip(x, y))

    # the two parts partition the original training set
    assert rows(np.concatenate([a.x_train, a.x_test]), np.concatenate([a.y_train, a.y_test])) == \
        rows(data.x_train, data.y_train)
    with pytest.raises(ValueError, match="fraction"):
        data.validation_split(1.0)


@pytest.mark.parametrize("change, fragment", [
    (dict(x_train=np.full((3, 2), np.nan, np.float32)), "x_train"),
    (dict(x_test=np.zeros((2, 3), np.float64)), "x_test"),
    (dict(y_train=np.zeros(4, np.int64)), "y_train"),
    (dict(y_test=np.array([0, 5], np.int64)), "y_test"),
    (dict(x_test=np.zeros((2, 5), np.float32)), "dimension"),
])
def test_dataset_validates_arrays(change, fragment):
    good = dict(x_train=np.zeros((3, 2), np.float32), y_train=np.array([0, 1, 2]),
                x_test=np.zeros((2, 2), np.float32), y_test=np.array([1, 2]), n_classes=3, name="t")
    ds.Dataset(**good)
    with pytest.raises(ds.DatasetFormatError, match=fragment):
        ds.Dataset(**dict(good, **change))


# --------------------------------------------------------------------------- Entangled-MNIST

def test_embedded_entangled_mnist(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))  # no data directory anywhere
    data = ds.load("entangled-mnist")
    assert data.name == "entangled-mnist" and data.n_classes == 10
    assert data.x_train.shape == (60000, 100) and data.x_test.shape == (10000, 100)
    assert data.x_train.dtype == np.int8 and data.y_train.dtype == np.int64
    assert set(np.unique(data.x_train)) == {-1, 1} and set(np.unique(data.x_test)) == {-1, 1}
    assert np.bincount(data.y_train).tolist() == MNIST_TRAIN_COUNTS
    assert np.bincount(data.y_test).tolist() == MNIST_TEST_COUNTS
    assert hashlib.sha256(data.x_train.tobytes()).hexdigest() == entangled.HASHES["x_train"]
    assert hashlib.sha256(data.y_test.astype(np.uint8).tobytes()).hexdigest() == entangled.HASHES["y_test"]
    assert 0.45 < (data.x_train > 0).mean() < 0.55
    assert entangled.embedded_path().stat().st_size < 1_000_000


def test_tampered_entangled_file_fails_verification(tmp_path):
    data = ds.load_entangled_mnist()
    x = data.x_train.copy()
    x[123, 45] *= -1
    path = tmp_path / "e.npz"
    new = entangled.save_entangled(path, x, data.y_train, data.x_test, data.y_test)
    assert new["x_train"] != entangled.HASHES["x_train"] and new["x_test"] == entangled.HASHES["x_test"]
    with pytest.raises(ds.DatasetIntegrityError, match="x_train"):
        ds.load_entangled_mnist(path)
    assert ds.load_entangled_mnist(path, hashes=new).x_train[123, 45] == x[123, 45]


ENTANGLE_SOURCES = ["fixture"] + (["shared"] if SHARED_MNIST.is_file() else [])


@pytest.mark.parametrize("source", ENTANGLE_SOURCES)
def test_entangle_follows_documented_definition(tmp_path, source):
    if source == "shared":  # the shipped file is exactly entangle(real MNIST)
        raw = ds.mnist_arrays("mnist", SHARED_MNIST.parent)
        x_train, x_test = entangled.entangle(raw["x_train"], raw["x_test"])
        shipped = ds.load_entangled_mnist()
        np.testing.assert_array_equal(x_train, shipped.x_train)
        np.testing.assert_array_equal(x_test, shipped.x_test)
        return
    raw = tiny_raw(4, n_train=50, n_test=9)
    x_train, x_test = entangled.entangle(raw["x_train"], raw["x_test"])
    pix = raw["x_train"].reshape(50, 784) / 255.0
    w = entangled.projection_matrix()
    assert w.shape == (784, 100) and np.all(w * 2**20 == np.round(w * 2**20))
    ref = np.where((raw["x_test"].reshape(9, 784) / 255.0 - pix.mean(axis=0)) @ w >= 0, 1, -1)
    np.testing.assert_array_equal(x_test, ref)
    # test images are centred with the training mean only
    _, again = entangled.entangle(raw["x_train"], raw["x_test"][::-1].copy())
    np.testing.assert_array_equal(again, x_test[::-1])
    # round trip through the packed file format
    path = tmp_path / "tiny.npz"
    hashes = entangled.save_entangled(path, x_train, raw["y_train"], x_test, raw["y_test"])
    back = ds.load_entangled_mnist(path, hashes=hashes)
    np.testing.assert_array_equal(back.x_train, x_train)
    np.testing.assert_array_equal(back.y_test, raw["y_test"])


def test_entangle_sign_of_zero_is_plus_one():
    x = np.zeros((3, 28, 28), np.uint8)  # every image equals the mean: all projections are 0
    x_train, x_test = entangled.entangle(x, x[:1])
    assert (x_train == 1).all() and (x_test == 1).all()


# --------------------------------------------------------------------------- synthetic tasks

def test_prototypes_seeded_and_noisy():
    a = ds.prototypes(n_classes=5, dim=200, n_train=500, n_test=100, flip=0.2, seed=7)
    b = ds.load("prototypes", n_classes=5, dim=200, n_train=500, n_test=100, flip=0.2, seed=7)
    c = ds.prototypes(n_classes=5, dim=200, n_train=500, n_test=100, flip=0.2, seed=8)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    np.testing.assert_array_equal(a.y_test, b.y_test)
    assert not np.array_equal(a.x_train, c.x_train)
    assert a.x_train.dtype == np.int8 and set(np.unique(a.x_train)) == {-1, 1}
    assert np.bincount(a.y_train).tolist() == [100] * 5
    clean = ds.prototypes(n_classes=5, dim=200, n_train=500, n_test=100, flip=0.0, seed=7)
    for k in range(5):  # flip=0: every sample is its prototype
        assert len(np.unique(clean.x_train[clean.y_train == k], axis=0)) == 1
    protos = np.stack([clean.x_train[clean.y_train == k][0] for k in range(5)])
    flipped = (a.x_train != protos[a.y_train]).mean()
    assert 0.18 < flipped < 0.22


@pytest.mark.parametrize("kwargs, name", [(dict(flip=1.5), "flip"), (dict(flip=float("nan")), "flip"),
                                          (dict(n_classes=0), "n_classes"), (dict(dim=2.5), "dim")])
def test_prototypes_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        ds.prototypes(**kwargs)


def test_hetero_association_seeded():
    a = ds.hetero_association(300, 64, 32, seed=3)
    b = ds.load("hetero-association", n_patterns=300, d_in=64, d_out=32, seed=3)
    x, y = a
    assert x.shape == (300, 64) and y.shape == (300, 32)
    assert x.dtype == np.int8 and set(np.unique(x)) == {-1, 1} and set(np.unique(y)) == {-1, 1}
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.array_equal(ds.hetero_association(300, 64, 32, seed=4).x, x)
    assert abs(x.mean()) < 0.05 and abs(y.mean()) < 0.05
    assert not np.array_equal(x[:, :32], y)
    with pytest.raises(ValueError, match="d_out"):
        ds.hetero_association(10, 5, 0)


def test_unknown_name_lists_known_names():
    with pytest.raises(ValueError) as err:
        ds.load("cifar-10")
    for name in ds.NAMES:
        assert name in str(err.value)


# --------------------------------------------------------------------------- Tiny-ImageNet features

def tiny_features(seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return {"x_train": rng.normal(size=(30, 512)).astype(dtype), "y_train": np.arange(30) % 200,
            "x_test": rng.normal(size=(6, 512)).astype(dtype), "y_test": np.arange(6) + 194}


def test_tiny_imagenet_features_load(tmp_path):
    arrays = tiny_features()
    np.savez(tmp_path / "tinyimagenet_features.npz", **arrays)
    data = ds.load("tiny-imagenet-features", data_dir=tmp_path)
    assert data.n_classes == 200 and data.dim == 512 and data.x_train.dtype == np.float32
    np.testing.assert_array_equal(data.x_test, arrays["x_test"].astype(np.float32))
    np.testing.assert_array_equal(data.y_test, arrays["y_test"])
    out = ds.save_tiny_imagenet_features(tmp_path / "copy.npz", **arrays)
    np.testing.assert_array_equal(ds.load_tiny_imagenet_features(out).x_train, data.x_train)


@pytest.mark.parametrize("key, value, fragment", [
    ("x_train", np.zeros((30, 511), np.float32), "x_train"),
    ("x_test", np.zeros((6, 512), np.int32), "x_test"),
    ("x_test", np.full((6, 512), np.nan, np.float32), "NaN"),
    ("y_train", np.full(30, 200), "y_train"),
    ("y_test", np.zeros(5, np.int64), "y_test"),
])
def test_tiny_imagenet_features_validation(tmp_path, key, value, fragment):
    path = tmp_path / "feat.npz"
    np.savez(path, **dict(tiny_features(), **{key: value}))
    with pytest.raises(ds.DatasetFormatError, match=fragment) as err:
        ds.load_tiny_imagenet_features(path)
    assert "feat.npz" in str(err.value)


def test_tiny_imagenet_features_missing(tmp_path):
    with pytest.raises(ds.DatasetNotFoundError) as err:
        ds.load_tiny_imagenet_features(data_dir=tmp_path)
    assert str(tmp_path) in str(err.value) and "tinyimagenet_features.npz" in str(err.value)
    assert "willinki/tinyimagenet-features" in str(err.value)
