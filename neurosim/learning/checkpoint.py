"""Training checkpoints in HDF5: the trained network (IR) beside a
:class:`TrainingState` (config, epochs done, per-epoch history, how the network
and data were made). Because every shuffle and relaxation seed is a function of
(seed, epoch, batch), a run resumed from a checkpoint equals an uninterrupted one."""
import dataclasses
import json
from dataclasses import dataclass, field

from .. import io
from ..validate import check_nonneg_int
from .config import upgrade
from .trainer import TrainConfig, Trainer


@dataclass
class TrainingState:
    config: dict
    epoch: int
    history: list
    info: dict = field(default_factory=dict)


def _write(group, state):
    group.attrs["state"] = json.dumps(dataclasses.asdict(state))


def _read(group):
    st = TrainingState(**json.loads(group.attrs["state"]))
    check_nonneg_int("epoch", st.epoch)
    for name, kind in (("config", dict), ("history", list), ("info", dict)):
        if not isinstance(getattr(st, name), kind):
            raise ValueError(f"training state {name} must be a {kind.__name__}, got {getattr(st, name)!r}")
    return st


def _summary(state):
    return {"epoch": state.epoch, "dataset": state.info.get("dataset"),
            "last_epoch": state.history[-1] if state.history else None}


io.register_kind("training_state", TrainingState, _write, _read, summarize=_summary)


def save_checkpoint(trainer, path, info=None):
    """Write network + training state atomically to ``path``."""
    state = TrainingState(dataclasses.asdict(trainer.config), trainer.epoch, trainer.history, dict(info or {}))
    io.save({"network": trainer.cn, "training": state}, path)


def load_checkpoint(path):
    """(Trainer ready to continue, info dict) from a checkpoint file."""
    run = io.load(path)
    if not isinstance(run, dict) or "network" not in run or "training" not in run:
        raise io.NeurosimFileError("not a training checkpoint (no network and training items)", path)
    st = run["training"]
    trainer = Trainer(run["network"], TrainConfig(**upgrade(st.config)), epoch=st.epoch, history=list(st.history))
    return trainer, st.info
