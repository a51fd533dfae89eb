"""Hardware limits as data. A :class:`Profile` is a frozen dataclass of numbers;
:data:`LOIHI2` is Intel Loihi 2 as far as public material shows it.

Every number names its source in :data:`LOIHI2_SOURCES`:

* ``lava:...`` -- a file of the public lava-nc 0.10.0 package (paths relative to
  ``site-packages/lava``); these are what the bit-accurate simulation
  (``Loihi2SimCfg``, tag ``fixed_pt``) enforces, so they are *hard* for our export.
* ``intel:...`` -- public Intel material about the chip (the 2021 Loihi 2 technology
  brief "Taking Neuromorphic Computing to the Next Level with Loihi 2", as quoted by
  open-neuromorphic.org/neuromorphic-computing/hardware/loihi-2-intel/). lava-nc has
  no check for any of them (it has no partitioner without Intel's non-public
  ``lava-loihi``), so they are *soft* limits: planning figures that the resource
  estimate reports against, never enforced by the simulation.

``SOFT`` lists the soft fields. Make another profile with
``dataclasses.replace(LOIHI2, name="...", ...)``.
"""
from dataclasses import asdict, dataclass, replace


@dataclass(frozen=True)
class Profile:
    name: str
    # --- inference synapses (one weight exponent per connection) -------------------
    weight_mant_bits: int          # mantissa bits incl. sign (MIXED sign mode)
    weight_min: int                # smallest representable mantissa value
    weight_max: int                # largest representable mantissa value
    weight_lsb: int                # granularity of the mantissa (MIXED drops the LSB: 2)
    weight_exp_min: int            # range of the shared per-connection exponent
    weight_exp_max: int
    dendrite_bits: int             # signed width of the dendritic accumulator (a_out)
    # --- neuron ---------------------------------------------------------------------
    state_bits: int                # signed width of neuron state / bias / graded payloads
    # --- learning engine ------------------------------------------------------------
    learn_weight_bits: int         # signed width of a learned weight
    trace_bits: int                # unsigned width of a trace (y1..y3, x1, x2)
    learn_scale_mant_bits: int     # signed mantissa of a product's scale factor
    learn_scale_exp_min: int
    learn_scale_exp_max: int
    epoch_bits: int                # t_epoch width
    # --- chip -----------------------------------------------------------------------
    neurons_per_core: int
    synapse_mem_bytes_per_core: int
    cores_per_chip: int
    neurons_per_chip: int
    synapses_per_chip: int
    max_fan_in: int = None         # None: no public figure; set one to enforce it
    synapse_index_bits: int = 13   # post-neuron address stored with each synapse (log2 of neurons/core)
    soft: tuple = ()

    def weight_range(self, symmetric=True):
        """(lo, hi) of the integer mantissa; ``symmetric`` keeps -w representable
        too (dual-rail wiring and the -J learning rail need it)."""
        if symmetric:
            m = min(-self.weight_min, self.weight_max)
            return -m, m
        return self.weight_min, self.weight_max

    def state_max(self):
        return 2 ** (self.state_bits - 1) - 1

    def dendrite_max(self):
        return 2 ** (self.dendrite_bits - 1) - 1

    def synapse_bytes(self):
        """Bytes one stored synapse takes in this model: weight + post index."""
        return (self.weight_mant_bits + self.synapse_index_bits) / 8.0

    def as_dict(self):
        d = asdict(self)
        d["soft"] = list(self.soft)
        return d


LOIHI2 = Profile(
    name="loihi2",
    weight_mant_bits=8, weight_min=-256, weight_max=254, weight_lsb=2,
    weight_exp_min=-8, weight_exp_max=7,
    dendrite_bits=16,
    state_bits=24,
    learn_weight_bits=9, trace_bits=7,
    learn_scale_mant_bits=4, learn_scale_exp_min=-7, learn_scale_exp_max=8,
    epoch_bits=6,
    neurons_per_core=8192,
    synapse_mem_bytes_per_core=128 * 1024,
    cores_per_chip=128,
    neurons_per_chip=1_048_576,
    synapses_per_chip=120_000_000,
    max_fan_in=None,
    synapse_index_bits=13,
    soft=("weight_exp_min", "weight_exp_max", "dendrite_bits", "neurons_per_core",
          "synapse_mem_bytes_per_core", "cores_per_chip", "neurons_per_chip", "synapses_per_chip",
          "max_fan_in", "synapse_index_bits"),
)

