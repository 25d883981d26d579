"""Multi-scale split with a conditional prior (Glow): factor out half of the channels early.

The input ``x`` is cut on the last axis into ``(z1, z2)``. ``z1`` continues through the flow;
``z2`` is modelled by a Gaussian whose mean and log-std come from ``z1`` (a zero-initialised
convolution or dense layer). The layer returns ``(z1, eps)`` with
``eps = (z2 - mean(z1)) * exp(-log_std(z1))``, a bijection whose log-determinant is
``-sum(log_std)``; ``eps`` is then scored against a standard normal. Sampling draws ``eps``.

Example:
    >>> import numpy as np
    >>> from keras import ops
    >>> from kexue.generative.flows.split import Split
    >>> layer = Split()
    >>> x = np.random.default_rng(0).normal(size=(2, 4, 4, 4)).astype("float32")
    >>> (z1, eps), logdet = layer(x)
    >>> tuple(z1.shape), tuple(eps.shape)
    ((2, 4, 4, 2), (2, 4, 4, 2))
"""

from __future__ import annotations

import keras
from keras import ops

from kexue.generative.flows.base import FlowLayer, check_rank, sum_except_batch


@keras.saving.register_keras_serializable(package="kexue")
class Split(FlowLayer):
    """Factor out the second half of the channels under a prior conditioned on the first half."""

    def build(self, input_shape):
        check_rank(input_shape, "Split")
        c = int(input_shape[-1])
        if c < 2:
            raise ValueError(f"Split needs at least 2 channels; got {c}.")
        self.keep = c // 2
        out = 2 * (c - self.keep)
        if len(input_shape) == 4:
            self.prior = keras.layers.Conv2D(out, 3, padding="same", kernel_initializer="zeros",
                                             name="prior")
        else:
            self.prior = keras.layers.Dense(out, kernel_initializer="zeros", name="prior")
        self.prior.build(tuple(input_shape[:-1]) + (self.keep,))

    def prior_params(self, z1):
        """Mean and log-std of ``z2`` given ``z1``."""
        mean, log_std = ops.split(self.prior(z1), 2, axis=-1)
        return mean, log_std

    def transform(self, x):
        z1, z2 = ops.split(x, [self.keep], axis=-1)
        mean, log_std = self.prior_params(z1)
        eps = (z2 - mean) * ops.exp(-log_std)
        return (z1, eps), -sum_except_batch(log_std)

    def inverse(self, y):
        if not isinstance(y, (tuple, list)) or len(y) != 2:
            raise ValueError("Split.inverse expects the pair (z1, eps).")
        z1, eps = y
        mean, log_std = self.prior_params(z1)
        return ops.concatenate([z1, mean + eps * ops.exp(log_std)], axis=-1)
