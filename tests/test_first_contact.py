"""What a new user meets first: the README's snippets and layout table, the notice
while numba compiles, the training progress bar, ``ns.topologies`` without an import."""
import fcntl
import os
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

import numpy as np
import pytest

import neurosim as ns
from neurosim._compile_notice import NOTICE
from neurosim.datasets import Dataset
from neurosim.learning import TrainConfig, Trainer

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
SNIPPETS = re.findall(r"^```python\n(.*?)^```", README, flags=re.S | re.M)


def run_python(code, cwd, **kw):
    out = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=600, **kw)
    assert out.returncode == 0, out.stderr
    return out


def test_readme_has_its_snippets():
    assert len(SNIPPETS) == 3 and "ns.relax(" in SNIPPETS[0] and "trainer.fit(" in SNIPPETS[1]
    assert "backends.run(" in SNIPPETS[2]


@pytest.mark.parametrize("k", range(len(SNIPPETS)), ids=lambda k: f"snippet{k + 1}")
def test_readme_snippet_runs_on_its_own(k, tmp_path):
    """Each snippet in a fresh interpreter, in an empty directory: no name from
    another snippet, no file from the repository."""
    run_python(SNIPPETS[k], tmp_path)
    if "ns.save(" in SNIPPETS[k]:
        assert ns.load(tmp_path / "net.h5").n == 400


def test_readme_layout_table_matches_the_tree():
    """Every path in the table exists, and every directory of the repository and
    every subpackage of neurosim/ has its row (or rows of what it holds)."""
    table = README.split("\n## Layout\n", 1)[1]
    listed = re.findall(r"^\| `([^`]+)` \|", table, flags=re.M)
    assert [p for p in listed if not (ROOT / p).exists()] == []
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    dirs = {p.split("/")[0] + "/" for p in tracked if "/" in p and not p.startswith(".")}
    dirs |= {"/".join(p.split("/")[:2]) + "/" for p in tracked
             if re.fullmatch(r"neurosim/[^/]+/__init__\.py", p)}
    assert sorted(d for d in dirs if not any(p.startswith(d) for p in listed)) == []


NOTICE_RUN = """
import numba
import numpy as np
import neurosim as ns

@numba.njit
def own(x):                      # a user's kernel: compiles, but is none of neurosim's
    return x + 1

own(1)
net = ns.Network(seed=0)
net.add_population("a", 8, j_d=0.2)
net.connect("a", "a", rho=0.5)
ns.analysis.enumerate_fixed_points(ns.compile(net))
ns.analysis.enumerate_fixed_points(ns.compile(net, dtype=np.float32))   # a second compilation
"""


def test_compile_notice_once_on_a_cold_cache_never_on_a_warm_one(tmp_path):
    """Two of neurosim's compilations in a process with an empty cache: one notice;
    the same run again (a warm cache), or a user's own kernel alone: none."""
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "numba-cache"))
    cold = run_python(NOTICE_RUN, tmp_path, env=env)
    assert cold.stderr.count(NOTICE) == 1, cold.stderr
    warm = run_python(NOTICE_RUN, tmp_path, env=env)
    assert NOTICE not in warm.stderr, warm.stderr
    assert NOTICE not in run_python("import numba\nimport neurosim\nnumba.njit(lambda x: x)(1)", tmp_path, env=env).stderr


def tiny_task():
    rng = np.random.default_rng(0)
    x = rng.choice([-1.0, 1.0], size=(64, 12)).astype(np.float32)
    y = rng.integers(0, 3, size=64)
    cn = ns.compile(ns.topologies.core(30, rho=0.5, j_d=0.5, seed=0, input_dim=12, n_classes=3))
    return cn, Dataset(x, y, x[:8], y[:8], 3, "tiny")


CONFIG = TrainConfig(epochs=1, batch_size=8)
BAR = "epoch 1/1"


def test_fit_progress_default_is_off_where_stderr_is_no_terminal(capsys):
    cn, data = tiny_task()
    Trainer(cn.copy(), CONFIG).fit(data)
    assert BAR not in capsys.readouterr().err
    Trainer(cn.copy(), CONFIG).fit(data, progress=True)
    assert BAR in capsys.readouterr().err


FIT_ON_A_TERMINAL = """
from test_first_contact import CONFIG, Trainer, tiny_task

cn, data = tiny_task()
Trainer(cn, CONFIG).fit(data{progress})
"""


def stderr_on_a_terminal(code):
    """What ``code`` writes to its stderr when that is a (pseudo-)terminal."""
    terminal, child_end = os.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))  # 80 columns, as a terminal has
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=Path(__file__).parent, stdout=subprocess.DEVNULL,
                            stderr=child_end)
    os.close(child_end)
    out = b""
    while True:
        try:
            chunk = os.read(terminal, 4096)
        except OSError:              # EIO: the child closed its end
            break
        if not chunk:
            break
        out += chunk
    os.close(terminal)
    assert proc.wait(timeout=600) == 0, out.decode(errors="replace")
    return out.decode(errors="replace")


def test_fit_progress_default_is_on_where_stderr_is_a_terminal():
    assert BAR in stderr_on_a_terminal(FIT_ON_A_TERMINAL.format(progress=""))
    assert BAR not in stderr_on_a_terminal(FIT_ON_A_TERMINAL.format(progress=", progress=False"))


def test_subpackages_need_no_import_of_their_own(tmp_path):
    code = ("import neurosim as ns\n"
            "assert ns.topologies.core(20, rho=0.5, seed=0).populations\n"
            "assert ns.learning.Trainer and ns.datasets.load and ns.analysis and ns.theory and ns.hw\n"
            "try:\n    ns.no_such_thing\nexcept AttributeError as e:\n    print(e)\n")
    out = run_python(code, tmp_path)
    assert "has no attribute 'no_such_thing'" in out.stdout
