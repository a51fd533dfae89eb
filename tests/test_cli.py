"""The command line: simulate/info JSON summaries, help, errors, one flag
vocabulary; the README example."""
import argparse
import json
import re
from pathlib import Path

import pytest

from neurosim.cli import main, make_parser


def last_json(capsys):
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_simulate_json_and_info(tmp_path, capsys):
    out = tmp_path / "run.h5"
    assert main(["simulate", "--topology", "chain", "--layers", "3", "--n", "100", "--mode", "async",
                 "--batch-size", "8", "--json", "--out", str(out)]) == 0
    s = last_json(capsys)
    assert s["n"] == 300 and s["batch"] == 8 and s["mode"] == "async"
    assert 0 <= s["converged"] <= 8 and s["mean_steps"] > 0 and s["relaxations_per_s"] > 0
    assert main(["info", str(out), "--json"]) == 0
    d = last_json(capsys)
    assert d["kind"] == "dict" and d["items"]["network"]["n"] == 300
    assert main(["info", str(out)]) == 0
    assert "layer2" in capsys.readouterr().out


@pytest.mark.parametrize("topology", ["core", "chain", "fc_chain", "skip", "ensemble", "local", "symmetric"])
def test_simulate_every_topology(topology, capsys):
    assert main(["simulate", "--topology", topology, "--n", "64", "--layers", "2", "--batch-size", "4",
                 "--mode", "prob", "--json"]) == 0
    assert last_json(capsys)["batch"] == 4


def test_errors_are_clear(tmp_path, capsys):
    assert main(["simulate", "--topology", "torus"]) == 2
    assert "unknown topology 'torus'" in capsys.readouterr().err
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"not hdf5 at all")
    assert main(["info", str(bad)]) == 2
    assert str(bad) in capsys.readouterr().err


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    for cmd in ("simulate", "info", "demo", "train", "eval"):
        assert cmd in text


def leaves(parser, name="neurosim"):
    """(command, parser) of every command that runs."""
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        return [(name, parser)]
    return [leaf for a in subs for cmd, p in a.choices.items() for leaf in leaves(p, f"{name} {cmd}")]


LEAVES = leaves(make_parser())


def test_every_option_of_every_command_has_help():
    assert len(LEAVES) == 14
    missing = [f"{name} {a.option_strings or a.dest}" for name, p in LEAVES for a in p._actions
               if not (a.help or "").strip() or a.help == argparse.SUPPRESS]
    assert missing == []


def test_one_vocabulary():
    """A flag means one thing: --p has one default, and no command spells J_D,
    the batch or the rule variant otherwise; help shows the defaults."""
    flags = {name: {o: a for a in p._actions for o in a.option_strings} for name, p in LEAVES}
    assert {flags[n]["--p"].default for n in flags if "--p" in flags[n]} == {0.5}
    assert not any({"--jd", "--batch", "--variant", "--rule-variant", "--time"} & set(f) for f in flags.values())
    assert all("--rule" in flags[n] for n in ("neurosim train", "neurosim continuous train"))
    text = dict(LEAVES)["neurosim simulate"].format_help()
    assert "(default: 0.5)" in text and "(default: sync)" in text


def test_deprecated_spellings_still_work(capsys):
    args = make_parser().parse_args(["theory", "entropy", "--jd", "0.5", "--layers", "2"])
    assert args.j_d == 0.5 and args.given == {"j_d", "layers"}
    assert "--jd is deprecated, use --j-d" in capsys.readouterr().err
    args = make_parser().parse_args(["train", "--variant=sym1", "--batch-size", "4"])
    assert args.rule == "sym1" and args.given == {"rule", "batch_size"}
    args = make_parser().parse_args(["continuous", "train", "--variant", "tanh", "--rule-variant", "sym2"])
    assert (args.dynamics, args.rule) == ("tanh", "sym2")


def test_readme_example_runs(tmp_path, monkeypatch):
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    code = re.findall(r"```python\n(.*?)```", readme, re.S)[0]
    monkeypatch.chdir(tmp_path)
    scope = {}
    exec(compile(code, "README.md", "exec"), scope)
    assert (tmp_path / "net.h5").exists() and scope["res"].states.shape == (64, 1500)


def test_continuous_simulate(capsys):
    assert main(["continuous", "simulate", "--topology", "core", "--n", "120", "--batch-size", "3",
                 "--dynamics", "hard", "--dt", "0.05", "--backend", "numba", "--json"]) == 0
    s = last_json(capsys)
    assert s["dynamics"] == "hard" and s["batch"] == 3
    assert s["fixed_points"] == s["settled"]  # every settled state is a discrete fixed point
