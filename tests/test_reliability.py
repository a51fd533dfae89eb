"""Issue 14: no run can destroy a user's file, crash the interpreter, or change
its meaning silently. One section per numbered item of the issue; every user
error is exit status 2 and one line on stderr."""
import ctypes
import importlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import types

import h5py
import numpy as np
import pytest

import neurosim as ns
import neurosim.io as nio
from neurosim import topologies
from neurosim._compile_notice import NOTICE
from neurosim.cli import main
from neurosim.cli.common import CtrlC
from neurosim.experiments import load_sweep
from neurosim.io import NeurosimFileError

from conftest import cannot_run

relax_module = importlib.import_module("neurosim.engine.relax")
TINY = ["--dataset", "prototypes", "--n", "30", "--train-size", "64", "--val-size", "32", "--batch-size", "8",
        "--no-progress"]


def cli(argv, capsys):
    """(exit status, stdout, stderr) of ``neurosim argv``; a user error must be
    one line on stderr without a traceback."""
    try:
        rc = main([str(a) for a in argv])
    except SystemExit as e:          # argparse: a usage error
        rc = e.code
    out, err = capsys.readouterr()
    if rc == 2:
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    return rc, out, err


def tiny_net(seed=0):
    return ns.compile(topologies.core(40, rho=0.2, j_d=0.5, seed=seed, input_dim=6, n_classes=3, lam_x=1.0))


# ------------------------------------------------- 1. --out never replaces silently
def test_out_refuses_an_existing_file_unless_force(tmp_path, capsys):
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes")
    rc, _, err = cli(["simulate", "--n", "20", "--batch-size", "2", "--out", notes], capsys)
    assert rc == 2 and "exists: pass --force" in err and notes.read_text() == "my notes"
    ckpt = tmp_path / "run.h5"
    ckpt.write_bytes(b"thirteen minutes of training")
    rc, _, err = cli(["train", *TINY, "--out", ckpt], capsys)
    assert rc == 2 and "--force" in err and "--resume" in err and ckpt.read_bytes() == b"thirteen minutes of training"
    cfg = tmp_path / "grid.toml"
    cfg.write_text("[fixed]\nn = 20\n[grid]\nj_d = [0.5]\n")
    rc, _, err = cli(["sweep", cfg, "--out", notes], capsys)
    assert rc == 2 and "exists" in err and notes.read_text() == "my notes"
    (tmp_path / "fig5.md").write_text("my summary")
    rc, _, err = cli(["experiment", "fig5", "--quick", "--out", tmp_path], capsys)
    assert rc == 2 and "fig5.md" in err and (tmp_path / "fig5.md").read_text() == "my summary"
    assert cli(["simulate", "--n", "20", "--batch-size", "2", "--out", notes, "--force"], capsys)[0] == 0
    assert isinstance(ns.load(notes)["result"], ns.RelaxResult)


