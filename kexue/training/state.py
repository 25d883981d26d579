"""Atomic snapshots of a whole training state: every model variable (random-seed states
included), every optimizer variable (moments, EMA, accumulators, Lookahead's slow weights,
the iteration counter) and the loop's counters.

Example:
    >>> import tempfile, keras, numpy as np
    >>> from kexue.training.state import load_training_state, save_training_state
    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    >>> model.compile(optimizer="adam", loss="mse")
    >>> _ = model.fit(np.ones((4, 3)), np.ones((4, 1)), verbose=0)
    >>> folder = tempfile.mkdtemp()
    >>> _ = save_training_state(folder, model, {"epoch": 1})
    >>> _ = model.layers[0].kernel.assign(np.zeros((3, 1)))          # lose the trained weights...
    >>> load_training_state(folder, model)                       # ...and get them back
    {'epoch': 1}
    >>> bool(np.any(keras.ops.convert_to_numpy(model.layers[0].kernel) != 0))
    True
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import keras
import numpy as np

from kexue.files import atomic_open

__all__ = ["save_training_state", "load_training_state", "STATE_FILE"]

STATE_FILE = "state.npz"


def _sync(model) -> None:
    sync = getattr(model, "jax_state_sync", None)
    if sync is not None:
        sync()


def save_training_state(directory: str | os.PathLike, model: keras.Model, counters: dict) -> Path:
    """Write ``directory/state.npz`` atomically (a kill mid-write leaves the previous one)."""
    _sync(model)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    arrays = {
        f"model_{i}": keras.ops.convert_to_numpy(v.value) for i, v in enumerate(model.variables)
    }
    arrays.update(
        {
            f"optimizer_{i}": keras.ops.convert_to_numpy(v.value)
            for i, v in enumerate(model.optimizer.variables)
        }
    )
    arrays["counters"] = np.frombuffer(json.dumps(counters).encode(), dtype=np.uint8)
    with atomic_open(directory / STATE_FILE, "wb") as f:
        np.savez(f, **arrays)
    return directory / STATE_FILE


def load_training_state(directory: str | os.PathLike, model: keras.Model) -> dict | None:
    """Restore a state written by :func:`save_training_state`; ``None`` when there is none.

    The model must be compiled; its optimizer is built here if needed.
    """
    path = Path(directory) / STATE_FILE
    if not path.exists():
        return None
    if not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    _sync(model)
    with np.load(path) as data:
        groups = (("model", model.variables), ("optimizer", model.optimizer.variables))
        for name, variables in groups:
            stored = sum(1 for k in data.files if k.startswith(name + "_"))
            if stored != len(variables):
                raise ValueError(
                    f"{path} holds {stored} {name} variables, this {name} has "
                    f"{len(variables)}: it was written by a different set-up."
                )
            for i, variable in enumerate(variables):
                variable.assign(data[f"{name}_{i}"])
        return json.loads(bytes(data["counters"]).decode())
