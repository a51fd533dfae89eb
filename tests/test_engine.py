"""The numba engine against the plain-numpy reference of Eq. 82 (neurosim.testing), on
every topology, mode and coupling layout; fixed-point properties; thread-count and
seed reproducibility."""
import numba
import numpy as np
import pytest

import neurosim as ns
from neurosim import backends
from neurosim.analysis import enumerate_fixed_points
from neurosim.testing import CASES, assert_same_trajectory, load
from neurosim.testing.reference import dense_couplings, field, sgn, trajectory

MODES = [("sync", 1.0), ("prob", 0.5), ("prob", 0.0), ("prob", 1.0), ("async", 1.0)]


def inputs(cn, batch, seed):
    rng = np.random.default_rng(seed)
    x = rng.choice([-1.0, 1.0], size=(batch, cn.input_dim)) if cn.input_dim else None
    y = None
    if cn.w_back.shape[1]:
        y = -np.ones((batch, cn.w_back.shape[1]))
        y[np.arange(batch), rng.integers(0, y.shape[1], batch)] = 1.0
    s0 = rng.choice([-1, 1], size=(batch, cn.n)).astype(np.int8)
    s0[0] = 0  # the neutral start
    return x, y, s0


@pytest.mark.parametrize("dense_threshold", [2.0, 0.0], ids=["csc", "dense"])
def test_engine_equals_golden_in_every_layout(dense_threshold):
    """Every case of the conformance suite (the stored reference trajectories) with
    every non-empty coupling map stored as CSC or as dense blocks (neurosim.couplings);
    the registered numba backend runs them in the default layouts."""
    numba_backend = backends.get("numba")
    for case in CASES:
        g = load(case)
        cn = ns.CompiledNetwork(**{k: getattr(g.network, k) for k in g.network.ARRAYS + g.network.SCALARS},
                                dense_threshold=dense_threshold)
        want = "dense" if dense_threshold == 0.0 else "csc"
        assert cn.layouts["j"] == want or not g.network.j_data.size
        assert_same_trajectory(numba_backend.run(cn, field=g.field, s0=g.s0, mode=case.mode, p=case.p,
                                                 max_steps=g.max_steps, seed=g.seed, tie=case.tie, record=True),
                               g, f"{case.id} ({want})")


def dyadic(cn):
    """cn with J, K, J_D, W_in rounded to multiples of 2^-8 (at most 1 in size):
    every field is then exact in single precision, whatever the order of its sums."""
    def r(a):
        return np.clip(np.round(np.asarray(a, dtype=np.float64) * 256) / 256, -1, 1)
    J, K = cn.learnable(), cn.fixed()
    J.data, K.data = r(J.data), r(K.data)
    return cn.with_couplings(learnable=J if J.nnz else None, fixed=K if K.nnz else None, j_d=r(cn.j_d),
                             w_in=r(cn.w_in), w_back=r(cn.w_back))


@pytest.mark.parametrize("mode,p", MODES)
def test_float32_equals_a_float32_reference(stored_case, mode, p):
    """dtype="float32" (couplings and recurrent fields in single precision) on
    dyadic weights equals a reference that computes every field in float32."""
    name, cn = stored_case
    cn = dyadic(cn)
    single = ns.CompiledNetwork(**{k: getattr(cn, k) for k in cn.ARRAYS + cn.SCALARS}, layouts=cn.layouts,
                                dtype="float32")
    assert single.dtype == np.float32 and single.layouts == cn.layouts
    x, y, s0 = inputs(cn, 4, seed=7)
    res = ns.relax(single, x=x, y=y, s0=s0, mode=mode, p=p, max_steps=30, seed=2, record=True)
    M = dense_couplings(cn).astype(np.float32)
    for b in range(4):
        bf = field(cn, None if x is None else x[b], None if y is None else y[b]).astype(np.float32)
        ref = trajectory(M, bf, s0[b], mode, 30, p=p, seed=2, sample=b)
        np.testing.assert_array_equal(res.trajectory[b, :ref.shape[0]], ref, err_msg=name)
        assert res.steps[b] == ref.shape[0] - 1


