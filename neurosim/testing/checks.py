"""The assertions of the conformance suite: a discrete backend equals the golden
trajectory step for step; a continuous one settles only in discrete fixed points;
a backend that declares ``agrees_with`` reproduces that backend within its tolerance.
Each raises AssertionError saying where the first difference is."""
import numpy as np

from ..engine import is_fixed_point, local_fields


def _fail(label, text):
    raise AssertionError(f"{label}: {text}" if label else text)


def _expected(expected):
    return getattr(expected, "expected", expected)   # a Golden holds its Trajectories


def assert_same_trajectory(result, expected, label=""):
    """``result`` (a RunResult, or any object with ``trajectory``, ``steps``,
    ``converged`` and ``states``) equals ``expected`` (a Golden, or reference
    Trajectories) step for step: the same steps, convergence and end states, the
    same states at every step up to each sample's end, and after it (where the
    result recorded more steps) the end state again."""
    exp = _expected(expected)
    B, n = exp.trajectory.shape[0], exp.trajectory.shape[2]
    states, traj = np.asarray(result.states), result.trajectory
    if states.shape != (B, n):
        _fail(label, f"states have shape {states.shape}, expected {(B, n)}")
    if traj is None:
        _fail(label, "no trajectory recorded (the run was asked for record=True)")
    traj = np.asarray(traj)
    if traj.ndim != 3 or traj.shape[0] != B or traj.shape[2] != n or traj.shape[1] < int(exp.steps.max()) + 1:
        _fail(label, f"the trajectory has shape {traj.shape}, expected [{B}, >= {int(exp.steps.max()) + 1}, {n}]")
    for b in range(B):
        end = int(exp.steps[b])
        diff = np.nonzero(np.any(traj[b, :end + 1] != exp.trajectory[b, :end + 1], axis=1))[0]
        if diff.size:
            t = int(diff[0])
            where = np.nonzero(traj[b, t] != exp.trajectory[b, t])[0]
            _fail(label, f"sample {b}, step {t}: neurons {where[:8].tolist()} are {traj[b, t, where[:8]].tolist()}, "
                         f"expected {exp.trajectory[b, t, where[:8]].tolist()}")
        later = np.nonzero(np.any(traj[b, end + 1:] != exp.trajectory[b, end], axis=1))[0]
        if later.size:
            _fail(label, f"sample {b}: the state changes at step {end + 1 + int(later[0])}, after the end of the run "
                         f"at step {end}")
    for name in ("steps", "converged"):
        got, want = np.asarray(getattr(result, name)), getattr(exp, name)
        if not np.array_equal(got, want):
            _fail(label, f"{name} {got.tolist()}, expected {want.tolist()}")
    if not np.array_equal(states, exp.states):
        _fail(label, "the end states differ from the last states of the trajectory")


def assert_settled_fixed_points(result, network, field, exact=True):
    """Continuous time: every settled sample's state is a fixed point of the
    discrete dynamics under ``field`` (sgn(0) = +1); with ``exact`` (the hard-sign
    and Poisson variants, whose settling criterion is being such a fixed point)
    every sample whose state is one is settled too."""
    states = np.asarray(result.states)
    fixed = is_fixed_point(network, states, field) & np.all(states != 0, axis=1)
    settled = np.asarray(result.converged, dtype=bool)
    if np.any(settled & ~fixed):
        raise AssertionError(f"samples {np.nonzero(settled & ~fixed)[0].tolist()} are settled in a state that is "
                             "not a discrete fixed point")
    if exact and np.any(fixed & ~settled):
        raise AssertionError(f"samples {np.nonzero(fixed & ~settled)[0].tolist()} are in a discrete fixed point "
                             "but not reported settled")


def assert_agree(result, reference, tolerance, label=""):
    """``result`` reproduces ``reference`` (two continuous-time RunResults): the same
    states, settling, flips and state trajectories; u, its trajectory and the settle
    times within ``tolerance`` relative to the largest |u| of the reference (at least 1)."""
    for name in ("states", "converged", "flips", "trajectory"):
        got, want = getattr(result, name), getattr(reference, name)
        if (got is None) != (want is None) or (got is not None and not np.array_equal(got, want)):
            _fail(label, f"{name} differs from the reference backend's")
    scale = max(1.0, float(np.abs(reference.u).max(initial=0.0)))
    for name in ("u", "u_trajectory", "times"):
        got, want = getattr(result, name), getattr(reference, name)
        if (got is None) != (want is None):
            _fail(label, f"{name} is recorded by one backend only")
        if got is not None:
            got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
            if got.shape != want.shape or not np.array_equal(np.isnan(got), np.isnan(want)):
                _fail(label, f"{name} differs from the reference backend's (shape or NaN)")
            err = float(np.nanmax(np.abs(got - want), initial=0.0))
            if err > tolerance * scale:
                _fail(label, f"{name} differs by {err:.3g} > {tolerance:g} x {scale:.3g}")


def check_case(backend, golden):
    """Run ``golden``'s case on ``backend`` and check it by the backend's contract;
    returns the result. A continuous backend must settle some sample, unless the
    case's discrete end states hold exact ties (h_i = 0): there u_i decays towards
    0 without crossing it, and such a fixed point is never reached in continuous time. Raises :class:`neurosim.backends.Unsupported` where the
    backend declares the case's feature unsupported."""
    from ..backends import get
    label = f"{backend.name} on {golden.case.id}"
    result = golden.run(backend)
    if backend.time == "discrete":
        assert_same_trajectory(result, golden, label)
    else:
        assert_settled_fixed_points(result, golden.network, golden.field,
                                    exact=result.options.get("variant", "hard") != "tanh")
        tied = np.any(local_fields(golden.network, golden.expected.states, golden.field) == 0)
        if not tied and not np.asarray(result.converged).any():
            raise AssertionError(f"{label}: no sample settled within {golden.max_steps} time constants")
    if backend.agrees_with is not None:
        name, tolerance = backend.agrees_with
        other = get(name)
        ref = golden.run(other, options={k: v for k, v in result.options.items() if k in other.options})
        assert_agree(result, ref, tolerance, f"{label} against {name}")
    return result
