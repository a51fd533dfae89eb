"""The paper's experiments (experiments/), run in their --quick versions: files
written and the qualitative facts the paper states."""
import json
import re

import numpy as np
import pytest

from neurosim.cli import main
from neurosim.experiments import experiments_dir

from conftest import check_files


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    return tmp_path_factory.mktemp("experiments")


def test_fig5_quick(pkg, common, out):
    res = pkg.run("fig5", quick=True, out_dir=out / "fig5")
    tree, _ = check_files(res, common)
    ours = res["ours"]
    assert abs(ours["S_a(0,0)"]) < 1e-12                       # vanishes at J_D = lambda = 0
    assert ours["monotone_in_j_d"] and ours["monotone_in_lambda"]   # increasing (Fig. 5 ranges)
    assert np.log(2) - 0.05 < ours["S_a(J_D=3, lambda=1.5)"] < np.log(2)  # -> log 2
    assert ours["max |Eq.27 - transfer matrix|"] < 1e-12
    table = tree["enumeration"]["table"]      # measured vs finite-n annealed entropy
    assert np.all(np.abs(table[:, 2] - table[:, 4]) < 5 * table[:, 3] + 0.01)


def test_fig9_quick(pkg, common, out):
    res = pkg.run("fig9", quick=True, out_dir=out / "fig9")
    tree, _ = check_files(res, common)
    ns = res["params"]["ns"]
    cap = [res["ours"]["L=1"]["P_max"][f"N={n}"] for n in ns]
    assert cap[-1] > cap[0] > 0                  # capacity grows with N ...
    assert res["ours"]["L=1"]["slope"] > 0.1      # ... about linearly
    q = tree["L1"]["N100"]["summary"]["O5"]
    assert q[0] > 0.9                             # small loads are stored
    deep = [res["ours"]["L=2"]["P_max"][f"N={n}"] for n in ns]
    assert deep[-1] > deep[0] and deep[-1] > 0    # two layers store associations too, more with N
    prof = tree["profile"]
    assert prof["first_layer_input_median"] > 0.8 and prof["median"][-1] > 0.9  # layer 1 ~ input, last ~ target


def test_table7_quick(pkg, common, out):
    res = pkg.run("table7", quick=True, out_dir=out / "table7")
    tree, md = check_files(res, common)
    t7 = pkg.get("table7")
    for k, row in enumerate(t7.ROWS):
        got = tree[f"row{k}"]
        init, ep1, end = got["stats_init"][0], got["stats_epoch1"][0], got["stats_end"][0]
        paper_init = t7.PAPER[row][0][0]
        assert abs(init - paper_init) < 0.1, (row, init, paper_init)  # same fields, same overlaps
        assert ep1 >= init and end >= init - 0.01, row                 # learning stabilises s'
        if row[0] == 0.5:
            assert ep1 >= 0.9, (row, ep1)                              # q_dyn near 1 after epoch 1
    assert "paper 0.930" in md


def test_fig14_quick(pkg, common, out):
    res = pkg.run("fig14", quick=True, out_dir=out / "fig14")
    tree, _ = check_files(res, common)
    j_ds = list(tree["j_d"])
    val, conv = tree["val_accuracy"], tree["converged_free"]
    assert val.shape == (2, 4)
    i0, i5 = j_ds.index(0.0), j_ds.index(0.5)
    assert np.all(val[:, j_ds.index(0.25):] > 0.3)          # learns far above chance
    assert np.all(conv[:, -1] >= conv[:, i0])               # fixed points more accessible at large J_D
    assert conv[-1, i0] < conv[-1, -1] - 0.05 and conv[-1, -1] > 0.95
    assert val[-1, i5] > val[0, i5]                         # larger N, better accuracy
    # the text reading does not collapse at J_D = 0 (experiments/README.md): it learns like J_D = 0.25
    assert np.all(val[:, i0] > 0.3)


def test_fig14_quick_code_protocol_collapses_at_jd0(pkg, common, out):
    """Under the authors' code (fully connected core, uncentred data) J_D -> 0
    regresses towards chance while J_D = 0.5 learns: Fig. 14's statement."""
    res = pkg.run("fig14", quick=True, out_dir=out / "fig14code", protocol="code", rho=1.0, epochs=3)
    tree, _ = check_files(res, common)
    j_ds = list(tree["j_d"])
    val = tree["val_accuracy"]
    i0, i5 = j_ds.index(0.0), j_ds.index(0.5)
    assert np.all(val[:, i0] < 0.3)
    assert np.all(val[:, i5] > val[:, i0] + 0.2)


def test_cli_experiment_and_list(tmp_path, capsys):
    rc = main(["experiment", "fig5", "--quick", "--out", str(tmp_path), "--json",
               "--set", "draws=10", "--set", "enum_n=3", "--set", "check_j_ds=[0.5]"])
    assert rc == 0
    res = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert res["params"]["draws"] == 10 and res["params"]["check_j_ds"] == [0.5]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fig5.h5", "fig5.md", "fig5.png"]
    assert main(["experiment", "--list"]) == 0
    listing = capsys.readouterr().out
    assert "table7" in listing and "fig2" in listing


def test_unknown_and_planned_experiments(pkg, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(pkg.PLANNED, "fig98", "a figure not written yet")
    with pytest.raises(ValueError, match="not implemented yet"):
        pkg.get("fig98")
    assert main(["experiment", "--list"]) == 0
    assert "fig98      not implemented" in capsys.readouterr().out
    with pytest.raises(ValueError, match="unknown experiment"):
        pkg.get("fig99")
    with pytest.raises(ValueError, match="unknown parameter 'nope'"):
        pkg.run("fig5", quick=True, out_dir=tmp_path, nope=1)
    assert main(["experiment", "fig99", "--out", str(tmp_path)]) == 2
    assert "unknown experiment" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_readme_covers_every_experiment(pkg):
    text = (experiments_dir() / "README.md").read_text()
    rows = {m.group(1) for m in re.finditer(r"^\| `?(\w+)`? \|", text, flags=re.M)}
    assert set(pkg.IMPLEMENTED) | set(pkg.PLANNED) <= rows
    for name in pkg.PLANNED:
        line = next(l for l in text.splitlines() if re.match(rf"^\| `?{name}`? \|", l))
        assert "not implemented" in line


def test_experiment_writes_into_the_current_directory_by_default(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["experiment", "fig5", "--quick", "--set", "draws=10", "--set", "enum_n=3",
                 "--set", "check_j_ds=[0.5]"]) == 0
    assert sorted(p.name for p in (tmp_path / "experiments-out" / "fig5").iterdir()) == [
        "fig5.h5", "fig5.md", "fig5.png"]
    assert main(["info", str(tmp_path / "experiments-out" / "fig5" / "fig5.h5")]) == 0
