"""Local learning: Algorithm 1 and its variants on the IR arrays."""
from . import checkpoint  # noqa: F401  (registers the file kind "training_state" for load and info)
from .config import PROTOCOLS, TrainConfig, random_features, reservoir
from .trainer import Trainer

__all__ = ["Trainer", "TrainConfig", "PROTOCOLS", "reservoir", "random_features"]
