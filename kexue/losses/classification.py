"""Serialisable loss objects for classification heads: sparse cross-entropy with label
smoothing, and AM-Softmax over cosine logits (:func:`kexue.losses.sparse_am_softmax_loss`).

Keras's ``SparseCategoricalCrossentropy`` has no label smoothing; with smoothing ε over K classes
the target is ``(1 − ε)·onehot + ε/K``, so the loss is ``(1 − ε)·CE + ε·mean_k(−log p_k)``.

Example:
    >>> import numpy as np
    >>> logits = np.array([[2.0, 0.0, -1.0]], "float32")
    >>> p = np.exp(logits) / np.exp(logits).sum()
    >>> expected = 0.9 * -np.log(p[0, 0]) + 0.1 * np.mean(-np.log(p[0]))
    >>> loss = SparseSmoothedCrossentropy(label_smoothing=0.1, from_logits=True)
    >>> bool(np.isclose(float(loss(np.array([0]), logits)), expected, rtol=1e-5))
    True
"""

from __future__ import annotations

import keras
from keras import ops

from kexue.losses.margins import sparse_am_softmax_loss

__all__ = ["SparseSmoothedCrossentropy", "SparseAMSoftmax"]


@keras.saving.register_keras_serializable(package="kexue")
class SparseSmoothedCrossentropy(keras.losses.Loss):
    """Cross-entropy with integer labels and label smoothing ``label_smoothing``."""

    def __init__(self, label_smoothing: float = 0.0, from_logits: bool = False, **kwargs):
        kwargs.setdefault("name", "sparse_smoothed_crossentropy")
        super().__init__(**kwargs)
        if not 0 <= label_smoothing < 1:
            raise ValueError(f"label_smoothing must be in [0, 1), got {label_smoothing}.")
        self.label_smoothing = float(label_smoothing)
        self.from_logits = bool(from_logits)

    def call(self, y_true, y_pred):
        y_pred = ops.cast(y_pred, "float32")
        if self.from_logits:
            log_p = ops.log_softmax(y_pred, axis=-1)
        else:
            log_p = ops.log(ops.clip(y_pred, 1e-7, 1.0))
        labels = ops.reshape(ops.cast(y_true, "int32"), (-1, 1))
        nll = -ops.squeeze(ops.take_along_axis(log_p, labels, axis=-1), -1)
        if not self.label_smoothing:
            return nll
        return (1 - self.label_smoothing) * nll - self.label_smoothing * ops.mean(log_p, axis=-1)

    def get_config(self) -> dict:
        return {**super().get_config(), "label_smoothing": self.label_smoothing,
                "from_logits": self.from_logits}


@keras.saving.register_keras_serializable(package="kexue")
class SparseAMSoftmax(keras.losses.Loss):
    """AM-Softmax (scale ``scale``, additive margin ``margin``) over cosine logits, integer
    labels.

    >>> import numpy as np
    >>> cos = np.array([[0.2, 0.3, -0.2]], "float32")
    >>> ref = 30 * 0.15 + np.log(np.exp(-30 * 0.15) + np.exp(9.0) + np.exp(-6.0))
    >>> bool(np.isclose(float(SparseAMSoftmax()(np.array([0]), cos)), ref, rtol=1e-5))
    True
    """

    def __init__(self, scale: float = 30.0, margin: float = 0.35, **kwargs):
        kwargs.setdefault("name", "sparse_am_softmax")
        super().__init__(**kwargs)
        self.scale, self.margin = float(scale), float(margin)

    def call(self, y_true, y_pred):
        return sparse_am_softmax_loss(y_true, y_pred, scale=self.scale, margin=self.margin)

    def get_config(self) -> dict:
        return {**super().get_config(), "scale": self.scale, "margin": self.margin}
