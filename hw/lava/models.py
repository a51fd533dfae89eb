"""ProcessModels of :mod:`neurosim.hw.lava.process` (floating point and fixed
point). Definitions only: no import side effects, absolute imports (Lava's model
discovery also executes this file outside its package).

The step is written once (:class:`_SignStep`) for both precisions; the fixed-point
models declare integer Vars and ports (24-bit state, 7-bit unsigned traces) and take
integer weights, bias, J_D and kappa from :func:`neurosim.hw.quantize`.
:class:`InputSpikes` only sends its constant x on the two spike lines. The
probability-p gates replay ``neurosim.rng.uniform_array`` (a pure function), so the
simulation follows the numba engine draw for draw; a chip would use its own RNG.
"""
import numpy as np
from lava.magma.core.decorator import implements, requires, tag
from lava.magma.core.model.py.model import PyLoihiProcessModel
from lava.magma.core.model.py.neuron import LearningNeuronModelFixed, LearningNeuronModelFloat
from lava.magma.core.model.py.ports import PyInPort, PyOutPort
from lava.magma.core.model.py.type import LavaPyType
from lava.magma.core.resources import CPU
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol

from neurosim.hw.lava.process import InputSpikes, PlasticSignNeuron, SignNeuron
from neurosim.rng import GATE, uniform_array


class _SignStep:
    """The neuron step shared by every model (see SignNeuron)."""

    def _check_failure(self):
        fail = self.proc_params.get("fail_at_step", -1)
        if fail >= 0 and self.time_step >= fail:
            raise RuntimeError(f"SignNeuron: deliberate failure at Lava step {self.time_step} (fail_at_step)")

    def _relax_step(self, a):
        s = self.s
        h = a + self.j_d * s + self.bias
        new = np.where(h > 0, 1, np.where(h < 0, -1, self.tie[0])).astype(s.dtype)
        unstable = new != s
        count = int(np.count_nonzero(unstable))
        t = int(self.t_rel[0])
        if count == 0 and self.stable_at[0] < 0:
            self.stable_at[0] = t
        if count and self.prob[0]:
            idx = np.flatnonzero(unstable)
            draw = uniform_array(int(self.seed[0]), GATE, t, int(self.sample[0]), idx)
            unstable[idx] = draw < self.p[0]
        self.s = np.where(unstable, new, s)
        self.h = h
        self.n_unstable[0] = count
        self.t_rel[0] = t + 1
        k = int(self.rec_len[0])
        if k < self.rec.shape[0]:
            self.rec[k] = self.s
        self.rec_len[0] = k + 1

    def _send_state(self):
        s = self.s
        self.s_out.send(s)
        self.s_pos.send(s > 0)
        self.s_neg.send(s < 0)


class _PlasticStep(_SignStep):
    """Relax (learn = 0) or hold the state and open the margin gates (learn = 1):
    y2 / y3 = y_scale g 1(s = +-1) (Eq. 84), y1 = y1_zero + y1_step s g_in (Eq. 85)."""

    def run_spk(self):
        self._check_failure()
        a = self.a_in.recv()
        zero = np.zeros_like(self.y2)
        y1 = zero + self.y1_zero[0]
        if self.learn[0]:
            s = self.s
            h = a + self.j_d * s + self.bias
            g = (s * h <= self.kappa[0]) & (s != 0)
            g_in = (s * h <= self.kappa_in[0]) & (s != 0)
            self.h = h
            self.g = g.astype(self.g.dtype)
            self.g_in = g_in.astype(self.g_in.dtype)
            y = self.y_scale[0] * g
            self.y2 = np.where(s > 0, y, 0).astype(zero.dtype)
            self.y3 = np.where(s < 0, y, 0).astype(zero.dtype)
            y1 = y1 + self.y1_step[0] * s * g_in
        else:
            self._relax_step(a)
            self.y2 = zero
            self.y3 = zero.copy()
        self.y1 = y1.astype(zero.dtype)
        self._send_state()
        self.s_out_bap.send(np.zeros(self.s.shape, dtype=bool))
        self.s_out_y1.send(self.y1)
        self.s_out_y2.send(self.y2)
        self.s_out_y3.send(self.y3)


class _SendInput:
    def run_spk(self):
        self.x_pos.send(self.x > 0)
        self.x_neg.send(self.x < 0)


class _RelaxOnly(_SignStep):
    def run_spk(self):
        self._check_failure()
        self._relax_step(self.a_in.recv())
        self._send_state()


