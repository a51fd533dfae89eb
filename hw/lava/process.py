"""Lava Processes of neurosim's binary sign neuron (definitions only: Lava's model
discovery imports every module of this folder, so nothing here has an import side
effect, and every import is absolute).

One :class:`SignNeuron` holds N neurons s_i in {-1, 0, +1} (0: neutral, not updated
yet). One Lava time step k = one step of ``neurosim.relax``:

    h_i = a_in_i + J_D,i s_i + bias_i          a_in = (J + K) s(k-1) from the Sparse synapses
    s_i(k) = sgn(h_i) (sgn(0) := +1)           every unstable neuron (sync), or those with
                                               u(seed, GATE, t, sample, i) < p (prob; t = k - 1)

and sends s(k) three ways: ``s_out`` graded +-1 (needs num_message_bits > 0 on the
synapses), ``s_pos`` a binary spike iff s = +1 and ``s_neg`` iff s = -1 (the dual
rail: Sparse(W) on s_pos plus Sparse(-W) on s_neg delivers W s with binary spikes).

:class:`PlasticSignNeuron` adds the margin gates of Eqs. 84-85 as the third factor of
``Loihi3FLearningRule`` s: in a step with ``learn = 1`` it keeps its state, computes
g_i = 1(s_i h_i <= kappa) and g_in_i = 1(s_i h_i <= kappa_in) on the field of that
state and writes y2 = y_scale g 1(s=+1), y3 = y_scale g 1(s=-1) (the J rule) and
y1 = y1_zero + y1_step s g_in (the W_in rule; y1 = y1_zero in the other steps) to its
post traces.

:class:`InputSpikes` holds a constant input x in {-1, +1}^D and sends it every step
on two binary spike lines (``x_pos`` iff x_k = +1, ``x_neg`` iff x_k = -1), the
presynaptic side of the learnable W_in synapses.
"""
import typing as ty

from lava.magma.core.process.neuron import LearningNeuronProcess
from lava.magma.core.process.ports.ports import InPort, OutPort
from lava.magma.core.process.process import AbstractProcess, LogConfig
from lava.magma.core.process.variable import Var


class SignNeuron(AbstractProcess):
    """N binary sign neurons (see the module docstring).

    Parameters: ``s`` initial states, ``bias`` the constant external field b,
    ``j_d`` the self-coupling, ``prob`` / ``p`` the probability-p update, ``seed`` /
    ``sample`` the key of the counter-based gate draws, ``tie`` the state a neuron
    takes when its field is exactly 0 (1: sgn(0) = +1, 0: neutral), ``record`` the
    number of steps whose states are kept in the Var ``rec`` (row k-1 = s(k)). ``fail_at_step``
    (testing aid) makes the model raise at that step.
    """

    def __init__(self, *, shape: ty.Tuple[int, ...], s=0, bias=0, j_d=0, prob: bool = False,
                 p: float = 1.0, seed: int = 0, sample: int = 0, tie: int = 1, record: int = 0,
                 fail_at_step: int = -1, name: ty.Optional[str] = None,
                 log_config: ty.Optional[LogConfig] = None, **kwargs) -> None:
        super().__init__(shape=shape, fail_at_step=int(fail_at_step), name=name, log_config=log_config,
                         **kwargs)
        n = int(shape[0])
        self.a_in = InPort(shape=shape)
        self.s_out = OutPort(shape=shape)
        self.s_pos = OutPort(shape=shape)
        self.s_neg = OutPort(shape=shape)
        self.s = Var(shape=shape, init=s)
        self.bias = Var(shape=shape, init=bias)
        self.j_d = Var(shape=shape, init=j_d)
        self.h = Var(shape=shape, init=0)              # field of the previous state, J_D included
        self.prob = Var(shape=(1,), init=int(bool(prob)))
        self.p = Var(shape=(1,), init=float(p))
        self.seed = Var(shape=(1,), init=int(seed))
        self.sample = Var(shape=(1,), init=int(sample))
        self.tie = Var(shape=(1,), init=int(tie))
        self.t_rel = Var(shape=(1,), init=0)           # 0-based step index of the relaxation
        self.stable_at = Var(shape=(1,), init=-1)      # first t with s(t) a fixed point, -1: none yet
        self.n_unstable = Var(shape=(1,), init=-1)     # unstable neurons of the last state checked
        self.rec = Var(shape=(max(int(record), 1), n), init=0)
        self.rec_len = Var(shape=(1,), init=0)


class PlasticSignNeuron(LearningNeuronProcess, SignNeuron):
    """A :class:`SignNeuron` that supplies the margin gates to Loihi3F learning rules
    (``learning_rule``) through its post traces. Vars: ``learn`` (0/1), ``kappa`` (the
    J margin), ``y_scale`` (y2 / y3 of an open gate: eta in floating point, eta in
    weight LSBs <= 127 in fixed point), ``g`` (the last J gate); for W_in,
    ``kappa_in``, ``y1_zero`` (y1 of a closed gate), ``y1_step`` (the update size) and
    ``g_in`` (the last W_in gate).
    """

    def __init__(self, *, shape: ty.Tuple[int, ...], learning_rule, kappa=0.0, y_scale=1.0,
                 kappa_in=0.0, y1_zero=0.0, y1_step=0.0, **kwargs) -> None:
        super().__init__(shape=shape, learning_rule=learning_rule, **kwargs)
        self.learn = Var(shape=(1,), init=0)
        self.kappa = Var(shape=(1,), init=kappa)
        self.y_scale = Var(shape=(1,), init=y_scale)
        self.g = Var(shape=shape, init=0)
        self.kappa_in = Var(shape=(1,), init=kappa_in)
        self.y1_zero = Var(shape=(1,), init=y1_zero)
        self.y1_step = Var(shape=(1,), init=y1_step)
        self.g_in = Var(shape=shape, init=0)


class InputSpikes(AbstractProcess):
    """A constant input x in {-1, +1}^D (Var ``x``), sent every step as a binary spike
    on ``x_pos`` iff x_k = +1 and on ``x_neg`` iff x_k = -1."""

    def __init__(self, *, shape: ty.Tuple[int, ...], x=0, name: ty.Optional[str] = None,
                 log_config: ty.Optional[LogConfig] = None, **kwargs) -> None:
        super().__init__(shape=shape, name=name, log_config=log_config, **kwargs)
        self.x = Var(shape=shape, init=x)
        self.x_pos = OutPort(shape=shape)
        self.x_neg = OutPort(shape=shape)


__all__ = ["SignNeuron", "PlasticSignNeuron", "InputSpikes"]
