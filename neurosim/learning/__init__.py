"""Local learning: Algorithm 1 and its variants on the IR arrays."""
from .trainer import TrainConfig, Trainer, random_features, reservoir

__all__ = ["Trainer", "TrainConfig", "reservoir", "random_features"]