# ------------------------------------- 2. every file train writes is readable
@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A checkpoint after one epoch and a reference run of two epochs."""
    d = tmp_path_factory.mktemp("runs")
    assert main(["train", *TINY, "--epochs", "1", "--out", str(d / "one.h5")]) == 0
    assert main(["train", *TINY, "--epochs", "2", "--out", str(d / "two.h5")]) == 0
    return d


def test_info_eval_and_hw_read_a_checkpoint(runs, capsys):
    """In a fresh process (nothing registered by an earlier train), every
    command reads the checkpoint train wrote."""
    path = str(runs / "one.h5")
    for argv in (["info", path], ["hw", "estimate", path], ["eval", path]):
        done = subprocess.run([sys.executable, "-m", "neurosim.cli", *argv], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    rc, out, _ = cli(["info", path, "--json"], capsys)
    assert rc == 0 and json.loads(out.strip().splitlines()[-1])["items"]["training"]["epoch"] == 1


@pytest.mark.skipif(cannot_run("lava") is not None, reason=str(cannot_run("lava")))
def test_export_lava_reads_a_checkpoint(runs, capsys):
    rc, out, _ = cli(["export", "lava", runs / "one.h5", "--steps", "3", "--check", "--json"], capsys)
    assert rc == 0 and json.loads(out.strip().splitlines()[-1])["all_equal"]


def test_info_reads_every_other_file_neurosim_writes(tmp_path, capsys):
    assert cli(["continuous", "simulate", "--n", "20", "--batch-size", "2", "--t-max", "2"], capsys)[0] == 0
    sim = tmp_path / "ct.h5"
    rc, _, _ = cli(["continuous", "simulate", "--n", "20", "--batch-size", "2", "--t-max", "2", "--out", sim],
                   capsys)
    assert rc == 0 and cli(["info", sim], capsys)[0] == 0 and ns.load(sim)["states"].shape == (2, 20)


# ----------------------------------- 3. --resume follows the checkpoint, or stops
def test_resume_refuses_contradicting_flags(runs, capsys):
    path = runs / "one.h5"
    before = path.read_bytes()
    rc, _, err = cli(["train", *TINY, "--n", "40", "--train-size", "32", "--eta-j", "0.1", "--mode", "async",
                      "--out", path, "--resume"], capsys)
    assert rc == 2 and path.read_bytes() == before
    for diff in ("--n 40 (the checkpoint has 30)", "--train-size 32 (the checkpoint has 64)",
                 "--eta-j 0.1 (the checkpoint has 0.005)", "--mode async (the checkpoint has sync)"):
        assert diff in err


def test_resume_continues_the_stored_run(runs, tmp_path, capsys):
    path = tmp_path / "one.h5"
    path.write_bytes((runs / "one.h5").read_bytes())
    rc, out, _ = cli(["train", "--out", path, "--resume", "--epochs", "2", "--no-progress"], capsys)
    assert rc == 0 and "--epochs 2: the checkpoint's run planned 1 epoch(s) and has done 1; training " \
                       "continues to epoch 2" in out
    resumed, two = ns.load(path), ns.load(runs / "two.h5")
    assert resumed["training"].epoch == 2 and resumed["training"].info["train_size"] == 64
    np.testing.assert_array_equal(resumed["network"].j_data, two["network"].j_data)
    np.testing.assert_array_equal(resumed["network"].w_out, two["network"].w_out)


# ----------------------------------------------- 4. one IR validator at every door
def arrays(cn):
    return {name: np.array(getattr(cn, name)) for name in cn.ARRAYS} | {k: getattr(cn, k) for k in cn.SCALARS}


@pytest.mark.parametrize("edit,match", [
    (lambda a: a["j_indices"].__setitem__(0, 40), r"j_indices must lie in \[0, 40\)"),
    (lambda a: a["j_indices"].__setitem__(0, -1), r"j_indices must lie in \[0, 40\)"),
    (lambda a: a["j_indptr"].__setitem__(5, 10 ** 6), "j_indptr must run from 0 to nnz"),
    (lambda a: a["k_indptr"].__setitem__(-1, 1), "k_indptr must run from 0 to nnz"),
    (lambda a: a["j_data"].__setitem__(3, np.nan), "j_data must be finite"),
    (lambda a: a["w_in"].__setitem__((0, 0), np.inf), "w_in must be finite"),
    (lambda a: a.__setitem__("a_in", a["a_in"][:-1]), r"a_in must have shape \(40\)"),
    (lambda a: a.__setitem__("lam_x", float("nan")), "lam_x must be a finite number >= 0"),
    (lambda a: a.__setitem__("pop_offsets", np.array([0, 39])), "pop_offsets must increase from 0 to n = 40"),
])
def test_the_ir_validator_refuses_a_bad_field(edit, match):
    a = arrays(tiny_net())
    edit(a)
    with pytest.raises(ValueError, match=match):
        ns.CompiledNetwork(**a)


def test_save_refuses_an_ir_changed_in_place(tmp_path):
    cn = tiny_net()
    cn.j.indices[0] = cn.n + 3
    with pytest.raises(ValueError, match="j_indices must lie in"):
        ns.save(cn, tmp_path / "bad.h5")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("index", [10 ** 6, -5])
def test_load_refuses_out_of_range_indices_with_a_valid_hash(tmp_path, capsys, index):
    """A file written with an invalid IR and a matching content hash and
    checksum: every door that reads it refuses it (it used to segfault)."""
    cn = tiny_net()
    path = ns.save(cn, tmp_path / "bad.h5")
    bad = arrays(cn)
    bad["j_indices"][0] = index
    fake = types.SimpleNamespace(**bad, ARRAYS=cn.ARRAYS)
    with h5py.File(path, "r+") as f:
        f["j_indices"][0] = index
        f.attrs["content_hash"] = ns.CompiledNetwork.content_hash(fake)
    nio.seal(path)
    with pytest.raises(NeurosimFileError, match="not a valid network: j_indices must lie in"):
        ns.load(path)
    for argv in (["hw", "estimate", path], ["export", "lava", path, "--steps", "2"], ["info", path]):
        rc, _, err = cli(argv, capsys)
        assert rc == 2 and "j_indices must lie in" in err


# ---------------------------------- 5. the output location is checked before work
def test_unwritable_out_is_refused_before_any_work(tmp_path, capsys):
    cases = [(["train", "--dataset", "no-such-data", "--out", "/proc/run.h5"], "cannot create a file in '/proc'"),
             (["train", "--dataset", "no-such-data", "--out", tmp_path], "is a directory"),
             (["train", "--dataset", "no-such-data", "--out", tmp_path / "missing" / "x.h5"], "does not exist"),
             (["simulate", "--n", "5000", "--rho", "1", "--out", "/proc/x.h5"], "cannot create a file"),
             (["sweep", tmp_path / "grid.toml", "--out", tmp_path], "is a directory")]
    (tmp_path / "grid.toml").write_text("[grid]\nj_d = [0.5]\n")
    for argv, match in cases:
        t0 = time.perf_counter()
        rc, _, err = cli(argv, capsys)
        assert rc == 2 and match in err and time.perf_counter() - t0 < 5, (argv, err)


# ------------------------------------------- 6. invalid values are refused by name
@pytest.mark.parametrize("argv,flag", [
    (["simulate", "--lam-x", "nan"], "--lam-x"), (["simulate", "--n", "-5"], "--n"),
    (["simulate", "--batch-size", "0"], "--batch-size"), (["simulate", "--seed", str(2 ** 70)], "--seed"),
    (["simulate", "--max-steps", str(2 ** 41)], "--max-steps"), (["simulate", "--p", "1.5"], "--p"),
    (["train", "--gamma", "-1"], "--gamma"), (["train", "--mlp-lr", "-1"], "--mlp-lr"),
    (["train", "--train-size", "-5"], "--train-size"), (["train", "--kappa-in", "inf"], "--kappa-in"),
    (["train", "--rho-in", "2"], "--rho-in"), (["simulate", "--out", ""], "--out"),
    (["train", "--baseline", "mlp", "--out", "x.h5"], "--out"),
    (["theory", "entropy", "--j-d", "-1"], "--j-d"), (["export", "lava", "x.h5", "--batch-size", "0"], "--batch-size"),
])
def test_cli_refuses_invalid_values_naming_the_flag(argv, flag, capsys):
    rc, _, err = cli(argv, capsys)
    assert rc == 2 and flag in err


@pytest.mark.parametrize("call,match", [
    (lambda: ns.Network(lam_x=float("nan")), "lam_x must be a finite number >= 0"),
    (lambda: ns.Network(lam_x=-3.0), "lam_x must be a finite number >= 0"),
    (lambda: ns.Network(seed=0.5), "seed must be an integer >= 0"),
    (lambda: ns.relax(tiny_net(), x=np.ones((1, 6)), lam_x=-3.0), "lam_x must be a finite number >= 0"),
    (lambda: ns.relax(tiny_net(), x=np.ones((1, 6)), seed=2 ** 70), "seed must be an integer in"),
    (lambda: ns.relax(tiny_net(), x=np.ones((1, 6)), max_steps=2 ** 41), "max_steps must be an integer in"),
    (lambda: ns.network_from_toml("[network]\nlam_x = nan\n[[population]]\nname = 'a'\nsize = 4\n"), "lam_x"),
    (lambda: ns.network_from_toml("[network]\nseed = 0.5\n[[population]]\nname = 'a'\nsize = 4\n"), "seed"),
    (lambda: ns.network_from_toml("[[population]]\nname = 'a'\nsize = 4\n[[projection]]\npost = 'a'\n"
                                  "pre = 'a'\nrho = 0.5\nlearnable = 'no'\n"), "learnable must be true or false"),
])
def test_api_and_toml_refuse_invalid_values(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ------------------------------- 7. the checksum covers everything that changes a result
def test_checkpoint_training_state_is_under_the_checksum(runs, tmp_path):
    path = tmp_path / "one.h5"
    path.write_bytes((runs / "one.h5").read_bytes())
    with h5py.File(path, "r+") as f:
        state = json.loads(f["training"].attrs["state"])
        state["epoch"], state["config"]["eta_j"] = 5, 0.5
        f["training"].attrs["state"] = json.dumps(state)
    with pytest.raises(NeurosimFileError, match="checksum mismatch.*corrupt or was edited"):
        ns.load(path)


# -------------------------------------------- 8. memory estimated before allocating
def test_a_network_too_large_for_memory_is_refused_with_the_estimate(capsys):
    rc, _, err = cli(["simulate", "--n", "100000", "--rho", "1"], capsys)
    assert rc == 2 and "needs about" in err and "GiB" in err and "available" in err


def test_a_file_declaring_huge_datasets_is_refused_before_reading(tmp_path):
    path = ns.save(np.arange(4.0), tmp_path / "a.h5")
    with h5py.File(path, "r+") as f:
        del f["value"]
        f.create_dataset("value", shape=(10 ** 12,), dtype=np.float64, chunks=(1024,))
    nio.seal(path)
    t0 = time.perf_counter()
    with pytest.raises(NeurosimFileError, match="/value: declares 7450.6 GiB but the file stores 0 bytes"):
        ns.load(path)
    assert time.perf_counter() - t0 < 5


def test_record_grows_with_the_steps_taken():
    cn = tiny_net()
    res = ns.relax(cn, x=np.ones((3, 6)), record=True, max_steps=10 ** 9)
    assert res.converged.all() and res.trajectory.shape == (3, int(res.steps.max()) + 1, cn.n)
    assert res.trajectory.base is None or res.trajectory.base.nbytes < 10 ** 6


# ----------------------------------- 9. Ctrl-C, step bound, stale temp files
def interruptible():
    """In the child before exec: SIGINT to its default, as in a terminal. A shell
    starts background jobs with SIGINT ignored, and an ignored signal stays ignored
    across exec (Python then never installs its KeyboardInterrupt handler)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_stops_a_long_relaxation_within_a_second():
    """A network that never converges, relaxed for up to 2**40 steps by
    ``neurosim simulate``: SIGINT ends it with exit 130 and one line. The child
    first runs the same command for 3 steps (its kernels compile there, on a
    clean machine for tens of seconds), so the signal lands in the relaxation."""
    args = "'simulate', '--n', '300', '--rho', '1', '--j-d', '0', '--batch-size', '4', '--max-steps'"
    code = ("import contextlib, io, sys; from neurosim.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):\n"
            f"    main([{args}, '3'])\n"
            "print('ready', flush=True)\n"
            f"sys.exit(main([{args}, '1099511627776']))")
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             preexec_fn=interruptible)
    guard = threading.Timer(60, child.kill)   # a child that ignores the signal fails, never hangs
    try:
        assert child.stdout.readline().strip() == "ready"
        time.sleep(1.0)                   # inside the long relaxation
        guard.start()
        t0 = time.perf_counter()
        child.send_signal(signal.SIGINT)
        line = child.stderr.readline()
        stopped = time.perf_counter() - t0
        rest = child.communicate(timeout=30)[1]
    finally:
        guard.cancel()
        child.kill()
    assert line.strip() == "neurosim simulate: interrupted" and not rest.strip() and child.returncode == 130
    assert stopped < 1.0


