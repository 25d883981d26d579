"""Training at scale without losing work: atomic full-state snapshots and resumable fitting."""

from kexue.training.resumable import epoch_order, fit_resumable, reseed
from kexue.training.state import (
    load_training_state,
    read_training_state,
    save_training_state,
    write_training_state,
)

__all__ = [
    "epoch_order",
    "fit_resumable",
    "load_training_state",
    "read_training_state",
    "reseed",
    "save_training_state",
    "write_training_state",
]