@pytest.mark.parametrize("tie", ["plus", "zero"])
@pytest.mark.parametrize("mode,p", MODES)
def test_neutral_start_equals_reference(stored_case, mode, p, tie):
    """A batch that starts all neutral (sync / prob take their first step for the
    whole batch before the kernels): trajectories, steps and flips equal the
    reference, for B = 5 and with max_steps = 1."""
    name, cn = stored_case
    x, y, _ = inputs(cn, 5, seed=6)
    zero = np.zeros(cn.n, dtype=np.int8)
    M = dense_couplings(cn)
    for max_steps in (1, 40):
        res = ns.relax(cn, x=x, y=y, mode=mode, p=p, max_steps=max_steps, seed=4, record=True, tie=tie)
        for b in range(res.states.shape[0]):  # 1 when the network has neither input nor target
            bf = field(cn, None if x is None else x[b], None if y is None else y[b])
            ref = trajectory(M, bf, zero, mode, max_steps, p=p, seed=4, sample=b, tie=tie)
            T = ref.shape[0]
            assert res.steps[b] == T - 1, (name, mode, b)
            np.testing.assert_array_equal(res.trajectory[b, :T], ref)
            assert res.flips[b] == int((ref[1:] != ref[:-1]).sum())


def test_prob_p1_is_sync_and_p0_is_frozen(case):
    _, cn = case
    x, y, s0 = inputs(cn, 3, seed=1)
    s0[0] = 1
    sync = ns.relax(cn, x=x, y=y, s0=s0, mode="sync", max_steps=30)
    p1 = ns.relax(cn, x=x, y=y, s0=s0, mode="prob", p=1.0, max_steps=30)
    np.testing.assert_array_equal(sync.states, p1.states)
    p0 = ns.relax(cn, x=x, y=y, s0=s0, mode="prob", p=0.0, max_steps=30)
    np.testing.assert_array_equal(p0.states, s0)


@pytest.mark.parametrize("mode", ["sync", "prob", "async"])
def test_fixed_points_satisfy_margin_condition(case, mode):
    _, cn = case
    x, y, s0 = inputs(cn, 6, seed=3)
    res = ns.relax(cn, x=x, s0=s0, mode=mode, p=0.5, max_steps=500, seed=1)
    b = cn.field(x=x)
    h = ns.local_fields(cn, res.states, b)
    ok = (res.states * h > 0) | ((h == 0) & (res.states == 1))
    assert res.converged.any()
    np.testing.assert_array_equal(ok.all(axis=1), res.converged)


def test_ties_resolve_to_plus_one_or_zero():
    from conftest import tie_network
    cn = ns.compile(tie_network())
    s = -np.ones((1, 6), dtype=np.int8)
    h = ns.local_fields(cn, s, cn.field(x=np.zeros(2)))
    assert (h == 0).sum() >= 2  # the case really has exact ties
    res = ns.relax(cn, x=np.zeros(2), s0=s, max_steps=1)
    np.testing.assert_array_equal(res.states[0], np.where(h[0] >= 0, 1, -1))
    res = ns.relax(cn, x=np.zeros(2), s0=s, max_steps=1, tie="zero")
    np.testing.assert_array_equal(res.states[0], np.sign(h[0]))
    assert (res.states == 0).sum() >= 2
    with pytest.raises(ValueError, match="tie must be one of"):
        ns.relax(cn, x=np.zeros(2), tie="minus")


def test_count_unstable_counts_the_states_off_sgn_h():
    """neurosim.engine.count_unstable (the trainer's unstable fraction) is the number
    of entries with s_i != sgn(h_i), under either tie rule."""
    from conftest import tie_network
    cn = ns.compile(tie_network())
    s = np.random.default_rng(0).integers(-1, 2, (5, 6)).astype(np.int8)
    h = ns.local_fields(cn, s, cn.field(x=np.zeros(2)))
    assert (h == 0).any() and (s == 0).any()
    for tie in ("plus", "zero"):
        assert ns.engine.count_unstable(s, h, tie) == int((ns.engine.sign(h, tie) != s).sum())


