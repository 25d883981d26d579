"""EMA weights for evaluation and saving, without leaving them in the model after ``fit``.

With ``use_ema=True`` Keras keeps an exponential moving average of the weights in the
optimizer, and at the end of ``fit`` *overwrites* the model's weights with it. This callback
swaps the average in for every evaluation/prediction (and for saving, through
:meth:`EMAWeights.swapped`) and, at the end of ``fit``, puts the trained weights back unless
``keep_ema=True``.
"""

from __future__ import annotations

import contextlib

import keras
from keras import ops

from kexue.callbacks._state import attach_state

__all__ = ["EMAWeights"]


def _ema_optimizer(model):
    optimizer = getattr(model.optimizer, "inner_optimizer", model.optimizer)
    if not getattr(optimizer, "use_ema", False):
        raise ValueError(
            "EMAWeights needs an optimizer built with use_ema=True "
            "(e.g. keras.optimizers.AdamW(..., use_ema=True, ema_momentum=0.999))."
        )
    return optimizer


class EMAWeights(keras.callbacks.Callback):
    """Swap EMA weights in for evaluation and saving.

    Args:
        keep_ema: leave the EMA weights in the model after ``fit`` (Keras' own behaviour);
            by default the model ends with the trained weights.

    Example:
        >>> import keras, numpy as np
        >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        >>> model.compile(keras.optimizers.SGD(0.1, use_ema=True, ema_momentum=0.9), "mse")
        >>> ema = EMAWeights()
        >>> _ = model.fit(np.ones((8, 2)), np.ones((8, 1)), epochs=2, verbose=0, callbacks=[ema])
        >>> with ema.swapped():  # EMA weights in the model here, e.g. for model.save(...)
        ...     _ = model.predict(np.ones((1, 2)), verbose=0)
    """

    def __init__(self, keep_ema: bool = False):
        super().__init__()
        self.keep_ema = keep_ema
        self._swapped = False
        self._trained = None

    def _swap(self) -> None:
        optimizer = _ema_optimizer(self.model)
        attach_state(self.model)
        for var, average in zip(
            optimizer._trainable_variables, optimizer._model_variables_moving_average
        ):
            current = ops.convert_to_numpy(var.value)
            var.assign(average.value)
            average.assign(current)
        self._swapped = not self._swapped

    @contextlib.contextmanager
    def swapped(self):
        """Context in which the model holds the EMA weights (no-op if already swapped)."""
        already = self._swapped
        if not already:
            self._swap()
        try:
            yield self.model
        finally:
            if not already:
                self._swap()

    def on_train_begin(self, logs=None):
        _ema_optimizer(self.model)  # fail early with a clear message

    def on_test_begin(self, logs=None):
        if not self._swapped:
            self._swap()

    def on_test_end(self, logs=None):
        if self._swapped:
            self._swap()

    on_predict_begin = on_test_begin
    on_predict_end = on_test_end

    def on_epoch_end(self, epoch, logs=None):
        # Keras replaces the weights by their average after the last epoch (finalize);
        # remember the trained ones so on_train_end can put them back.
        attach_state(self.model)
        optimizer = _ema_optimizer(self.model)
        self._trained = [ops.convert_to_numpy(v.value) for v in optimizer._trainable_variables]

    def on_train_end(self, logs=None):
        if self.keep_ema or self._trained is None:
            return
        optimizer = _ema_optimizer(self.model)
        for var, value in zip(optimizer._trainable_variables, self._trained):
            var.assign(value)
        self._trained = None