def test_ctrl_c_while_kernels_compile(tmp_path):
    """Ctrl-C while numba compiles (an empty kernel cache): KeyboardInterrupt raised
    inside llvmlite's ctypes callbacks is dropped by ctypes, so the command raises
    it again until it lands; exit 130, one line, no traceback."""
    argv = ["simulate", "--n", "300", "--rho", "1", "--j-d", "0", "--batch-size", "4", "--max-steps", "1099511627776"]
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "numba-cache"))
    child = subprocess.Popen([sys.executable, "-m", "neurosim.cli", *argv], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=env, preexec_fn=interruptible)
    try:
        assert child.stderr.readline().strip() == NOTICE      # compiling now
        time.sleep(1.0)
        child.send_signal(signal.SIGINT)
        err = child.communicate(timeout=30)[1]
    finally:
        child.kill()
    assert err.strip() == "neurosim simulate: interrupted" and child.returncode == 130


def test_ctrl_c_dropped_inside_a_ctypes_callback_is_raised_again():
    """The case behind the test above, made certain: SIGINT inside a ctypes
    callback (where llvmlite calls back into numba) is dropped by ctypes;
    under cli.common.ctrl_c it is raised again in the main thread."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)   # brian2, once imported, has its own
    try:
        callback = ctypes.CFUNCTYPE(None)(lambda: signal.raise_signal(signal.SIGINT))
        t0 = time.perf_counter()
        with pytest.raises(KeyboardInterrupt):
            with CtrlC(repeat_s=0.1):
                callback()                # the KeyboardInterrupt raised in here goes nowhere
                time.sleep(10.0)
        assert time.perf_counter() - t0 < 2.0
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, previous)


def test_ctrl_c_in_train_keeps_the_last_checkpoint(tmp_path):
    path = tmp_path / "run.h5"
    child = subprocess.Popen([sys.executable, "-m", "neurosim.cli", "train", *TINY, "--epochs", "100000",
                              "--out", str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             preexec_fn=interruptible)
    try:
        deadline = time.time() + 120
        while not path.exists() and time.time() < deadline and child.poll() is None:
            time.sleep(0.2)
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=30)
    finally:
        child.kill()
    lines = [x for x in err.strip().splitlines() if x != NOTICE]   # the notice where kernels compiled
    assert child.returncode == 130 and len(lines) == 1 and "Traceback" not in err
    epoch = ns.load(path)["training"].epoch
    assert lines[0] == f"neurosim train: interrupted: the checkpoint {path} holds epoch {epoch}" and epoch >= 1
    assert [p.name for p in tmp_path.iterdir()] == ["run.h5"]


def test_a_save_removes_the_temp_files_of_killed_saves(tmp_path):
    dead = tmp_path / ".x.h5.4194999-a1b2c3.tmp"           # no such process
    legacy = tmp_path / ".x.h5.k9z8y7x6.tmp"               # an older neurosim's name: no pid
    alive = tmp_path / ".x.h5.1-q1w2e3.tmp"                # pid 1 runs: another save in progress
    other = tmp_path / ".y.h5.4194999-a1b2c3.tmp"          # another file's
    for p in (dead, legacy, alive, other):
        p.write_bytes(b"half a file")
    ns.save(np.arange(3), tmp_path / "x.h5")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["x.h5", alive.name, other.name])


# -------------------------------------- 10. sweep runners are registered names
def test_sweep_refuses_an_arbitrary_runner_without_allow_import(tmp_path, capsys):
    cfg = tmp_path / "evil.toml"
    marker = tmp_path / "ran"
    cfg.write_text(f"[sweep]\nrunner = 'subprocess:run'\n[fixed]\nargs = 'touch {marker}'\n[grid]\nshell = [true]\n")
    rc, _, err = cli(["sweep", cfg, "--out", tmp_path / "r.h5"], capsys)
    assert rc == 2 and "not a registered runner" in err and "--allow-import" in err and not marker.exists()
    sweep = load_sweep()
    with pytest.raises(ValueError, match="allow_import"):
        sweep.resolve_runner("os:getcwd")
    assert sweep.resolve_runner("os:getcwd", allow_import=True) is os.getcwd
    assert sweep.load_config(cfg, allow_import=True).runner == "subprocess:run"


# ---------------------------------------------------------------- also
def test_no_traceback_for_bad_files_and_directories(tmp_path, capsys):
    garbled = tmp_path / "garbled.h5"
    garbled.write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(range(256)) * 4)
    for argv, match in ((["info", garbled], "garbled.h5"), (["info", tmp_path], "a directory"),
                        (["eval", tmp_path], "a directory"), (["hw", "estimate", garbled], "garbled.h5")):
        rc, _, err = cli(argv, capsys)
        assert rc == 2 and match in err


@pytest.mark.parametrize("mode,layout", [(m, lay) for m in ("sync", "prob", "async") for lay in ("csc", "dense")])
def test_relaxation_in_slices_equals_one_call(monkeypatch, mode, layout):
    """relax and relax_phases cut long runs into kernel calls (Ctrl-C is seen
    between them): one step per call gives the same states, steps, flips and
    trajectories as a single call, and the same fields (to rounding, for CSC
    sync / prob, whose slices restart the candidate order)."""
    cn = ns.compile(topologies.core(60, rho=0.5, j_d=0.1, seed=2, input_dim=6, lam_x=0.3),
                    dense_threshold=0.0 if layout == "dense" else 2.0)
    x = np.random.default_rng(1).choice([-1.0, 1.0], size=(9, 6))
    fields = np.stack([cn.field(x=x), cn.field(x=-x), cn.field(x=x)])

    def run():
        r = ns.relax(cn, x=x, mode=mode, p=0.6, max_steps=40, seed=4, record=True)
        ph = ns.engine.relax_phases(cn, fields, [3, 40, 40], mode=mode, p=0.6, seeds=[1, 2, 3])
        return r, ph

    monkeypatch.setattr(relax_module, "FIRST_SLICE", 10 ** 6)
    whole, phases = run()
    assert not whole.converged.all()                 # some rows run to the limit
    monkeypatch.setattr(relax_module, "FIRST_SLICE", 1)
    monkeypatch.setattr(relax_module, "SLICE_VALUES", 0)
    sliced, _ = run()
    monkeypatch.setattr(relax_module, "ONE_CALL_STEPS", 0)
    _, sliced_phases = run()
    for name in ("states", "steps", "converged", "flips", "trajectory"):
        np.testing.assert_array_equal(getattr(sliced, name), getattr(whole, name), err_msg=name)
    for name in ("ends", "steps", "converged"):
        np.testing.assert_array_equal(getattr(sliced_phases, name), getattr(phases, name), err_msg=name)
    exact = mode == "async" or layout == "dense"
    np.testing.assert_allclose(sliced_phases.recurrent, phases.recurrent, rtol=0, atol=0 if exact else 1e-12)


def test_resume_reads_settings_stored_under_their_old_names(tmp_path):
    """Checkpoints of earlier releases store the rule as 'variant' (now --rule)."""
    from neurosim.cli import make_parser
    from neurosim.cli.train import check_resume
    args = make_parser().parse_args(["train", "--rule", "sym1", "--out", str(tmp_path / "x.h5"), "--resume"])
    check_resume(args, {"args": {"variant": "sym1"}})
    with pytest.raises(ValueError, match=r"--rule sym1 \(the checkpoint has asym\)"):
        check_resume(args, {"args": {"variant": "asym"}})