@pytest.mark.parametrize("mode,p", MODES)
def test_tie_zero_keeps_zero_fields_neutral_in_every_mode(mode, p):
    """The tie case from the neutral start and from +-1 states: under tie "zero"
    neurons with an exactly-zero field become (or stay) 0 in every mode, as in
    the reference; "plus" never produces a 0 after an update."""
    from conftest import tie_network
    cn = ns.compile(tie_network())
    M = dense_couplings(cn)
    x = np.array([[0.0, 0.0], [1.0, -1.0], [1.0, 1.0], [0.0, 1.0]])
    zeros = 0
    for s0 in (np.zeros((4, 6), dtype=np.int8), np.tile(np.array([1, -1, 1, -1, 1, -1], np.int8), (4, 1))):
        for tie in ("plus", "zero"):
            res = ns.relax(cn, x=x, s0=s0, mode=mode, p=p, max_steps=20, seed=3, tie=tie, record=True)
            for b in range(4):
                ref = trajectory(M, field(cn, x[b]), s0[b], mode, 20, p=p, seed=3, sample=b, tie=tie)
                np.testing.assert_array_equal(res.trajectory[b, :ref.shape[0]], ref)
            if tie == "zero":
                zeros += int((res.states == 0).sum())
            elif p > 0:
                assert not ((res.states == 0) & (res.trajectory[:, 1:] != 0).any(axis=1)).any()
    assert zeros > 0 or p == 0.0


def test_exhaustive_fixed_points_equal_sync_identity():
    net = ns.Network(seed=4)
    net.add_population("a", 12, j_d=0.4)
    net.connect("a", "a", rho=0.5)
    net.set_input(3, rho=1.0)
    cn = ns.compile(net)
    x = np.array([0.3, -1.0, 0.5])
    b = cn.field(x=x)[0]
    fps = enumerate_fixed_points(cn, b)
    codes = np.arange(1 << 12)
    every = np.where((codes[:, None] >> np.arange(12)) & 1, 1, -1).astype(np.int8)
    one = ns.relax(cn, x=np.tile(x, (every.shape[0], 1)), s0=every, max_steps=1)
    identity = every[(one.states == every).all(axis=1)]
    assert len(fps) > 0
    np.testing.assert_array_equal(np.unique(fps, axis=0), np.unique(identity, axis=0))
    stay = ns.relax(cn, x=np.tile(x, (len(fps), 1)), s0=fps, max_steps=5)
    assert stay.converged.all() and (stay.steps == 0).all()


@pytest.mark.parametrize("mode", ["sync", "prob", "async"])
def test_thread_count_invariance(mode):
    net = ns.Network(seed=2)
    net.add_population("a", 300, j_d=0.3)
    net.connect("a", "a", rho=0.05)
    cn = ns.compile(net)
    s0 = np.random.default_rng(0).choice([-1, 1], size=(16, 300))
    field = np.random.default_rng(1).normal(0, 0.5, (16, 300))
    before = numba.get_num_threads()
    runs = []
    try:
        for threads in (1, numba.config.NUMBA_NUM_THREADS):
            numba.set_num_threads(threads)
            runs.append([ns.relax(cn, s0=start, field=field, mode=mode, p=0.5, max_steps=60, seed=3, record=True)
                         for start in (s0, None)])  # None: the neutral start
    finally:
        numba.set_num_threads(before)
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a.trajectory, b.trajectory)
        np.testing.assert_array_equal(a.steps, b.steps)


@pytest.mark.parametrize("mode", ["prob", "async"])
def test_seed_reproducibility(mode):
    net = ns.Network(seed=2)
    net.add_population("a", 200, j_d=0.2)
    net.connect("a", "a", rho=0.05)
    cn = ns.compile(net)
    s0 = np.random.default_rng(1).choice([-1, 1], size=(4, 200))
    a = ns.relax(cn, s0=s0, mode=mode, p=0.5, max_steps=30, seed=7, record=True)
    b = ns.relax(cn, s0=s0, mode=mode, p=0.5, max_steps=30, seed=7, record=True)
    c = ns.relax(cn, s0=s0, mode=mode, p=0.5, max_steps=30, seed=8, record=True)
    np.testing.assert_array_equal(a.trajectory, b.trajectory)
    assert not np.array_equal(a.trajectory[:, :2], c.trajectory[:, :2])


def test_events_match_trajectory():
    net = ns.Network(seed=5)
    net.add_population("a", 50, j_d=0.5)
    net.connect("a", "a", rho=0.2)
    cn = ns.compile(net)
    s0 = np.random.default_rng(2).choice([-1, 1], size=(3, 50))
    res = ns.relax(cn, s0=s0, mode="async", max_steps=50, record=True)
    ev = res.events()
    assert len(ev) == res.flips.sum()
    for t, b, i in ev:
        assert res.trajectory[b, t, i] == -res.trajectory[b, t - 1, i]


