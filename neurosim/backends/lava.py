"""The Lava backend (``neurosim.hw.lava``) in floating and in fixed point: the
batch is exported sample by sample and run in one worker process."""
import numpy as np

from .contract import Backend, RunResult
from .platform import lava_platform, missing

LAVA_COST = ("each batch starts a worker process and Lava (about 1.5 s), then builds and runs one Lava graph "
             "per sample (about 0.6 s each)")


class LavaBackend(Backend):
    name = "lava"
    summary = "Lava (lava-nc 0.10, Loihi2SimCfg) in floating point: equals the numba engine step for step"
    options = {"timeout": 120.0, "wire": None, "profile": "loihi2"}
    suite, suite_reason = "quick", LAVA_COST
    fixed_point = False

    @property
    def unsupported(self):
        from ..hw.lava import ASYNC_REASON
        return {("mode", "async"): ASYNC_REASON}

    def unavailable(self):
        return lava_platform() or missing("lava.magma", "lava")

    def execute(self, req):
        from ..hw.lava import export, run_many
        o = req.options
        nets = [export(req.cn, field=req.field, s0=req.s0, mode=req.mode, p=req.p, seed=req.seed, sample=k,
                       fixed_point=self.fixed_point, wire=o["wire"], profile=o["profile"], tie=req.tie)
                for k in range(req.batch)]
        runs = run_many(nets, req.max_steps, timeout=o["timeout"]) if nets else []
        n = req.cn.n
        states = np.array([r.states for r in runs], dtype=np.int8).reshape(-1, n)
        steps = np.array([r.steps for r in runs], dtype=np.int64)
        converged = np.array([r.converged for r in runs], dtype=bool)
        traj = None
        if req.record:
            traj = np.array([r.trajectory for r in runs], dtype=np.int8).reshape(-1, req.max_steps + 1, n)
        return RunResult(states, steps, converged, trajectory=traj, raw=runs)


class LavaFixedBackend(LavaBackend):
    name = "lava-fixed"
    summary = ("Lava in fixed point (bit-accurate Loihi 2 models): needs integer weights in the hardware range "
               "(neurosim.hw.quantize(cn).network and qn.quantize_field(b)); equals numba on them step for step")
    fixed_point = True
