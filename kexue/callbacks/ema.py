"""EMA weights for evaluation and saving, without leaving them in the model after ``fit``.

With ``use_ema=True`` Keras keeps an exponential moving average of the weights in the
optimizer, and at the end of ``fit`` *overwrites* the model's weights with it. Two ways to keep
the trained weights instead:

- the :class:`EMAWeights` callback swaps the average in for every evaluation/prediction (and
  for saving, through :meth:`EMAWeights.swapped`) and, at the end of ``fit``, puts the trained
  weights back unless ``keep_ema=True``;
- bert4keras' way: an optimizer from ``kexue.optimizers.extend_with_exponential_moving_average``
  (:class:`EMAOptimizer` mixed in) never overwrites them; call its ``apply_ema_weights()``
  before evaluating or saving and ``reset_old_weights()`` afterwards (e.g. in a callback's
  ``on_epoch_end``, where the variables are current on every backend).
"""

from __future__ import annotations

import contextlib

import keras
from keras import ops

from kexue.backend import sync_training_state
from kexue.backend.keras_internals import ema_variable_pairs, optimizer_trainable_variables

__all__ = ["EMAOptimizer", "EMAWeights"]


def _ema_optimizer(model):
    optimizer = getattr(model.optimizer, "inner_optimizer", model.optimizer)
    if not getattr(optimizer, "use_ema", False):
        raise ValueError(
            "EMAWeights needs an optimizer built with use_ema=True "
            "(e.g. keras.optimizers.AdamW(..., use_ema=True, ema_momentum=0.999))."
        )
    return optimizer


class EMAOptimizer:
    """Mixin for a Keras optimizer with ``use_ema=True``: bert4keras' ``apply_ema_weights`` and
    ``reset_old_weights``, and the trained weights left in the model at the end of ``fit``.

    Example:
        >>> import keras, numpy as np
        >>> from kexue.optimizers import extend_with_exponential_moving_average
        >>> AdamEMA = extend_with_exponential_moving_average(keras.optimizers.Adam)
        >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        >>> optimizer = AdamEMA(learning_rate=0.1, ema_momentum=0.9)
        >>> model.compile(optimizer, "mse")
        >>> _ = model.fit(np.ones((8, 2)), np.ones((8, 1)), epochs=3, verbose=0)
        >>> trained = model.get_weights()
        >>> optimizer.apply_ema_weights()      # the average, e.g. to evaluate or save
        >>> bool(np.allclose(model.get_weights()[0], trained[0]))
        False
        >>> optimizer.reset_old_weights()      # the trained weights again
        >>> bool(np.allclose(model.get_weights()[0], trained[0]))
        True
    """

    def finalize_variable_values(self, var_list):
        # bert4keras kept the trained weights at the end of training; so do we.
        return None

    def apply_ema_weights(self, bias_correction: bool = True) -> None:
        """Put the moving averages into the model, keeping the current weights for
        :meth:`reset_old_weights`. (Keras starts the average from the weights themselves, so
        it has no start-up bias; ``bias_correction`` is accepted and has nothing to do.)"""
        pairs = ema_variable_pairs(self)
        self._kexue_old_weights = [ops.convert_to_numpy(var.value) for var, _ in pairs]
        for var, average in pairs:
            var.assign(average.value)

    def reset_old_weights(self) -> None:
        """Put back the weights :meth:`apply_ema_weights` replaced."""
        old = getattr(self, "_kexue_old_weights", None)
        if old is None:
            raise ValueError("reset_old_weights() needs a previous apply_ema_weights().")
        for (var, _), value in zip(ema_variable_pairs(self), old):
            var.assign(value)


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
        sync_training_state(self.model)
        for var, average in ema_variable_pairs(optimizer):
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
        sync_training_state(self.model)
        optimizer = _ema_optimizer(self.model)
        self._trained = [
            ops.convert_to_numpy(v.value) for v in optimizer_trainable_variables(optimizer)
        ]

    def on_train_end(self, logs=None):
        optimizer = _ema_optimizer(self.model)
        if self.keep_ema:
            if isinstance(optimizer, EMAOptimizer):  # it does not overwrite by itself
                optimizer.apply_ema_weights()
            return
        if self._trained is None:
            return
        for var, value in zip(optimizer_trainable_variables(optimizer), self._trained):
            var.assign(value)
        self._trained = None
