"""Linear learning-rate warm-up as a callback (bert4keras style)."""

from __future__ import annotations

import keras

from kexue.backend import sync_training_state
from kexue.backend.keras_internals import learning_rate_source

__all__ = ["LinearWarmup"]


class LinearWarmup(keras.callbacks.Callback):
    """Sets the rate to ``learning_rate × min(1, t / warmup_steps)`` before batch ``t``
    (counted from 0 over the whole of ``fit``), then leaves it at ``learning_rate``.

    The optimizer needs a float learning rate (a variable); with a schedule, use
    :class:`kexue.optimizers.PiecewiseLinear` ``({warmup_steps: 1})`` instead, which costs nothing.

    Example:
        >>> import keras, numpy as np
        >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        >>> model.compile(keras.optimizers.SGD(0.1), "mse")
        >>> cb = LinearWarmup(warmup_steps=4)
        >>> _ = model.fit(np.ones((8, 2)), np.ones((8, 1)), batch_size=2, verbose=0, callbacks=[cb])
        >>> [round(v, 3) for v in cb.rates]
        [0.0, 0.025, 0.05, 0.075]
    """

    def __init__(self, warmup_steps: int, learning_rate: float | None = None):
        super().__init__()
        if int(warmup_steps) != warmup_steps or warmup_steps < 1:
            raise ValueError(f"`warmup_steps` must be a positive integer, got {warmup_steps!r}.")
        self.warmup_steps = int(warmup_steps)
        self.learning_rate = learning_rate
        self.step = 0
        self.rates: list[float] = []

    def on_train_begin(self, logs=None):
        optimizer = self.model.optimizer
        if not isinstance(learning_rate_source(optimizer), keras.Variable):
            raise ValueError(
                "LinearWarmup needs an optimizer with a float learning rate; with a "
                "schedule use kexue.optimizers.PiecewiseLinear({steps: 1}) instead."
            )
        if self.learning_rate is None:
            self.learning_rate = float(keras.ops.convert_to_numpy(optimizer.learning_rate))

    def on_train_batch_begin(self, batch, logs=None):
        if self.step > self.warmup_steps:
            return
        rate = self.learning_rate * min(1.0, self.step / self.warmup_steps)
        sync_training_state(self.model)
        self.model.optimizer.learning_rate.assign(rate)
        if self.step < self.warmup_steps:
            self.rates.append(rate)
        self.step += 1
