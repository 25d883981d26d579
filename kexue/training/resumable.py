"""Training that survives being killed: deterministic data order and periodic atomic
snapshots of the full state, so a restarted run continues to the very same weights."""

from __future__ import annotations

import json
import os
from typing import Callable, Sequence

import keras
import numpy as np

from kexue.files import prepare_output_dir
from kexue.training.state import load_training_state, save_training_state

__all__ = ["epoch_order", "fit_resumable", "reseed"]


def epoch_order(num_examples: int, seed: int, epoch: int) -> np.ndarray:
    """The example order of ``epoch``: a function of (seed, epoch) only, so a resumed run
    sees the same batches as an uninterrupted one.

    >>> epoch_order(5, seed=0, epoch=1).tolist() == epoch_order(5, seed=0, epoch=1).tolist()
    True
    """
    return np.random.default_rng([seed, epoch]).permutation(num_examples)


def reseed(seed: int, step: int) -> None:
    """Restart Python's, NumPy's and the backend's global generators from ``(seed, step)``
    (``keras.utils.set_random_seed``), so that a step replayed after a resume draws what the
    original step drew (torch's unseeded dropout draws from them).

    >>> import numpy as np
    >>> reseed(1, 7); a = np.random.rand()
    >>> reseed(1, 7); bool(a == np.random.rand())
    True
    """
    keras.utils.set_random_seed((seed * 1_000_003 + step) % 2**32)


def _take(data, index):
    if isinstance(data, (list, tuple)):
        return [np.asarray(d)[index] for d in data]
    return np.asarray(data)[index]


def _num_examples(x, y) -> int:
    """The common length of every array in ``x`` and ``y``, or an error naming the odd one."""
    parts = [("x" if not isinstance(x, (list, tuple)) else f"x[{i}]", d)
             for i, d in enumerate(x if isinstance(x, (list, tuple)) else [x])]
    parts += [("y" if not isinstance(y, (list, tuple)) else f"y[{i}]", d)
              for i, d in enumerate(y if isinstance(y, (list, tuple)) else [y])]
    lengths = {name: len(d) for name, d in parts}
    if len(set(lengths.values())) > 1:
        raise ValueError(
            "fit_resumable needs one row per example in every input and target; got lengths "
            + ", ".join(f"{name}={n}" for name, n in lengths.items())
        )
    n = next(iter(lengths.values()))
    if n == 0:
        raise ValueError("fit_resumable got an empty dataset (0 examples).")
    return n


def _optimizer_config(model: keras.Model) -> str:
    """The optimizer's class and configuration (learning rate, schedule, decay...) as text."""
    config = dict(model.optimizer.get_config())
    config.pop("name", None)
    config = keras.saving.serialize_keras_object(config)
    return type(model.optimizer).__name__ + " " + json.dumps(config, sort_keys=True, default=repr)


def _check_resume(counters: dict, expected: dict, epochs: int, directory) -> None:
    """Refuse to continue a snapshot written for other data, batches or optimizer."""
    names = {
        "seed": "seed",
        "batch_size": "batch_size",
        "num_examples": "dataset size (examples)",
        "steps_per_epoch": "steps per epoch",
        "optimizer": "optimizer (class and configuration)",
    }
    changed = [
        f"{label}: snapshot {counters[key]!r}, now {expected[key]!r}"
        for key, label in names.items()
        if key in counters and counters[key] != expected[key]
    ]
    if changed:
        raise ValueError(
            f"the checkpoint in {directory} was written with another set-up, so resuming would not "
            "continue that run: " + "; ".join(changed)
            + ". Use a fresh checkpoint_dir for a new run (or restore the old settings)."
        )
    if counters["epoch"] > epochs or (counters["epoch"] == epochs and counters["batch"] > 0):
        raise ValueError(
            f"the checkpoint in {directory} has already trained {counters['epoch']} epochs "
            f"(step {counters['step']}); epochs={epochs} would rewind it. Pass "
            f"epochs >= {counters['epoch']} to continue, or use a fresh checkpoint_dir."
        )


def fit_resumable(
    model: keras.Model,
    x,
    y,
    *,
    batch_size: int,
    epochs: int,
    checkpoint_dir: str | os.PathLike,
    save_every: int,
    seed: int = 0,
    on_step: Callable[[int], None] | None = None,
) -> list[float]:
    """Train ``model`` (compiled) with ``train_on_batch``, saving the whole state to
    ``checkpoint_dir`` every ``save_every`` steps and at the end; if a state is there already,
    continue from it (same epoch, same position in the epoch, same optimizer state).

    Before each step the global random generators are reseeded from ``(seed, step)``
    (``keras.utils.set_random_seed``), so random draws outside the model's seed generators
    (torch's unseeded dropout) also repeat after a resume.

    The snapshot records the seed, batch size, dataset size, steps per epoch and the
    optimizer's class and configuration; resuming with any of them changed, or with fewer
    ``epochs`` than the snapshot has trained, raises instead of training on (a larger
    ``epochs`` continues the run). A finished run called again trains nothing.

    Returns the losses of the steps run by this call. ``on_step(global_step)`` is called after
    each step (tests use it to kill the process).

    Example::

        model.compile(keras.optimizers.AdamW(1e-4), loss)
        fit_resumable(model, [tokens, segments], labels, batch_size=32, epochs=3,
                      checkpoint_dir="run/ckpt", save_every=100)   # rerun the same line after a crash
    """
    for name, value in (("batch_size", batch_size), ("epochs", epochs), ("save_every", save_every)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    if getattr(model, "optimizer", None) is None:
        raise ValueError("fit_resumable needs a compiled model (model.compile(optimizer, loss)).")
    n = _num_examples(x, y)
    num_batches = -(-n // batch_size)
    prepare_output_dir(checkpoint_dir)  # writable before the first step, not after it
    setup = {
        "seed": seed,
        "batch_size": int(batch_size),
        "num_examples": n,
        "steps_per_epoch": num_batches,
        "optimizer": _optimizer_config(model),
    }
    check = lambda stored: _check_resume(stored, setup, epochs, checkpoint_dir)  # noqa: E731
    counters = load_training_state(checkpoint_dir, model, check=check)  # checked, then assigned
    if counters is None:
        counters = {"epoch": 0, "batch": 0, "step": 0}
    elif counters["epoch"] == epochs:
        return []  # finished already: nothing to train, nothing to rewrite
    losses = []
    epoch, start, step = counters["epoch"], counters["batch"], counters["step"]

    def save(position):
        state = {"epoch": position[0], "batch": position[1], "step": step, "epochs": epochs}
        save_training_state(checkpoint_dir, model, {**state, **setup})

    while epoch < epochs:
        order = epoch_order(n, seed, epoch)
        for b in range(start, num_batches):
            index = order[b * batch_size : (b + 1) * batch_size]
            reseed(seed, step)
            loss = model.train_on_batch(_take(x, index), _take(y, index))
            losses.append(float(np.asarray(loss if np.ndim(loss) == 0 else loss[0])))
            step += 1
            if step % save_every == 0:
                save((epoch, b + 1) if b + 1 < num_batches else (epoch + 1, 0))
            if on_step is not None:
                on_step(step)
        epoch, start = epoch + 1, 0
    save((epochs, 0))
    return losses
