"""Counter-based random draws shared by every engine and backend.

A draw is a pure function of ``(seed, stream, step, sample, neuron)``: a chain of
SplitMix64 finalisers over the key, mapped to a float in [0, 1) with 53 bits.
Because nothing is carried from one draw to the next, a run gives the same draws
for any thread count, and another backend (Lava, a plain-numpy reference) replays
them exactly by calling :func:`uniform_array` with the same key.

Streams: ``GATE`` decides the probability-p updates (neuron i updates at step t
iff ``u < p``); ``ORDER`` orders the asynchronous sweep (neurons visited by
increasing ``u``, ties broken by index).
"""
import numba as nb
import numpy as np

GATE = 0
ORDER = 1

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_INV53 = 1.0 / 9007199254740992.0  # 2**-53


@nb.njit
def _mix(z):
    z = z + _GOLDEN
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@nb.njit
def uniform(seed, stream, step, sample, neuron):
    """One draw u ~ U[0, 1) for the key (seed, stream, step, sample, neuron)."""
    z = _mix(np.uint64(seed))
    z = _mix(z ^ np.uint64(stream))
    z = _mix(z ^ np.uint64(step))
    z = _mix(z ^ np.uint64(sample))
    z = _mix(z ^ np.uint64(neuron))
    return (z >> _S11) * _INV53


def _mix_np(z):
    z = z + _GOLDEN
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


def uniform_array(seed, stream, step, sample, neurons):
    """Vectorised :func:`uniform` over an array of neuron indices (plain numpy)."""
    with np.errstate(over="ignore"):
        z = _mix_np(np.uint64(seed))
        z = _mix_np(z ^ np.uint64(stream))
        z = _mix_np(z ^ np.uint64(step))
        z = _mix_np(z ^ np.uint64(sample))
        z = _mix_np(z ^ np.asarray(neurons, dtype=np.uint64))
    return (z >> _S11).astype(np.float64) * _INV53


def key_seed(*key):
    """A seed in [0, 2**32), a pure function of the non-negative integers ``key``
    (the same SplitMix64 chain over them): the relaxation seed of a training
    batch is ``key_seed(config_seed, epoch, batch, phase)``."""
    with np.errstate(over="ignore"):
        z = _mix_np(np.uint64(len(key)))
        for k in key:
            z = _mix_np(z ^ np.uint64(k))
    return int(z >> np.uint64(32))


def sweep_order(seed, step, sample, n):
    """The neuron order of asynchronous sweep ``step`` for batch element ``sample``."""
    return np.argsort(uniform_array(seed, ORDER, step, sample, np.arange(n)), kind="stable")
