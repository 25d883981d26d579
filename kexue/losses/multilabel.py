"""Multilabel categorical cross-entropy ("softmax + cross-entropy for multilabel", kexue.fm 7359).

For scores s over classes with positive set P and negative set N, the loss is

    log(1 + Σ_{i∈N} e^{sᵢ}) + log(1 + Σ_{j∈P} e^{−sⱼ}),

which pushes every positive score above 0 and every negative below 0 (threshold 0 at test time)
without the class-imbalance trouble of one sigmoid per class. The sparse form takes the indices
of the positives instead of a dense 0/1 target, so the dense target (e.g. heads × length² for
GlobalPointer) is never built. Scores of :data:`kexue.masking.LARGE_NEGATIVE` (−1e12, the padding
written by the heads) count for nothing.
"""

from __future__ import annotations

from keras import ops

from kexue.backend import Tensor
from kexue.masking import LARGE_NEGATIVE

_BIG = -LARGE_NEGATIVE


def multilabel_categorical_crossentropy(y_true: Tensor, y_pred: Tensor) -> Tensor:
    """Loss over the last axis for a dense 0/1 ``y_true`` of the same shape as ``y_pred``.

    Example:
        >>> import numpy as np
        >>> loss = multilabel_categorical_crossentropy(np.array([[1.0, 0.0]]), np.array([[2.0, -1.0]]))
        >>> expected = np.log(1 + np.exp(-1.0)) + np.log(1 + np.exp(-2.0))
        >>> bool(np.isclose(float(loss[0]), expected))
        True
    """
    y_pred = ops.cast(y_pred, "float32")
    positive = ops.cast(y_true, "float32") > 0.5
    big = ops.full_like(y_pred, -_BIG)
    zeros = ops.zeros_like(y_pred[..., :1])
    negatives = ops.concatenate([ops.where(positive, big, y_pred), zeros], axis=-1)
    positives = ops.concatenate([ops.where(positive, -y_pred, big), zeros], axis=-1)
    return ops.logsumexp(negatives, axis=-1) + ops.logsumexp(positives, axis=-1)


def sparse_multilabel_categorical_crossentropy(
    y_true, y_pred, mask_zero: bool = False, epsilon: float = 1e-7
):
    """The same loss with ``y_true`` (..., num_positive) holding the positives' class indices.

    Indices must be distinct within a row. With ``mask_zero=True`` index 0 is padding (class 0
    is then never a class: pad short rows with 0). The negative part is computed as
    log(e^{A} − e^{B}) with A over all classes and B over the positives, clipped at ``epsilon``
    (so it is exact unless the negatives' share is below ~1e-7).

    Example:
        >>> import numpy as np
        >>> scores = np.array([[0.5, 2.0, -1.0, 0.3]])
        >>> dense = multilabel_categorical_crossentropy(np.array([[0, 1, 0, 1]]), scores)
        >>> sparse = sparse_multilabel_categorical_crossentropy(np.array([[1, 3]]), scores)
        >>> bool(np.allclose(dense, sparse, atol=1e-6))
        True
    """
    y_pred = ops.cast(y_pred, "float32")
    y_true = ops.cast(y_true, "int32")
    zeros = ops.zeros_like(y_pred[..., :1])
    if mask_zero:  # class 0 drops out of both sums
        y_pred = ops.concatenate([zeros - _BIG, y_pred[..., 1:]], axis=-1)
    gathered = ops.take_along_axis(y_pred, y_true, axis=-1)
    padding = y_true == 0 if mask_zero else ops.zeros_like(y_true, dtype="bool")
    pos_scores = ops.where(padding, ops.full_like(gathered, -_BIG), gathered)
    pos_loss = ops.logsumexp(
        ops.concatenate([ops.where(padding, pos_scores, -pos_scores), zeros], -1), -1
    )
    all_loss = ops.logsumexp(ops.concatenate([y_pred, zeros], axis=-1), axis=-1)
    share = ops.exp(
        ops.logsumexp(pos_scores, axis=-1) - all_loss
    )  # positives' share of e^{A}
    neg_loss = all_loss + ops.log(ops.clip(1.0 - share, epsilon, 1.0))
    return pos_loss + neg_loss


