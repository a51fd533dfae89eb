"""Property tests (hypothesis) that search for what nobody listed: the IR
validator on random networks and random corruptions of them, the HDF5 loaders
on random damage (never a crash, never a silent acceptance of a changed
result), and the command line's flag checks on random values."""
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fuzz_loaders as fuzz
import neurosim as ns
import neurosim.io as nio
from neurosim.cli import main
from neurosim.validate import MAX_SEED

QUICK = settings(max_examples=40, deadline=None, derandomize=True)


# ------------------------------------------------------------------ IR validator
@st.composite
def ir_fields(draw):
    """The fields of a valid random CompiledNetwork (a dict for its constructor)."""
    n = draw(st.integers(1, 12))
    cuts = sorted(draw(st.sets(st.integers(1, n - 1), max_size=3))) if n > 1 else []
    offsets = np.array([0, *cuts, n], dtype=np.int64)
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    d, c = draw(st.integers(0, 4)), draw(st.integers(0, 3))
    f = {"n": n, "pop_names": tuple(f"p{i}" for i in range(len(offsets) - 1)), "pop_offsets": offsets,
         "j_d": rng.uniform(0, 1, n), "w_in": rng.normal(size=(n, d)), "w_back": rng.normal(size=(n, c)),
         "w_out": rng.normal(size=(c, n)), "lam_x": float(rng.uniform(0, 2)), "lam_y": float(rng.uniform(0, 2)),
         "meta": "{}"}
    f["w_in_mask"] = f["w_in"] > 0
    for m in ("a_in", "a_back", "a_out"):
        f[m] = rng.random(n) < 0.7
    for m in "jk":
        A = rng.random((n, n)) < draw(st.floats(0, 1))       # A[post, pre]
        ptr = np.concatenate([[0], np.cumsum(A.sum(axis=0))]).astype(np.int64)
        f[f"{m}_indptr"], f[f"{m}_indices"] = ptr, np.nonzero(A.T)[1].astype(np.int32)
        f[f"{m}_data"] = rng.normal(size=ptr[-1])
    return f


def break_field(f, how, k):
    """A copy of valid fields ``f`` made invalid in one way (``k`` picks where)."""
    f = {key: np.array(v) if isinstance(v, np.ndarray) else v for key, v in f.items()}
    n = f["n"]
    m = "jk"[k % 2]
    ptr, idx, data = f[f"{m}_indptr"], f[f"{m}_indices"], f[f"{m}_data"]
    if how == "index" and idx.size:
        idx[k % idx.size] = n + k if k % 3 else -1 - k
    elif how == "order" and np.any(np.diff(ptr) > 1):
        col = int(np.argmax(np.diff(ptr) > 1))
        idx[ptr[col]:ptr[col] + 2] = idx[ptr[col]:ptr[col] + 2][::-1].copy()
    elif how == "indptr":
        ptr[1 + k % n] = ptr[-1] + 1 + k
    elif how == "nnz":
        f[f"{m}_data"] = np.append(data, 1.0)
    elif how == "nan":
        name = ["j_d", "w_in", "w_back", "w_out", f"{m}_data"][k % 5]
        if f[name].size == 0:
            f["lam_y"] = math.nan
        else:
            f[name].reshape(-1)[k % f[name].size] = [math.nan, math.inf, -math.inf][k % 3]
    elif how == "shape":
        name = ["j_d", "a_in", "a_out", "w_in", "w_in_mask", "pop_offsets"][k % 6]
        f[name] = f[name][:-1]
    elif how == "dtype":
        name, dtype = [("a_in", np.float64), ("j_indices", np.float64), ("j_d", np.int64),
                       ("w_in_mask", np.int8)][k % 4]
        f[name] = f[name].astype(dtype)
    elif how == "scalar":
        key, value = [("lam_x", -1.0), ("n", 0), ("pop_names", ("a",) * len(f["pop_names"]) + ("a",)),
                      ("meta", {})][k % 4]
        f[key] = value
    else:
        return None                              # this break does not apply to these fields
    return f


