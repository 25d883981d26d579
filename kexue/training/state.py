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

from kexue.files import atomic_path

__all__ = [
    "save_training_state",
    "load_training_state",
    "write_training_state",
    "read_training_state",
    "STATE_FILE",
]

STATE_FILE = "state.npz"


def _sync(model) -> None:
    sync = getattr(model, "jax_state_sync", None)
    if sync is not None:
        sync()


def write_training_state(path: str | os.PathLike, model: keras.Model, counters: dict) -> None:
    """Write the whole training state of ``model`` and the JSON-able ``counters`` to the file
    ``path`` (``.npz``). Not atomic by itself: call it inside :func:`kexue.files.atomic_path` or
    as a :func:`kexue.files.commit_files` writer."""
    _sync(model)
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
    with open(path, "wb") as f:
        np.savez(f, **arrays)


def save_training_state(directory: str | os.PathLike, model: keras.Model, counters: dict) -> Path:
    """Write ``directory/state.npz`` atomically (a kill mid-write leaves the previous one)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    with atomic_path(directory / STATE_FILE) as tmp:
        write_training_state(tmp, model, counters)
    return directory / STATE_FILE


def load_training_state(directory: str | os.PathLike, model: keras.Model) -> dict | None:
    """Restore a state written by :func:`save_training_state`; ``None`` when there is none.

    The model must be compiled; its optimizer is built here if needed.
    """
    path = Path(directory) / STATE_FILE
    if not path.exists():
        return None
    return read_training_state(path, model)


def read_training_state(path: str | os.PathLike, model: keras.Model) -> dict:
    """Restore every model and optimizer variable from the file ``path`` written by
    :func:`write_training_state`; returns the counters."""
    path = Path(path)
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
            values = [data[f"{name}_{i}"] for i in range(len(variables))]
            for variable, value in zip(variables, values):
                if tuple(value.shape) != tuple(variable.shape):
                    raise ValueError(
                        f"{path}: {name} variable {variable.path} has shape "
                        f"{tuple(variable.shape)} here but {tuple(value.shape)} in the file: "
                        "it was written by a different set-up."
                    )
            for variable, value in zip(variables, values):
                variable.assign(value)
        return json.loads(bytes(data["counters"]).decode())
