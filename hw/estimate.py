"""Resource estimate of a CompiledNetwork on a hardware profile.

Model (stated, simple, and the same for every network):

* neurons: the N recurrent neurons, plus the D input neurons when the input is
  sent as spikes (``input_on_chip``; otherwise W_in x is folded into the bias on
  the host, as the Lava export does), plus the C readout neurons when
  ``readout_on_chip``;
* synapses: learnable (nnz J), fixed (nnz K), input (nnz of W_in on the a_in rows)
  and readout (C x the a_out neurons); a synapse is stored at its post-neuron's core;
  with ``wire="dual"`` (binary spikes on a +1 and a -1 line, what on-chip learning
  needs) every synapse is stored twice (W and -W), with ``"graded"`` once;
* memory per stored synapse: the profile's weight bits plus a post-neuron index
  (:meth:`Profile.synapse_bytes`); neurons are packed onto cores in order, a new core
  when the neuron count or the synapse memory of the current one would be exceeded;
* chips: cores / cores per chip, checked against neurons and synapses per chip.

Every limit used here is soft (a planning figure; see :mod:`neurosim.hw.profiles`).
"""
import math
from dataclasses import asdict, dataclass, field

import numpy as np

from .profiles import get_profile


@dataclass
class Estimate:
    profile: str
    wire: str
    neurons: int
    neurons_recurrent: int
    neurons_input: int
    neurons_readout: int
    synapses: dict                    # logical synapses per group and "total"
    synapses_stored: int              # after the wiring factor
    rails: int
    max_fan_in: int                   # logical, over recurrent + input synapses of one neuron
    max_fan_in_stored: int
    mean_fan_in: float
    synapse_bytes: float
    synapse_memory_bytes: float       # all stored synapses
    cores: int
    cores_by_neurons: int
    cores_by_memory: int
    max_core_memory_bytes: float      # fullest core
    max_core_neurons: int
    core_memory_limit: int
    chips: int
    dendrite_max: dict = field(default_factory=dict)
    dendrite_limit: int = 0
    does_not_fit: list = field(default_factory=list)

    def as_dict(self):
        return asdict(self)

    def table(self):
        rows = [
            ("profile", self.profile), ("wiring", f"{self.wire} ({self.rails} stored synapse(s) per synapse)"),
            ("neurons", f"{self.neurons} (recurrent {self.neurons_recurrent}, input {self.neurons_input}, "
                        f"readout {self.neurons_readout})"),
        ]
        for k, v in self.synapses.items():
            rows.append((f"synapses {k}", f"{v}"))
        rows += [
            ("synapses stored", f"{self.synapses_stored}"),
            ("max fan-in", f"{self.max_fan_in} ({self.max_fan_in_stored} stored), mean {self.mean_fan_in:.1f}"),
            ("synapse memory", f"{_kib(self.synapse_memory_bytes)} at {self.synapse_bytes:.3g} B per synapse"),
            ("cores", f"{self.cores} (by neurons {self.cores_by_neurons}, by memory {self.cores_by_memory})"),
            ("fullest core", f"{self.max_core_neurons} neurons, {_kib(self.max_core_memory_bytes)} of "
                             f"{_kib(self.core_memory_limit)}"),
            ("chips", f"{self.chips}"),
        ]
        for k, v in self.dendrite_max.items():
            rows.append((f"dendrite {k}", f"max sum|w_int| = {v:.0f} (limit {self.dendrite_limit})"))
        rows.append(("does not fit", "; ".join(self.does_not_fit) if self.does_not_fit else "nothing"))
        w = max(len(r[0]) for r in rows)
        return "\n".join(f"{k:<{w}s}  {v}" for k, v in rows)


def _kib(b):
    return f"{b / 1024:.1f} KiB"


def _pack(neuron_bytes, per_core, mem_per_core):
    """Greedy in-order packing: (cores, fullest core bytes, fullest core neurons, too big)."""
    cores, cur_n, cur_b = 0, 0, 0.0
    max_b, max_n, too_big = 0.0, 0, 0
    for b in neuron_bytes:
        if b > mem_per_core:
            too_big += 1
        if cur_n == 0 or cur_n + 1 > per_core or cur_b + b > mem_per_core:
            if cur_n:
                max_b, max_n = max(max_b, cur_b), max(max_n, cur_n)
            cores += 1
            cur_n, cur_b = 0, 0.0
        cur_n += 1
        cur_b += b
    if cur_n:
        max_b, max_n = max(max_b, cur_b), max(max_n, cur_n)
    return cores, max_b, max_n, too_big