class _FloatVars:
    a_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)
    s_pos: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, bool, precision=1)
    s_neg: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, bool, precision=1)
    s: np.ndarray = LavaPyType(np.ndarray, float)
    bias: np.ndarray = LavaPyType(np.ndarray, float)
    j_d: np.ndarray = LavaPyType(np.ndarray, float)
    h: np.ndarray = LavaPyType(np.ndarray, float)
    prob: np.ndarray = LavaPyType(np.ndarray, int)
    tie: np.ndarray = LavaPyType(np.ndarray, int)
    p: np.ndarray = LavaPyType(np.ndarray, float)
    seed: np.ndarray = LavaPyType(np.ndarray, np.int64)
    sample: np.ndarray = LavaPyType(np.ndarray, np.int64)
    t_rel: np.ndarray = LavaPyType(np.ndarray, np.int64)
    stable_at: np.ndarray = LavaPyType(np.ndarray, np.int64)
    n_unstable: np.ndarray = LavaPyType(np.ndarray, np.int64)
    rec: np.ndarray = LavaPyType(np.ndarray, float)
    rec_len: np.ndarray = LavaPyType(np.ndarray, np.int64)


class _FixedVars:
    a_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=24)
    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32, precision=24)
    s_pos: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, bool, precision=1)
    s_neg: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, bool, precision=1)
    s: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=2)
    bias: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=24)
    j_d: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=24)
    h: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=24)
    prob: np.ndarray = LavaPyType(np.ndarray, int)
    tie: np.ndarray = LavaPyType(np.ndarray, int)
    p: np.ndarray = LavaPyType(np.ndarray, float)
    seed: np.ndarray = LavaPyType(np.ndarray, np.int64)
    sample: np.ndarray = LavaPyType(np.ndarray, np.int64)
    t_rel: np.ndarray = LavaPyType(np.ndarray, np.int64)
    stable_at: np.ndarray = LavaPyType(np.ndarray, np.int64)
    n_unstable: np.ndarray = LavaPyType(np.ndarray, np.int64)
    rec: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=2)
    rec_len: np.ndarray = LavaPyType(np.ndarray, np.int64)


@implements(proc=SignNeuron, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PySignNeuronFloat(_RelaxOnly, _FloatVars, PyLoihiProcessModel):
    """SignNeuron in floating point (float64 state, field and weights)."""


@implements(proc=SignNeuron, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt", "bit_accurate_loihi")
class PySignNeuronFixed(_RelaxOnly, _FixedVars, PyLoihiProcessModel):
    """SignNeuron in fixed point: integer field (24-bit), bias and J_D."""


@implements(proc=PlasticSignNeuron, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyPlasticSignNeuronFloat(_PlasticStep, _FloatVars, LearningNeuronModelFloat):
    """PlasticSignNeuron in floating point."""

    learn: np.ndarray = LavaPyType(np.ndarray, int)
    kappa: np.ndarray = LavaPyType(np.ndarray, float)
    y_scale: np.ndarray = LavaPyType(np.ndarray, float)
    g: np.ndarray = LavaPyType(np.ndarray, float)
    kappa_in: np.ndarray = LavaPyType(np.ndarray, float)
    y1_zero: np.ndarray = LavaPyType(np.ndarray, float)
    y1_step: np.ndarray = LavaPyType(np.ndarray, float)
    g_in: np.ndarray = LavaPyType(np.ndarray, float)


@implements(proc=PlasticSignNeuron, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt", "bit_approximate_loihi")
class PyPlasticSignNeuronFixed(_PlasticStep, _FixedVars, LearningNeuronModelFixed):
    """PlasticSignNeuron in fixed point: integer kappa and kappa_in, y_scale = eta and
    y1_zero = y1_step = lam_x eta_in in weight LSBs (7-bit traces)."""

    learn: np.ndarray = LavaPyType(np.ndarray, int)
    kappa: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=24)
    y_scale: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=7)
    g: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=1)
    kappa_in: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=24)
    y1_zero: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=7)
    y1_step: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=7)
    g_in: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=1)


@implements(proc=InputSpikes, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyInputSpikesFloat(_SendInput, PyLoihiProcessModel):
    """InputSpikes in floating point."""

    x: np.ndarray = LavaPyType(np.ndarray, float)
    x_pos: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, bool, precision=1)
    x_neg: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, bool, precision=1)


@implements(proc=InputSpikes, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt", "bit_accurate_loihi")
class PyInputSpikesFixed(_SendInput, PyLoihiProcessModel):
    """InputSpikes in fixed point."""

    x: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=2)
    x_pos: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, bool, precision=1)
    x_neg: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, bool, precision=1)


MODELS = {
    ("SignNeuron", False): PySignNeuronFloat,
    ("SignNeuron", True): PySignNeuronFixed,
    ("PlasticSignNeuron", False): PyPlasticSignNeuronFloat,
    ("PlasticSignNeuron", True): PyPlasticSignNeuronFixed,
    ("InputSpikes", False): PyInputSpikesFloat,
    ("InputSpikes", True): PyInputSpikesFixed,
}