LOIHI2_SOURCES = {
    "weight_mant_bits": "lava:proc/sparse/process.py docstring (8 weight bits, w_scale = 8 - num_weight_bits "
                        "+ weight_exp + isMixed); lava:utils/weightutils.py clip_weights/truncate_weights",
    "weight_min": "lava:utils/weightutils.py clip_weights (MIXED: [-2^8, 2^8 - 1])",
    "weight_max": "lava:utils/weightutils.py truncate_weights (MIXED drops the LSB: 255 -> 254)",
    "weight_lsb": "lava:utils/weightutils.py truncate_weights (MIXED: odd -> even)",
    "weight_exp_min": "soft: lava applies any int as a shift (lava:proc/sparse/models.py run_spk); "
                      "[-8, 7] is the planning range used here",
    "weight_exp_max": "soft: see weight_exp_min",
    "dendrite_bits": "lava:proc/sparse/models.py, proc/dense/models.py (fixed a_out/a_buff precision=16); "
                     "the Python simulation does not wrap, so soft",
    "state_bits": "lava:proc/lif/models.py (u, v 24-bit), proc/graded/models.py (24-bit graded payload)",
    "learn_weight_bits": "lava:magma/core/learning/constants.py W_WEIGHTS_S = 9",
    "trace_bits": "lava:magma/core/learning/constants.py W_TRACE = 7; "
                  "lava:magma/core/model/py/neuron.py (y ports int32 precision=7)",
    "learn_scale_mant_bits": "lava:magma/core/learning/constants.py W_S_MANT = 4",
    "learn_scale_exp_min": "lava:magma/core/learning/product_series.py (scale exponent in [-7, 8])",
    "learn_scale_exp_max": "lava:magma/core/learning/product_series.py",
    "epoch_bits": "lava:magma/core/learning/constants.py W_EPOCH_TIME = 6",
    "neurons_per_core": "intel: up to 8,192 neurons per neurocore (Loihi 2 brief); soft",
    "synapse_mem_bytes_per_core": "intel: 128 KB of flexibly partitioned SRAM per neurocore (Loihi 2 brief); soft, "
                                  "and shared with neuron state on the real chip",
    "cores_per_chip": "intel: 128 neurocores per chip (Loihi 2 brief); "
                      "lava:magma/compiler/subcompilers/constants.py NUM_VIRTUAL_CORES_L2 = 128",
    "neurons_per_chip": "intel: about 1M neurons per chip (128 x 8192); soft",
    "synapses_per_chip": "intel: up to 120M synapses per chip (Loihi 2 brief); soft",
    "max_fan_in": "no public Loihi 2 figure (lava-nc 0.10 has no fan-in check); None = not enforced. "
                  "The 16-bit dendritic accumulator bounds sum_j |w_ij| instead (see dendrite_bits)",
    "synapse_index_bits": "assumption of this estimate: a synapse stores its post-neuron index "
                          "(log2 8192 = 13 bits) next to its 8-bit weight; soft",
    "name": "-",
    "soft": "-",
}

PROFILES = {"loihi2": LOIHI2}


def get_profile(profile):
    """A Profile from a Profile or a name in :data:`PROFILES`."""
    if isinstance(profile, Profile):
        return profile
    if profile in PROFILES:
        return PROFILES[profile]
    raise ValueError(f"unknown hardware profile {profile!r}; known profiles: {', '.join(sorted(PROFILES))}")


__all__ = ["Profile", "LOIHI2", "LOIHI2_SOURCES", "PROFILES", "get_profile", "replace"]
