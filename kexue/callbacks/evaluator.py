"""Save the best weights by any metric (bert4keras's ``Evaluator`` pattern)."""

from __future__ import annotations

import contextlib
import math
from typing import Callable

import keras

from kexue.backend import sync_training_state
from kexue.files import save_weights

__all__ = ["Evaluator"]


class Evaluator(keras.callbacks.Callback):
    """After each epoch, score the model and save its weights when the score improves.

    Args:
        monitor: a key of the epoch logs (``"val_loss"``) or a function ``model -> float``
            (e.g. F1 on a dev set computed with your own decoding).
        filepath: where ``model.save_weights`` writes (must end in ``.weights.h5``).
        mode: ``"max"`` or ``"min"``.
        ema: an :class:`kexue.callbacks.EMAWeights`; scoring and saving then use EMA weights.

    Example:
        >>> import keras, numpy as np, tempfile, os
        >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        >>> model.compile("sgd", "mse")
        >>> path = os.path.join(tempfile.mkdtemp(), "best.weights.h5")
        >>> ev = Evaluator("loss", path, mode="min")
        >>> _ = model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=2, verbose=0, callbacks=[ev])
        >>> len(ev.scores), os.path.exists(path)
        (2, True)
    """

    def __init__(self, monitor: str | Callable, filepath: str, mode: str = "max", ema=None):
        super().__init__()
        if mode not in ("max", "min"):
            raise ValueError(f"`mode` must be 'max' or 'min', got {mode!r}.")
        if not str(filepath).endswith(".weights.h5"):
            raise ValueError(f"`filepath` must end in '.weights.h5', got {filepath!r}.")
        self.monitor, self.filepath, self.mode, self.ema = monitor, str(filepath), mode, ema
        self.best = -math.inf if mode == "max" else math.inf
        self.best_epoch = None
        self.scores: list[float] = []

    def _score(self, logs) -> float:
        if callable(self.monitor):
            return float(self.monitor(self.model))
        if self.monitor not in (logs or {}):
            raise KeyError(
                f"{self.monitor!r} is not in the epoch logs {sorted(logs or {})}; "
                "pass validation data or a function model -> score."
            )
        return float(logs[self.monitor])

    def on_epoch_end(self, epoch, logs=None):
        sync_training_state(self.model)
        context = self.ema.swapped() if self.ema is not None else contextlib.nullcontext()
        with context:
            score = self._score(logs)
            self.scores.append(score)
            better = score > self.best if self.mode == "max" else score < self.best
            if better:
                self.best, self.best_epoch = score, epoch
                save_weights(self.model, self.filepath)  # atomic: a kill keeps the previous best
