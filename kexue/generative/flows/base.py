"""The protocol shared by every flow layer: ``transform`` returns the output and the per-sample
log-determinant, ``inverse`` undoes it exactly.

A flow layer ``f`` maps ``x`` to ``y = f(x)`` and reports ``log|det df/dx|`` for each row of the
batch (shape ``(batch,)``), so a stack of them gives the change-of-variables log-likelihood
``log p(x) = log p(f(x)) + sum_k logdet_k``. Calling the layer is the same as ``transform``
(not named ``forward``: that is torch.nn.Module's method on the torch backend), and
``layer(y, inverse=True)`` is ``inverse``.

Example:
    >>> import numpy as np
    >>> from kexue.generative.flows import Actnorm
    >>> layer = Actnorm(data_init=False)
    >>> y, logdet = layer(np.ones((2, 3), "float32"))
    >>> tuple(logdet.shape)
    (2,)
"""

from __future__ import annotations

import keras
from keras import ops


def sum_except_batch(x):
    """Sum over every axis but the first: (batch, ...) -> (batch,)."""
    return ops.sum(ops.reshape(x, (ops.shape(x)[0], -1)), axis=-1)


def spatial_size(x) -> int:
    """Number of positions each channel is repeated over (H * W for images, 1 for vectors)."""
    size = 1
    for dim in x.shape[1:-1]:
        size *= int(dim)
    return size


def check_rank(shape, layer_name: str) -> None:
    """Flows act on vectors (batch, D) or images (batch, H, W, C)."""
    if len(shape) not in (2, 4):
        raise ValueError(
            f"{layer_name} expects inputs of shape (batch, features) or (batch, H, W, C); "
            f"got shape {tuple(shape)}. Reshape the data first."
        )


class FlowLayer(keras.layers.Layer):
    """Base class: subclasses implement ``transform(x) -> (y, logdet)`` and ``inverse(y) -> x``."""

    def transform(self, x):
        raise NotImplementedError

    def inverse(self, y):
        raise NotImplementedError

    def call(self, inputs, inverse: bool = False):
        if inverse:
            return self.inverse(inputs)
        return self.transform(inputs)