def test_relax_does_not_modify_inputs():
    from conftest import masked_network
    cn = ns.compile(masked_network())
    s0 = np.ones((2, cn.n), dtype=np.int8)
    data = cn.j_data.copy()
    ns.relax(cn, s0=s0, x=np.ones((2, 8)), max_steps=20)
    assert (s0 == 1).all() and np.array_equal(cn.j_data, data)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_relax_into_out_and_in_place(mode):
    net = ns.Network(seed=3)
    net.add_population("a", 120, j_d=0.3)
    net.connect("a", "a", rho=0.1)
    cn = ns.compile(net)
    rng = np.random.default_rng(2)
    s0 = rng.choice(np.array([-1, 1], dtype=np.int8), size=(6, 120))
    b = rng.normal(0, 0.5, (6, 120))
    ref = ns.relax(cn, s0=s0, field=b, mode=mode, max_steps=50)
    out = np.zeros_like(s0)
    into = ns.relax(cn, s0=s0, field=b, mode=mode, max_steps=50, out=out)
    assert into.states is out and not np.array_equal(out, s0)
    np.testing.assert_array_equal(out, ref.states)
    start = s0.copy()
    inplace = ns.relax(cn, s0=start, field=b, mode=mode, max_steps=50, out=start)
    assert inplace.states is start
    np.testing.assert_array_equal(start, ref.states)
    neutral = np.ones((6, 120), dtype=np.int8)
    ns.relax(cn, field=b, mode=mode, max_steps=50, out=neutral)
    np.testing.assert_array_equal(neutral, ns.relax(cn, field=b, mode=mode, max_steps=50).states)


def test_relax_out_errors_leave_out_untouched():
    net = ns.Network(seed=3)
    net.add_population("a", 10, j_d=0.3)
    cn = ns.compile(net)
    s0 = np.ones((2, 10), dtype=np.int8)
    for bad in (np.zeros((2, 10)), np.zeros((2, 9), dtype=np.int8), np.zeros((10, 2), dtype=np.int8).T, [[1] * 10] * 2):
        with pytest.raises(ValueError, match="out must be"):
            ns.relax(cn, s0=s0, out=bad)
    with pytest.raises(ValueError, match="out must have the shape of s0"):
        ns.relax(cn, s0=s0, out=np.zeros((3, 10), dtype=np.int8))
    big = np.ones((4, 10), dtype=np.int8)
    with pytest.raises(ValueError, match="overlaps"):
        ns.relax(cn, s0=big[:2], out=big[1:3])
    out = np.full((2, 10), 7, dtype=np.int8)
    with pytest.raises(ValueError, match="s0 must hold"):
        ns.relax(cn, s0=np.full((2, 10), 2), out=out)
    with pytest.raises(ValueError, match="batch"):
        ns.relax(cn, s0=s0, field=np.zeros((3, 10)), out=out)
    assert (out == 7).all()


def test_verification_interface_sync_end_state():
    from neurosim import topologies
    cn = ns.compile(topologies.chain(3, 30, 0.2, 0.5, 0.5, 1))
    S0 = np.random.default_rng(3).choice([-1, 1], size=(5, cn.n))
    M = cn.coupling_matrix()
    res = ns.relax(cn, s0=S0, mode="sync", max_steps=25)
    for b in range(5):
        s = S0[b].copy()
        for _ in range(25):
            new = np.where(M @ s >= 0, 1, -1)
            if np.array_equal(new, s):
                break
            s = new
        np.testing.assert_array_equal(res.states[b], s)


@pytest.mark.parametrize("mode,p", MODES)
def test_unconverged_runs_equal_reference(mode, p):
    """Runs cut short by max_steps (the end-of-run fixed-point check included)."""
    from conftest import TOPOLOGY_CASES
    cn = ns.compile(TOPOLOGY_CASES["chain"]())
    x, y, s0 = inputs(cn, 6, seed=8)
    M = dense_couplings(cn)
    for max_steps in (1, 2):
        res = ns.relax(cn, x=x, s0=s0, mode=mode, p=p, max_steps=max_steps, seed=2, record=True)
        assert not res.converged.all()
        for b in range(6):
            bf = field(cn, x[b])
            ref = trajectory(M, bf, s0[b], mode, max_steps, p=p, seed=2, sample=b)
            np.testing.assert_array_equal(res.trajectory[b, :len(ref)], ref)
            assert res.converged[b] == np.array_equal(sgn(M @ ref[-1] + bf), ref[-1])