@QUICK
@given(ir_fields())
def test_every_valid_ir_is_accepted_and_runs(f):
    cn = ns.CompiledNetwork(**f)
    assert cn.validate() is cn
    res = ns.relax(cn, field=np.ones((2, f["n"])), max_steps=3, mode="async")
    assert res.states.shape == (2, f["n"])


@settings(max_examples=150, deadline=None, derandomize=True)
@given(ir_fields(), st.sampled_from(["index", "order", "indptr", "nnz", "nan", "shape", "dtype", "scalar"]),
       st.integers(0, 10 ** 6))
def test_every_broken_ir_is_refused_by_name(f, how, k):
    bad = break_field(f, how, k)
    if bad is None:
        return
    with pytest.raises(ValueError, match="must"):
        ns.CompiledNetwork(**bad)


# ------------------------------------------------------------------ HDF5 loaders
@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    d = tmp_path_factory.mktemp("saved")
    objs = fuzz.samples()
    return {kind: (obj, Path(nio.save(obj, d / f"{kind}.h5")).read_bytes()) for kind, obj in objs.items()}


DAMAGE = (st.sampled_from(["network", "compiled", "result", "checkpoint"]), st.sampled_from(fuzz.HOWS),
          st.integers(0, 10 ** 6), st.integers(1, 64), st.integers(0, 2 ** 31))


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(*DAMAGE, st.booleans())
def test_damaged_files_are_refused_or_unchanged(saved, tmp_path, kind, how, pos, length, value, reseal):
    """Random damage to a saved file (and, resealed, the same damage in a file
    crafted to pass the checksum): loading refuses it or gives the original
    back; it never crashes, hangs or returns a changed result."""
    original, data = saved[kind]
    path = tmp_path / "case.h5"
    path.write_bytes(fuzz.corrupt(data, how, pos, length, value))
    if reseal:                  # HDF5 parses the damage: in a child process, in case it hangs
        nio.seal(path)
    result, detail = fuzz.isolated(path, original, timeout=30) if reseal else fuzz.outcome(path, original)
    assert result in ("refused", "unchanged"), detail


# ----------------------------------------------------------- command-line flags
def integer_rule(lo, hi):
    def ok(text):
        try:
            return lo <= int(text) <= hi
        except ValueError:
            return False
    return ok


def number_rule(lo, hi):
    def ok(text):
        try:
            v = float(text)
        except ValueError:
            return False
        return math.isfinite(v) and lo <= v <= hi
    return ok


FLAGS = {"--n": integer_rule(1, math.inf), "--batch-size": integer_rule(1, math.inf), "--seed": integer_rule(0, MAX_SEED),
         "--max-steps": integer_rule(0, 2 ** 40), "--rho": number_rule(0, 1), "--p": number_rule(0, 1),
         "--lam-x": number_rule(0, math.inf), "--j-d": number_rule(0, math.inf)}
VALUES = st.one_of(st.integers(-2 ** 70, 2 ** 70).map(str), st.floats().map(str), st.floats().map(repr),
                   st.text(max_size=6), st.sampled_from(["nan", "inf", "-inf", "1e400", "0x10", "1_000", " 7 ", ""]))


@settings(max_examples=80, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(sorted(FLAGS)), VALUES)
def test_flag_values_are_checked_before_any_work(capsys, flag, text):
    """``neurosim simulate FLAG=VALUE --out /proc/x.h5``: an invalid value is
    refused naming the flag and the value, a valid one reaches the --out check
    (which refuses /proc before any work); one line on stderr either way."""
    try:
        rc = main(["simulate", f"{flag}={text}", "--out", "/proc/x.h5"])
    except SystemExit as e:
        rc = e.code
    err = capsys.readouterr().err
    assert rc == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    if FLAGS[flag](text):
        assert "--out '/proc/x.h5'" in err
    else:
        assert f"argument {flag}: must be" in err and repr(text) in err
