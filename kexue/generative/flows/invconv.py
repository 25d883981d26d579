"""Invertible 1x1 convolution (Glow), LU-parameterised: ``W = P L (U + diag(sign * exp(log_s)))``.

On images ``(B, H, W, C)`` each pixel's channel vector is multiplied by the C x C matrix ``W``;
on vectors ``(B, D)`` it is an invertible linear map. ``P`` (a permutation) and ``sign`` are
fixed, ``L`` (unit lower-triangular), ``U`` (strictly upper) and ``log_s`` are learned, so the
log-determinant is simply ``H * W * sum(log_s)``. ``W`` starts as a random rotation.

Example:
    >>> import numpy as np
    >>> from keras import ops
    >>> from kexue.generative.flows.invconv import InvertibleConv1x1
    >>> layer = InvertibleConv1x1(seed=0)
    >>> x = np.random.default_rng(1).normal(size=(2, 4, 4, 3)).astype("float32")
    >>> y, logdet = layer(x)
    >>> bool(np.allclose(ops.convert_to_numpy(layer(y, inverse=True)), x, atol=1e-5))
    True
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from kexue.generative.flows.base import FlowLayer, check_rank, spatial_size


def lu_decompose(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """LU with partial pivoting in NumPy: returns ``(P, L, U)`` with ``a = P @ L @ U``,
    ``L`` unit lower-triangular and ``U`` upper-triangular."""
    a = np.array(a, dtype="float64")
    n = a.shape[0]
    perm, lower, upper = np.eye(n), np.eye(n), a.copy()
    for k in range(n - 1):
        pivot = k + int(np.argmax(np.abs(upper[k:, k])))
        if pivot != k:
            upper[[k, pivot]] = upper[[pivot, k]]
            perm[[k, pivot]] = perm[[pivot, k]]
            lower[[k, pivot], :k] = lower[[pivot, k], :k]
        lower[k + 1 :, k] = upper[k + 1 :, k] / upper[k, k]
        upper[k + 1 :] -= np.outer(lower[k + 1 :, k], upper[k])
    return perm.T, lower, np.triu(upper)


def _fixed(value: np.ndarray):
    return lambda shape, dtype=None: ops.cast(np.reshape(value, shape), dtype or "float32")


@keras.saving.register_keras_serializable(package="kexue")
class InvertibleConv1x1(FlowLayer):
    """Channel-mixing invertible linear map with an LU-parameterised weight.

    Args:
        seed: seed of the random rotation ``W`` starts from (``None``: random).
    """

    def __init__(self, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed

    def build(self, input_shape):
        check_rank(input_shape, "InvertibleConv1x1")
        c = int(input_shape[-1])
        rng = np.random.default_rng(self.seed)
        rotation = np.linalg.qr(rng.standard_normal((c, c)))[0]
        perm, lower, upper = lu_decompose(rotation)
        diag = np.diag(upper)
        self.perm = self.add_weight(shape=(c, c), initializer=_fixed(perm), trainable=False,
                                    name="perm")
        self.sign = self.add_weight(shape=(c,), initializer=_fixed(np.sign(diag)), trainable=False,
                                    name="sign")
        self.lower = self.add_weight(shape=(c, c), initializer=_fixed(lower), name="lower")
        self.upper = self.add_weight(shape=(c, c), initializer=_fixed(np.triu(upper, 1)),
                                     name="upper")
        self.log_s = self.add_weight(shape=(c,), initializer=_fixed(np.log(np.abs(diag))),
                                     name="log_s")
        self.lower_mask = np.tril(np.ones((c, c), "float32"), -1)

    def weight_matrix(self):
        """The current ``W`` (C x C)."""
        eye = ops.eye(self.lower.shape[0], dtype=self.lower.dtype)
        lower = self.lower * self.lower_mask + eye
        upper = self.upper * ops.transpose(self.lower_mask) + ops.diag(
            self.sign * ops.exp(self.log_s))
        return ops.matmul(self.perm, ops.matmul(lower, upper))

    def transform(self, x):
        y = ops.matmul(x, ops.transpose(self.weight_matrix()))
        logdet = spatial_size(x) * ops.sum(self.log_s) * ops.ones((ops.shape(x)[0],), x.dtype)
        return y, logdet

    def inverse(self, y):
        return ops.matmul(y, ops.transpose(ops.inv(self.weight_matrix())))

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}
