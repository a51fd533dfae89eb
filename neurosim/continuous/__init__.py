"""Continuous-time dynamics of neurosim networks (tau dimensionless, tau = 1 by
default; W = J + K + diag(J_D), I the constant external field):

    hard     tau du/dt = -u + W sgn(u) + I          (sgn(0) := +1)
    tanh     tau du/dt = -u + W tanh(beta u) + I
    poisson  s_i <- sgn(h_i) at the events of neuron i's rate-1/tau Poisson process

``integrate`` runs them natively (numba: explicit Euler for all three, exact
event-driven integration for hard and poisson); ``ContinuousTrainer`` is
Algorithm 1 with every relaxation a continuous-time settling; the Brian2 backend
is ``neurosim.continuous.brian2`` (imported on first use; brian2 is optional).

A settled continuous state is a fixed point of the discrete dynamics, but in
general NOT the one the synchronous dynamics reaches from the same start.
"""
from .native import METHODS, VARIANTS, ContinuousResult, integrate
from .training import ContinuousConfig, ContinuousTrainer

__all__ = ["integrate", "ContinuousResult", "VARIANTS", "METHODS", "ContinuousConfig", "ContinuousTrainer"]


def __getattr__(name):
    if name == "brian2":  # neurosim.continuous.brian2 without importing brian2 up front
        import importlib
        return importlib.import_module(".brian2", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
