"""Sweeps on a local Dask cluster: every point runs, a failing point is reported,
retried and kept (with its error text) in the one results file."""
import json
import threading

import numpy as np
import pytest

from neurosim.cli import main
from neurosim.experiments import load_sweep

CONFIG = """
[sweep]
name = "tiny"
retries = 2

[fixed]
n = 40
train_size = 200
val_size = 100
epochs = 1

[grid]
j_d = [0.25, -1.0, 0.5]
seed = [0]
"""


@pytest.fixture(scope="module")
def sweep():
    return load_sweep()


def read(path):
    from neurosim.experiments import load_experiments
    import importlib
    load_experiments()
    return importlib.import_module("neurosim_experiments._common").read_h5(path)


def test_failing_point_is_reported_retried_and_kept(tmp_path, capsys):
    cfg = tmp_path / "tiny.toml"
    cfg.write_text(CONFIG)
    out = tmp_path / "tiny.h5"
    rc = main(["sweep", str(cfg), "--out", str(out), "--json"])
    captured = capsys.readouterr()
    assert rc == 1                                            # a point failed for good
    summary = json.loads(captured.out.strip().splitlines()[-1])
    assert summary["failed"] == [1] and summary["attempts"] == [1, 3, 1]
    assert captured.err.count("j_d must be a finite number >= 0") == 3   # reported on every attempt
    assert "retrying" in captured.err and "FAILED after 3 attempt(s)" in captured.err
    tree = read(out)
    assert tree["status"] == ["ok", "failed", "ok"]
    assert list(tree["attempts"]) == [1, 3, 1]
    assert tree["errors"][0] == "" and tree["errors"][2] == ""
    assert tree["errors"][1].count("ValueError: j_d must be a finite number >= 0") == 3
    assert "attempt 1:" in tree["errors"][1] and "attempt 3:" in tree["errors"][1]
    np.testing.assert_array_equal(tree["params"]["j_d"], [0.25, -1.0, 0.5])
    acc = tree["metrics"]["val_accuracy"]
    assert np.isnan(acc[1]) and np.all((acc[[0, 2]] >= 0) & (acc[[0, 2]] <= 1))
    point = tree["points"]["0002"]
    assert point["status"] == "ok" and json.loads(point["params"])["j_d"] == 0.5
    assert point["metric_history_val_accuracy"].shape == (1,)
    attrs = tree["attrs"]
    assert attrs["n_points"] == 3 and attrs["n_failed"] == 1 and attrs["retries"] == 2
    assert "j_d = [0.25, -1.0, 0.5]" in attrs["config"]
    assert [p.name for p in tmp_path.iterdir() if p.suffix != ".toml"] == ["tiny.h5"]   # no temp file left


_calls = {}
_lock = threading.Lock()


def flaky(params):
    """Fails the first attempt of the point x = 2, then succeeds."""
    with _lock:
        _calls[params["x"]] = _calls.get(params["x"], 0) + 1
        first = _calls[params["x"]] == 1
    if params["x"] == 2 and first:
        raise RuntimeError("transient failure")
    return {"y": params["x"] * params["scale"], "curve": np.arange(3) * params["x"]}


def test_transient_failure_is_retried_to_success(sweep, tmp_path):
    _calls.clear()
    logs = []
    res = sweep.run_sweep({"fixed": {"scale": 10}, "grid": {"x": [1, 2, 3]}}, out=tmp_path / "f.h5",
                          runner=flaky, retries=1, log=logs.append)
    assert res["status"] == ["ok", "ok", "ok"] and res["attempts"] == [1, 2, 1]
    assert "RuntimeError: transient failure" in res["errors"][1][0]
    assert any("retrying" in line for line in logs)
    tree = read(tmp_path / "f.h5")
    np.testing.assert_array_equal(tree["metrics"]["y"], [10, 20, 30])
    assert "transient failure" in tree["errors"][1]                     # kept although it recovered
    np.testing.assert_array_equal(tree["points"]["0002"]["metric_curve"], [0, 3, 6])
    assert tree["attrs"]["runner"].endswith(":flaky")


def test_no_retries_means_one_attempt(sweep, tmp_path):
    _calls.clear()
    res = sweep.run_sweep({"fixed": {"scale": 1}, "grid": {"x": [2]}}, out=tmp_path / "g.h5", runner=flaky,
                          retries=0)
    assert res["status"] == ["failed"] and res["attempts"] == [1] and res["n_failed"] == 1


@pytest.mark.parametrize("text, match", [
    ("[grid]\n", "at least one parameter"),
    ("[grid]\nj_d = []\n", "non-empty list"),
    ("[grid]\nj_d = [0.5, 'a']\n", "not mixed"),
    ("[fixed]\nj_d = 1\n[grid]\nj_d = [0.5]\n", "both in"),
    ("[sweep]\nretries = -1\n[grid]\nj_d = [0.5]\n", "retries"),
    ("[sweep]\nrunner = 'nope'\n[grid]\nj_d = [0.5]\n", "runner"),
    ("[swep]\n[grid]\nj_d = [0.5]\n", "unknown section"),
    ("[grid\n", "not valid TOML"),
])
def test_config_errors(sweep, text, match):
    with pytest.raises(ValueError, match=match):
        sweep.load_config(text + "\n")


def test_points_and_bad_out(sweep, tmp_path):
    cfg = sweep.load_config("[fixed]\nn = 5\n[grid]\na = [1, 2]\nb = ['u', 'v', 'w']\n")
    pts = cfg.points()
    assert len(pts) == 6 and pts[0] == {"n": 5, "a": 1, "b": "u"} and pts[-1] == {"n": 5, "a": 2, "b": "w"}
    with pytest.raises(FileNotFoundError, match="does not exist"):
        sweep.run_sweep(cfg, out=tmp_path / "missing" / "x.h5")
    assert main(["sweep", str(tmp_path / "absent.toml")]) == 2


def test_worker_processes_get_the_runner_by_value(sweep, tmp_path):
    """Worker processes cannot import experiments/ (it is not installed): the
    worker functions must travel by value."""
    cfg = {"sweep": {"retries": 0}, "fixed": {"n": 20, "train_size": 64, "val_size": 32, "epochs": 1},
           "grid": {"j_d": [0.5, -1.0]}}
    res = sweep.run_sweep(cfg, out=tmp_path / "p.h5", processes=True, workers=1)
    assert res["status"] == ["ok", "failed"]
    assert "j_d must be a finite number >= 0" in res["errors"][1][0]
    assert 0.0 <= res["metrics"][0]["val_accuracy"] <= 1.0


def test_info_reads_a_sweep_results_file(sweep, tmp_path, capsys):
    res = sweep.run_sweep({"grid": {"x": [1, 2]}}, out=tmp_path / "s.h5", runner=lambda p: {"y": p["x"]})
    capsys.readouterr()
    assert main(["info", res["file"]]) == 0
    out = capsys.readouterr().out
    assert "results of experiment 'sweep'" in out and "metrics/y" in out
