"""Training that survives being killed: deterministic data order and periodic atomic
snapshots of the full state, so a restarted run continues to the very same weights."""

from __future__ import annotations

import os
from typing import Callable, Sequence

import keras
import numpy as np

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

    Returns the losses of the steps run by this call. ``on_step(global_step)`` is called after
    each step (tests use it to kill the process).

    Example::

        model.compile(keras.optimizers.AdamW(1e-4), loss)
        fit_resumable(model, [tokens, segments], labels, batch_size=32, epochs=3,
                      checkpoint_dir="run/ckpt", save_every=100)   # rerun the same line after a crash
    """
    if batch_size < 1 or epochs < 1 or save_every < 1:
        raise ValueError("batch_size, epochs and save_every must be positive.")
    first: Sequence = x[0] if isinstance(x, (list, tuple)) else x
    n = len(first)
    num_batches = -(-n // batch_size)
    counters = load_training_state(checkpoint_dir, model) or {"epoch": 0, "batch": 0, "step": 0}
    if counters.get("seed", seed) != seed or counters.get("batch_size", batch_size) != batch_size:
        raise ValueError("the checkpoint was written with another seed or batch size.")
    losses = []
    epoch, start, step = counters["epoch"], counters["batch"], counters["step"]
    while epoch < epochs:
        order = epoch_order(n, seed, epoch)
        for b in range(start, num_batches):
            index = order[b * batch_size : (b + 1) * batch_size]
            reseed(seed, step)
            loss = model.train_on_batch(_take(x, index), _take(y, index))
            losses.append(float(np.asarray(loss if np.ndim(loss) == 0 else loss[0])))
            step += 1
            position = (epoch, b + 1) if b + 1 < num_batches else (epoch + 1, 0)
            if step % save_every == 0:
                save_training_state(
                    checkpoint_dir,
                    model,
                    {
                        "epoch": position[0],
                        "batch": position[1],
                        "step": step,
                        "seed": seed,
                        "batch_size": batch_size,
                    },
                )
            if on_step is not None:
                on_step(step)
        epoch, start = epoch + 1, 0
    save_training_state(
        checkpoint_dir,
        model,
        {"epoch": epochs, "batch": 0, "step": step, "seed": seed, "batch_size": batch_size},
    )
    return losses
