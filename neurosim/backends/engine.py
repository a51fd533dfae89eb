"""The numba reference engine (``neurosim.relax``) as a backend of the run contract."""
from ..engine import relax
from .contract import Backend, RunResult


class NumbaBackend(Backend):
    name = "numba"
    summary = "the reference engine, neurosim.relax (sync, prob, async; both tie rules)"

    def execute(self, req):
        res = relax(req.cn, field=req.field, s0=req.s0, mode=req.mode, p=req.p, max_steps=req.max_steps,
                    seed=req.seed, record=req.record, tie=req.tie)
        return RunResult(res.states, res.steps, res.converged, trajectory=res.trajectory, flips=res.flips, raw=res)
