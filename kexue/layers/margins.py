"""Layers for margin-based classification: cosine logits and center loss.

:class:`CosineDense` outputs ``cos θ`` between the L2-normalised input and each
L2-normalised class vector (feed it to :mod:`kexue.losses.margins`); :class:`CenterLoss`
keeps one learnable center per class and adds ``λ · mean ½‖x − c_y‖²`` to the model's losses
(Wen et al., 2016; the centers are learned by gradient, as in the blog's Keras version).
"""

from __future__ import annotations

import keras
from keras import ops

__all__ = ["CosineDense", "CenterLoss", "l2_normalize"]


def l2_normalize(x, axis: int = -1, epsilon: float = 1e-12):
    """``x / ‖x‖`` along ``axis`` (safe at zero)."""
    return x / ops.sqrt(ops.maximum(ops.sum(ops.square(x), axis=axis, keepdims=True), epsilon))


@keras.saving.register_keras_serializable(package="kexue")
class CosineDense(keras.layers.Layer):
    """Cosine similarities (batch, units) between inputs and ``units`` class vectors.

    Example:
        >>> import keras, numpy as np
        >>> cos = keras.ops.convert_to_numpy(CosineDense(3)(np.ones((2, 4), "float32")))
        >>> bool(np.all(np.abs(cos) <= 1.0 + 1e-6))
        True
    """

    def __init__(self, units: int, kernel_initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        if int(units) != units or units < 1:
            raise ValueError(f"`units` must be a positive integer, got {units!r}.")
        self.units = int(units)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def build(self, input_shape):
        self.kernel = self.add_weight(
            shape=(input_shape[-1], self.units), name="kernel", initializer=self.kernel_initializer
        )

    def call(self, inputs):
        return ops.matmul(l2_normalize(inputs), l2_normalize(self.kernel, axis=0))

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "units": self.units,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
        }


@keras.saving.register_keras_serializable(package="kexue")
class CenterLoss(keras.layers.Layer):
    """Adds ``weight · mean_b ½‖x_b − c_{y_b}‖²`` and returns the features unchanged.

    Call it on ``features`` with ``labels=`` integer class ids (batch,).

    Example:
        >>> import numpy as np
        >>> layer = CenterLoss(num_classes=3, weight=0.5)
        >>> out = layer(np.ones((2, 4), "float32"), labels=np.array([0, 2]))
        >>> round(float(layer.losses[0]), 6)  # centers start at 0: 0.5 · ½ · 4
        1.0
    """

    def __init__(self, num_classes: int, weight: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        if int(num_classes) != num_classes or num_classes < 1:
            raise ValueError(f"`num_classes` must be a positive integer, got {num_classes!r}.")
        if weight < 0:
            raise ValueError(f"`weight` must be >= 0, got {weight!r}.")
        self.num_classes, self.weight = int(num_classes), float(weight)

    def build(self, features_shape, labels_shape=None):
        self.centers = self.add_weight(
            shape=(self.num_classes, features_shape[-1]), name="centers", initializer="zeros"
        )

    def call(self, features, labels):
        labels = ops.reshape(ops.cast(labels, "int32"), (-1,))
        centers = ops.take(self.centers, labels, axis=0)
        distance = 0.5 * ops.sum(ops.square(ops.cast(features, centers.dtype) - centers), axis=-1)
        self.add_loss(self.weight * ops.mean(distance))
        return features

    def compute_output_shape(self, features_shape, labels_shape=None):
        return features_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "num_classes": self.num_classes, "weight": self.weight}
