"""A loss term whose weight is a variable, and a callback that changes it during training
(KL annealing, auxiliary-loss schedules)."""

from __future__ import annotations

from typing import Callable

import keras
from keras import ops

from kexue.backend import sync_training_state

__all__ = ["WeightedLoss", "LossWeightScheduler"]


@keras.saving.register_keras_serializable(package="kexue")
class WeightedLoss(keras.layers.Layer):
    """Adds ``loss_weight × mean(inputs)`` to the model's losses and passes ``inputs`` on.

    The weight is a non-trainable variable of the model, so a compiled (JAX) train step reads
    its current value rather than a constant baked in at tracing time.

    Example:
        >>> import numpy as np
        >>> layer = WeightedLoss(initial_weight=0.5)
        >>> _ = layer(np.array([2.0, 4.0], "float32"))
        >>> float(layer.losses[0])
        1.5
    """

    def __init__(self, initial_weight: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.initial_weight = float(initial_weight)

    def build(self, input_shape):
        self.loss_weight = self.add_weight(
            shape=(),
            name="loss_weight",
            trainable=False,
            initializer=keras.initializers.Constant(self.initial_weight),
        )

    def call(self, inputs):
        self.add_loss(ops.cast(self.loss_weight, "float32") * ops.mean(ops.cast(inputs, "float32")))
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "initial_weight": self.initial_weight}


class LossWeightScheduler(keras.callbacks.Callback):
    """Sets ``variable`` to ``schedule(t)`` before each epoch (``per="epoch"``, t = epoch) or
    each batch (``per="batch"``, t = batches seen in this ``fit``).

    ``variable`` is a :class:`WeightedLoss` layer or any non-trainable model variable.

    Example:
        >>> cb = LossWeightScheduler(WeightedLoss(), lambda epoch: min(1.0, epoch / 10))
    """

    def __init__(self, variable, schedule: Callable[[int], float], per: str = "epoch"):
        super().__init__()
        if per not in ("epoch", "batch"):
            raise ValueError(f"`per` must be 'epoch' or 'batch', got {per!r}.")
        self.target, self.schedule, self.per = variable, schedule, per
        self.step = 0
        self.values: list[float] = []

    def _variable(self):
        return self.target.loss_weight if isinstance(self.target, WeightedLoss) else self.target

    def _set(self, t: int) -> None:
        value = float(self.schedule(t))
        sync_training_state(self.model)
        self._variable().assign(value)
        self.values.append(value)

    def on_epoch_begin(self, epoch, logs=None):
        if self.per == "epoch":
            self._set(epoch)

    def on_train_batch_begin(self, batch, logs=None):
        if self.per == "batch":
            self._set(self.step)
            self.step += 1
