"""The Self-Orthogonality regulariser (Zhang et al., 2020, "Self-Orthogonality Module").

Locality-sensitive hashing estimates the angle between two filters from the signs of their
responses: for random inputs, ``P[sign(wᵢ·x) ≠ sign(wⱼ·x)] = θᵢⱼ/π``, so
``E[sign(zᵢ) sign(zⱼ)] = 1 − 2θᵢⱼ/π`` is 0 exactly at 90°. The regulariser uses the layer's
own responses ``z`` (batch × filters), relaxes the sign to ``tanh(γz)``, estimates
``cᵢⱼ = mean_b tanh(γz_bi) tanh(γz_bj)`` for every pair i ≠ j and penalises

    λ₁ · mean(c)² + λ₂ · var(c)

pushing the mean angle to 90° and its spread to 0. Defaults γ = 10, λ₁ = 100, λ₂ = 1.
"""

from __future__ import annotations

import keras
from keras import ops

__all__ = ["SelfOrthogonality"]


@keras.saving.register_keras_serializable(package="kexue")
class SelfOrthogonality(keras.regularizers.Regularizer):
    """Use as ``activity_regularizer=SelfOrthogonality()`` on a Dense or Conv layer; the last
    axis indexes filters, every other axis indexes samples.

    Example:
        >>> import numpy as np
        >>> reg = SelfOrthogonality()
        >>> z = np.random.default_rng(0).normal(size=(512, 8)).astype("float32")
        >>> float(reg(z)) < 0.5  # independent responses: nearly orthogonal already
        True
    """

    def __init__(self, gamma: float = 10.0, lambda_1: float = 100.0, lambda_2: float = 1.0):
        for name, value in (("gamma", gamma), ("lambda_1", lambda_1), ("lambda_2", lambda_2)):
            if not value >= 0:
                raise ValueError(f"`{name}` must be >= 0, got {value!r}.")
        self.gamma, self.lambda_1, self.lambda_2 = float(gamma), float(lambda_1), float(lambda_2)

    def pairwise(self, responses):
        """The (filters, filters) matrix of relaxed sign agreements ``cᵢⱼ``."""
        z = ops.cast(responses, "float32")
        z = ops.reshape(z, (-1, z.shape[-1]))
        if z.shape[-1] is not None and z.shape[-1] < 2:
            raise ValueError("the Self-Orthogonality regulariser needs at least 2 filters.")
        h = ops.tanh(self.gamma * z)
        return ops.matmul(ops.transpose(h), h) / ops.cast(ops.shape(h)[0], "float32")

    def __call__(self, responses):
        c = self.pairwise(responses)
        n = ops.shape(c)[0]
        off = 1.0 - ops.eye(n, dtype=c.dtype)
        count = ops.cast(n * (n - 1), c.dtype)
        mean = ops.sum(c * off) / count
        var = ops.sum(ops.square(c - mean) * off) / count
        return self.lambda_1 * ops.square(mean) + self.lambda_2 * var

    def get_config(self) -> dict:
        return {"gamma": self.gamma, "lambda_1": self.lambda_1, "lambda_2": self.lambda_2}
