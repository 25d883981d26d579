"""Atomic snapshots of a whole training state: every model variable (random-seed states
included), every optimizer variable (moments, EMA, accumulators, Lookahead's slow weights,
the iteration counter) and the loop's counters.

The snapshot is one file, ``state.npz``, written through :mod:`kexue.files` (a kill or a full
disk leaves the previous snapshot). It records the shapes and dtypes of the variables and the
optimizer's class, and loading checks all of them, and reads every array, before it assigns
anything: a snapshot that does not fit, or a corrupt file, raises an error naming the file and
leaves the model as it was.

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
import zipfile
from pathlib import Path
from typing import Callable

import keras
import numpy as np

from kexue.backend import sync_training_state
from kexue.files import atomic_path

__all__ = [
    "save_training_state",
    "load_training_state",
    "write_training_state",
    "read_training_state",
    "STATE_FILE",
]

STATE_FILE = "state.npz"
_GROUPS = ("model", "optimizer")


def _variables(model: keras.Model) -> dict[str, list]:
    return {"model": list(model.variables), "optimizer": list(model.optimizer.variables)}


def _signature(model: keras.Model) -> dict:
    """What a snapshot must match: variable shapes and dtypes in order, the optimizer's class.

    Variable paths are left out: Keras numbers auto-named layers per process (``dense_3``), so
    the same model built twice in one process has other paths."""
    groups = _variables(model)
    signature = {
        name: [[list(v.shape), str(v.dtype)] for v in variables] for name, variables in groups.items()
    }
    signature["optimizer_class"] = type(model.optimizer).__name__
    return signature


def _as_bytes(obj) -> np.ndarray:
    return np.frombuffer(json.dumps(obj).encode(), dtype=np.uint8)


def write_training_state(path: str | os.PathLike, model: keras.Model, counters: dict) -> None:
    """Write the whole training state of ``model`` and the JSON-able ``counters`` to the file
    ``path`` (``.npz``). Not atomic by itself: call it inside :func:`kexue.files.atomic_path` or
    as a :func:`kexue.files.commit_files` writer (as :func:`save_training_state` does)."""
    sync_training_state(model)
    arrays = {
        f"{name}_{i}": keras.ops.convert_to_numpy(v.value)
        for name, variables in _variables(model).items()
        for i, v in enumerate(variables)
    }
    arrays["counters"] = _as_bytes(counters)
    arrays["signature"] = _as_bytes(_signature(model))
    with open(path, "wb") as handle:
        np.savez(handle, **arrays)


def save_training_state(directory: str | os.PathLike, model: keras.Model, counters: dict) -> Path:
    """Write ``directory/state.npz`` atomically (a kill mid-write leaves the previous one)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / STATE_FILE
    with atomic_path(path) as tmp:
        write_training_state(tmp, model, counters)
    return path


def _read_all(path: Path) -> dict[str, np.ndarray]:
    """Every array of the snapshot (checksums verified), or an error naming the file."""
    try:
        with np.load(path, allow_pickle=False) as data:
            return {key: data[key] for key in data.files}
    except (zipfile.BadZipFile, EOFError, ValueError, KeyError, OSError) as error:
        raise ValueError(
            f"{path} is not a readable training state ({type(error).__name__}: {error}); the "
            "file is damaged. Delete it to start the run afresh, or restore it from a backup."
        ) from None


def _stored_shapes(arrays: dict[str, np.ndarray], name: str) -> list:
    keys = sorted((k for k in arrays if k.startswith(name + "_")), key=lambda k: int(k.rsplit("_", 1)[1]))
    return [[list(arrays[k].shape), None] for k in keys]


def _mismatches(path: Path, stored: dict, model: keras.Model) -> list[str]:
    current = _signature(model)
    problems = []
    if stored.get("optimizer_class", current["optimizer_class"]) != current["optimizer_class"]:
        problems.append(
            f"optimizer: the snapshot was written with {stored['optimizer_class']}, this model "
            f"uses {current['optimizer_class']}"
        )
    groups = _variables(model)
    for name in _GROUPS:
        theirs, ours = stored[name], current[name]
        if len(theirs) != len(ours):
            problems.append(f"{path} holds {len(theirs)} {name} variables, this {name} has {len(ours)}")
            continue
        for variable, (shape, dtype), (our_shape, our_dtype) in zip(groups[name], theirs, ours):
            if shape != our_shape or dtype not in (None, our_dtype):
                problems.append(
                    f"{variable.path}: snapshot {tuple(shape)} {dtype}, model {tuple(our_shape)} {our_dtype}"
                )
    return problems


def load_training_state(
    directory: str | os.PathLike, model: keras.Model, check: Callable[[dict], None] | None = None
) -> dict | None:
    """Restore a state written by :func:`save_training_state`; ``None`` when there is none.

    The model must be compiled; its optimizer is built here if needed. Nothing is assigned
    unless every variable of the snapshot fits (same count, shapes and dtypes, same optimizer
    class), every array reads back intact, and ``check(counters)`` (when given) returns
    without raising.
    """
    path = Path(directory) / STATE_FILE
    if not path.exists():
        return None
    return read_training_state(path, model, check)


def read_training_state(
    path: str | os.PathLike, model: keras.Model, check: Callable[[dict], None] | None = None
) -> dict:
    """Restore every model and optimizer variable from the file ``path`` written by
    :func:`write_training_state`, with the checks of :func:`load_training_state`; returns the
    counters."""
    path = Path(path)
    if getattr(model, "optimizer", None) is None:
        raise ValueError("load_training_state needs a compiled model (model.compile(optimizer, ...)).")
    if not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    sync_training_state(model)
    arrays = _read_all(path)
    if "counters" not in arrays:
        raise ValueError(f"{path} has no counters: it was not written by save_training_state.")
    if "signature" in arrays:
        stored = json.loads(bytes(arrays["signature"]).decode())
    else:  # snapshots written before signatures were recorded: shapes only
        stored = {name: _stored_shapes(arrays, name) for name in _GROUPS}
    counters = json.loads(bytes(arrays["counters"]).decode())
    if check is not None:
        check(counters)
    problems = _mismatches(path, stored, model)
    if problems:
        shown = "\n  ".join(problems[:10]) + ("\n  ..." if len(problems) > 10 else "")
        raise ValueError(
            f"{path} was written by a different set-up; nothing was loaded:\n  {shown}"
        )
    for name, variables in _variables(model).items():
        for i, variable in enumerate(variables):
            variable.assign(arrays[f"{name}_{i}"])
    return counters
