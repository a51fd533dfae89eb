"""Local learning: Algorithm 1 and its variants on the IR arrays."""
from .config import PROTOCOLS, TrainConfig, random_features, reservoir
from .trainer import Trainer

__all__ = ["Trainer", "TrainConfig", "PROTOCOLS", "reservoir", "random_features"]
