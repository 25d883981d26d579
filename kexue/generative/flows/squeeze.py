"""Squeeze (space-to-depth) and its inverse: ``(B, H, W, C) <-> (B, H/2, W/2, 4C)``.

A pure re-arrangement of the entries, so its log-determinant is 0. Multi-scale flows squeeze
before each level so that couplings on the channel axis also mix neighbouring pixels.

Example:
    >>> import numpy as np
    >>> from kexue.generative.flows.squeeze import Squeeze
    >>> x = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
    >>> y, _ = Squeeze()(x)
    >>> tuple(y.shape)
    (1, 2, 2, 4)
"""

from __future__ import annotations

import keras
from keras import ops

from kexue.generative.flows.base import FlowLayer


def squeeze2d(x, factor: int = 2):
    """Space-to-depth: each ``factor x factor`` patch becomes ``factor**2`` channels."""
    _, h, w, c = x.shape
    if h % factor or w % factor:
        raise ValueError(f"Squeeze needs H and W divisible by {factor}; got {h}x{w}.")
    x = ops.reshape(x, (-1, h // factor, factor, w // factor, factor, c))
    x = ops.transpose(x, (0, 1, 3, 2, 4, 5))
    return ops.reshape(x, (-1, h // factor, w // factor, c * factor * factor))


def unsqueeze2d(y, factor: int = 2):
    """Depth-to-space, the inverse of :func:`squeeze2d`."""
    _, h, w, c = y.shape
    if c % (factor * factor):
        raise ValueError(f"Unsqueeze needs channels divisible by {factor * factor}; got {c}.")
    y = ops.reshape(y, (-1, h, w, factor, factor, c // (factor * factor)))
    y = ops.transpose(y, (0, 1, 3, 2, 4, 5))
    return ops.reshape(y, (-1, h * factor, w * factor, c // (factor * factor)))


@keras.saving.register_keras_serializable(package="kexue")
class Squeeze(FlowLayer):
    """Flow-layer wrapper around :func:`squeeze2d` (log-det 0)."""

    def __init__(self, factor: int = 2, **kwargs):
        super().__init__(**kwargs)
        if factor < 2:
            raise ValueError(f"factor must be at least 2; got {factor}.")
        self.factor = int(factor)

    def build(self, input_shape):
        if len(input_shape) != 4:
            raise ValueError(
                f"Squeeze expects images (batch, H, W, C); got shape {tuple(input_shape)}."
            )

    def transform(self, x):
        return squeeze2d(x, self.factor), ops.zeros((ops.shape(x)[0],), x.dtype)

    def inverse(self, y):
        return unsqueeze2d(y, self.factor)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


@keras.saving.register_keras_serializable(package="kexue")
class Flatten(FlowLayer):
    """Reshape ``(B, ...)`` to ``(B, D)`` (log-det 0), so vector flows such as NICE act on images."""

    def build(self, input_shape):
        self.inner_shape = tuple(int(d) for d in input_shape[1:])

    def transform(self, x):
        return ops.reshape(x, (ops.shape(x)[0], -1)), ops.zeros((ops.shape(x)[0],), x.dtype)

    def inverse(self, y):
        return ops.reshape(y, (-1,) + self.inner_shape)