def global_pointer_crossentropy(y_true: Tensor, y_pred: Tensor) -> Tensor:
    """Per-sample loss for GlobalPointer scores (batch, heads, n, n) and a dense 0/1 target.

    Each head's n² spans form one multilabel problem; the loss is the mean over heads (so
    Keras' batch mean gives bert4keras's mean over batch × heads).

    Example:
        >>> import numpy as np
        >>> y_pred = np.full((1, 1, 2, 2), -3.0); y_pred[0, 0, 0, 1] = 1.0
        >>> y_true = np.zeros((1, 1, 2, 2)); y_true[0, 0, 0, 1] = 1
        >>> bool(np.isclose(float(global_pointer_crossentropy(y_true, y_pred)[0]),
        ...                 np.log(1 + 3 * np.exp(-3.0)) + np.log(1 + np.exp(-1.0))))
        True
    """
    y_pred = ops.convert_to_tensor(y_pred)
    batch, heads = ops.shape(y_pred)[0], ops.shape(y_pred)[1]
    y_pred = ops.reshape(y_pred, (batch, heads, -1))
    y_true = ops.reshape(ops.convert_to_tensor(y_true), (batch, heads, -1))
    return ops.mean(multilabel_categorical_crossentropy(y_true, y_pred), axis=1)


def _span_indices(y_true, length):
    """(batch, heads, max_spans, 2) start/end pairs → flat indices start·length + end."""
    y_true = ops.cast(y_true, "int32")
    if len(y_true.shape) != 4 or y_true.shape[-1] != 2:
        raise ValueError(
            "Sparse GlobalPointer targets must have shape (batch, heads, max_spans, 2) holding "
            f"(start, end) pairs, padded with (0, 0); got {tuple(y_true.shape)}."
        )
    return y_true[..., 0] * length + y_true[..., 1]


def sparse_global_pointer_crossentropy(y_true: Tensor, y_pred: Tensor) -> Tensor:
    """Per-sample loss for GlobalPointer scores with sparse (start, end) targets.

    ``y_true`` is (batch, heads, max_spans, 2), padded with the span (0, 0) (the [CLS] position,
    never an entity). The loss is the sum over heads (as in GPLinker).

    Example:
        >>> import numpy as np
        >>> y_pred = np.full((1, 1, 2, 2), -3.0); y_pred[0, 0, 0, 1] = 1.0
        >>> y_true = np.array([[[[0, 1], [0, 0]]]])
        >>> bool(np.isclose(float(sparse_global_pointer_crossentropy(y_true, y_pred)[0]),
        ...                 np.log(1 + 2 * np.exp(-3.0)) + np.log(1 + np.exp(-1.0))))
        True
    """
    y_pred = ops.convert_to_tensor(y_pred)
    batch, heads, length = (
        ops.shape(y_pred)[0],
        ops.shape(y_pred)[1],
        ops.shape(y_pred)[2],
    )
    flat = ops.reshape(y_pred, (batch, heads, -1))
    loss = sparse_multilabel_categorical_crossentropy(
        _span_indices(y_true, length), flat, mask_zero=True
    )
    return ops.sum(loss, axis=1)


def global_pointer_f1_score(y_true: Tensor, y_pred: Tensor) -> Tensor:
    """Span F1 of the batch, predicting spans with score > 0; dense 0/1 ``y_true``.

    Example:
        >>> import numpy as np
        >>> y_true = np.array([[[[0, 1], [0, 1]]]], "float32")
        >>> y_pred = np.array([[[[-1.0, 2.0], [-1e12, -0.5]]]], "float32")
        >>> round(float(global_pointer_f1_score(y_true, y_pred)), 4)
        0.6667
    """
    y_true = ops.cast(y_true, "float32")
    predicted = ops.cast(ops.cast(y_pred, "float32") > 0, "float32")
    return (
        2
        * ops.sum(y_true * predicted)
        / ops.maximum(ops.sum(y_true + predicted), 1e-12)
    )


def sparse_global_pointer_f1_score(y_true: Tensor, y_pred: Tensor) -> Tensor:
    """`global_pointer_f1_score` for sparse (start, end) targets padded with (0, 0)."""
    y_pred = ops.convert_to_tensor(y_pred)
    length = ops.shape(y_pred)[2]
    indices = _span_indices(y_true, length)
    dense = ops.sum(
        ops.one_hot(indices, length * length), axis=2
    )  # padding lands on span (0, 0)
    dense = ops.minimum(dense, 1.0) * ops.concatenate(
        [ops.zeros_like(dense[..., :1]), ops.ones_like(dense[..., 1:])], axis=-1
    )
    return global_pointer_f1_score(ops.reshape(dense, ops.shape(y_pred)), y_pred)