def estimate(cn, profile="loihi2", wire="dual", input_on_chip=True, readout_on_chip=False):
    """Resources ``cn`` needs on ``profile`` (see the module docstring); an
    :class:`Estimate` (``.table()`` for text, ``.as_dict()`` for JSON)."""
    from ..compiled import CompiledNetwork
    from .quantize import quantize
    if not isinstance(cn, CompiledNetwork):
        raise TypeError(f"cn must be a CompiledNetwork (use neurosim.compile), got {type(cn).__name__}")
    if wire not in ("dual", "graded"):
        raise ValueError(f"wire must be 'dual' or 'graded', got {wire!r}")
    prof = get_profile(profile)
    n = cn.n
    J, K = cn.learnable(), cn.fixed()
    fan = np.diff(J.indptr) + np.diff(K.indptr)
    syn = {"learnable": int(J.nnz), "fixed": int(K.nnz)}
    d = cn.input_dim
    n_in = d if (input_on_chip and d > 0) else 0
    if n_in:
        on = ((cn.w_in != 0) | cn.w_in_mask) & cn.a_in[:, None]
        syn["input"] = int(on.sum())
        fan = fan + on.sum(axis=1)
    else:
        syn["input"] = 0
    n_out = 0
    out_bytes = np.zeros(0)
    rails = 2 if wire == "dual" else 1
    if readout_on_chip and cn.w_out.shape[0] > 0:
        n_out = cn.w_out.shape[0]
        syn["readout"] = int(n_out * cn.a_out.sum())
        out_bytes = np.full(n_out, cn.a_out.sum() * rails * prof.synapse_bytes())
    syn["total"] = int(sum(syn.values()))
    bpsyn = prof.synapse_bytes()
    neuron_bytes = np.concatenate([np.zeros(n_in), fan * rails * bpsyn, out_bytes])
    total_neurons = n + n_in + n_out
    cores, max_b, max_n, too_big = _pack(neuron_bytes, prof.neurons_per_core, prof.synapse_mem_bytes_per_core)
    mem = float(neuron_bytes.sum())
    by_neurons = math.ceil(total_neurons / prof.neurons_per_core)
    by_memory = math.ceil(mem / prof.synapse_mem_bytes_per_core) if mem else 0
    chips = math.ceil(cores / prof.cores_per_chip) if cores else 0
    stored = syn["total"] * rails
    q = quantize(cn, prof).report
    problems = []
    if too_big:
        problems.append(f"{too_big} neurons have more incoming synapses than one core's synapse memory holds "
                        f"({prof.synapse_mem_bytes_per_core} B)")
    max_fan = int(fan.max()) if fan.size else 0
    if prof.max_fan_in is not None and max_fan > prof.max_fan_in:
        problems.append(f"max fan-in {max_fan} > {prof.max_fan_in}")
    for k, over in q.dendrite_overflow.items():
        if over:
            problems.append(f"{over} neurons may overflow the {prof.dendrite_bits}-bit dendritic accumulator of "
                            f"{k} (sum |w_int| up to {q.dendrite_max[k]:.0f})")
    if q.state_max > q.state_limit:
        problems.append(f"the worst-case field {q.state_max:.0f} exceeds the {prof.state_bits}-bit neuron state")
    if chips > 1:
        problems.append(f"needs {chips} chips (one chip has {prof.cores_per_chip} cores)")
    if total_neurons > prof.neurons_per_chip * max(chips, 1):
        problems.append(f"{total_neurons} neurons > {prof.neurons_per_chip} per chip x {max(chips, 1)}")
    if stored > prof.synapses_per_chip * max(chips, 1):
        problems.append(f"{stored} stored synapses > {prof.synapses_per_chip} per chip x {max(chips, 1)}")
    return Estimate(profile=prof.name, wire=wire, neurons=int(total_neurons), neurons_recurrent=int(n),
                    neurons_input=int(n_in), neurons_readout=int(n_out), synapses=syn, synapses_stored=int(stored),
                    rails=rails, max_fan_in=max_fan, max_fan_in_stored=max_fan * rails,
                    mean_fan_in=float(fan.mean()) if fan.size else 0.0, synapse_bytes=bpsyn,
                    synapse_memory_bytes=mem, cores=int(cores), cores_by_neurons=int(by_neurons),
                    cores_by_memory=int(by_memory), max_core_memory_bytes=float(max_b), max_core_neurons=int(max_n),
                    core_memory_limit=prof.synapse_mem_bytes_per_core, chips=int(chips),
                    dendrite_max=dict(q.dendrite_max), dendrite_limit=q.dendrite_limit, does_not_fit=problems)
