"""The activation ``x·min(1, eˣ)``: the identity for x ≥ 0 and ``x·eˣ`` (smooth, bounded
below by −1/e) for x < 0.

It is evaluated as ``max(x, x·e^(−|x|))``, which equals ``x·min(1, eˣ)`` everywhere and never
overflows, so value and gradient stay finite at x = ±1e4 (a naive ``where(x > 0, x, x·exp(x))``
computes ``exp(1e4) = inf`` in the unused branch and its gradient becomes NaN).
"""

from __future__ import annotations

import keras
from keras import ops

__all__ = ["x_min_exp", "XMinExp"]


@keras.saving.register_keras_serializable(package="kexue")
def x_min_exp(x):
    """``x·min(1, eˣ)``; usable as ``activation=x_min_exp`` in any Keras layer.

    >>> import numpy as np
    >>> np.round(np.asarray(x_min_exp(np.array([-1e4, -1.0, 0.0, 2.0, 1e4]))).astype(float), 4).tolist()
    [-0.0, -0.3679, 0.0, 2.0, 10000.0]
    """
    x = ops.convert_to_tensor(x)
    return ops.maximum(x, x * ops.exp(-ops.abs(x)))


@keras.saving.register_keras_serializable(package="kexue")
class XMinExp(keras.layers.Layer):
    """Layer form of :func:`x_min_exp`.

    >>> import numpy as np
    >>> float(XMinExp()(np.array([3.0], "float32"))[0])
    3.0
    """

    def call(self, inputs):
        return x_min_exp(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape
