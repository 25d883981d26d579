"""Margin softmax losses over cosine logits: AM-Softmax and the simpler A-Softmax.

Both take ``cos`` (batch, classes), the cosine between an L2-normalised feature and each
L2-normalised class vector (:class:`kexue.layers.margins.CosineDense`), and replace the target
class's cosine by a harder one before a scaled softmax cross-entropy:

- AM-Softmax (additive margin): ``cos θ_y − m``, scale ``s`` (defaults s = 30, m = 0.35);
- A-Softmax (multiplicative angle, SphereFace's monotone form): ``(−1)ᵏ cos(mθ_y) − 2k`` with
  ``k = ⌊mθ_y/π⌋``; for m = 2 this is ``sign(c)·2c² − 1``.

The sparse forms take integer labels and never build a float one-hot target: they gather the
target cosine and take one logsumexp over the other classes' logits and the margin term
(masking the target's column rather than subtracting its term, which would cancel badly when
the target dominates).
"""

from __future__ import annotations

import math

from keras import ops

from kexue.masking import LARGE_NEGATIVE

__all__ = [
    "am_softmax_loss",
    "sparse_am_softmax_loss",
    "a_softmax_loss",
    "sparse_a_softmax_loss",
    "additive_margin",
    "angular_margin",
]


def additive_margin(cos, margin: float = 0.35):
    """AM-Softmax's target logit ``cos − m``."""
    return cos - margin


def angular_margin(cos, margin: int = 2):
    """A-Softmax's monotone ``ψ(θ) = (−1)ᵏ cos(mθ) − 2k`` (Chebyshev form, no arccos gradient)."""
    if int(margin) != margin or margin < 1:
        raise ValueError(f"A-Softmax's margin must be a positive integer, got {margin!r}.")
    c = ops.clip(cos, -1.0, 1.0)
    t_prev, t_cur = ops.ones_like(c), c  # T_0, T_1
    for _ in range(int(margin) - 1):
        t_prev, t_cur = t_cur, 2.0 * c * t_cur - t_prev
    theta = ops.arccos(ops.stop_gradient(c))
    k = ops.minimum(ops.floor(theta * margin / math.pi), margin - 1)
    sign = 1.0 - 2.0 * ops.mod(k, 2.0)
    return sign * t_cur - 2.0 * k


def _dense(y_true, cos, target_fn, scale):
    cos = ops.cast(cos, "float32")
    onehot = ops.cast(y_true, cos.dtype)
    target = ops.sum(onehot * cos, axis=-1, keepdims=True)
    logits = scale * (cos + onehot * (target_fn(target) - target))
    return ops.logsumexp(logits, axis=-1) - scale * ops.squeeze(target_fn(target), -1)


def _sparse(y_true, cos, target_fn, scale):
    cos = ops.cast(cos, "float32")
    labels = ops.reshape(ops.cast(y_true, "int32"), (-1, 1))
    target = ops.take_along_axis(cos, labels, axis=-1)  # (batch, 1)
    with_margin = scale * target_fn(target)
    # the other classes' logits: the target's column is masked out by comparing indices
    is_target = ops.equal(ops.arange(ops.shape(cos)[-1], dtype="int32")[None, :], labels)
    others = ops.where(is_target, LARGE_NEGATIVE, scale * cos)
    log_z = ops.logsumexp(ops.concatenate([others, with_margin], axis=-1), axis=-1)
    return log_z - ops.squeeze(with_margin, -1)


def _check(scale):
    if not scale > 0:
        raise ValueError(f"`scale` must be positive, got {scale!r}.")


def am_softmax_loss(y_true, cos, scale: float = 30.0, margin: float = 0.35):
    """AM-Softmax with one-hot ``y_true`` (batch, classes); per-example loss (batch,).

    >>> import numpy as np
    >>> cos = np.array([[0.2, 0.3, -0.2]], "float32")
    >>> ref = 30 * 0.15 + np.log(np.exp(-30 * 0.15) + np.exp(9.0) + np.exp(-6.0))
    >>> bool(np.isclose(float(am_softmax_loss(np.eye(3)[[0]], cos)[0]), ref, rtol=1e-5))
    True
    """
    _check(scale)
    return _dense(y_true, cos, lambda c: additive_margin(c, margin), scale)


def sparse_am_softmax_loss(y_true, cos, scale: float = 30.0, margin: float = 0.35):
    """AM-Softmax with integer labels ``y_true`` (batch,) or (batch, 1)."""
    _check(scale)
    return _sparse(y_true, cos, lambda c: additive_margin(c, margin), scale)


def a_softmax_loss(y_true, cos, scale: float = 30.0, margin: int = 2):
    """A-Softmax with one-hot ``y_true``."""
    _check(scale)
    return _dense(y_true, cos, lambda c: angular_margin(c, margin), scale)


def sparse_a_softmax_loss(y_true, cos, scale: float = 30.0, margin: int = 2):
    """A-Softmax with integer labels."""
    _check(scale)
    return _sparse(y_true, cos, lambda c: angular_margin(c, margin), scale)
