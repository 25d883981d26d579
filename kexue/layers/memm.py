"""Maximum entropy Markov model (MEMM) head with bert4keras's interface.

Instead of one normalisation over all paths (CRF), an MEMM normalises every step:
p(yₜ | yₜ₋₁, x) = softmax((h[t] + trans[yₜ₋₁]) / 2), and p(y₁|x) = softmax(h[1]). Training is
teacher-forced, so the loss is a plain token cross-entropy: no forward algorithm. As in
bert4keras the loss averages this left-to-right model and the right-to-left one, whose
transition matrix is ``trans`` transposed. Decoding uses the CRF-style Viterbi on h and
``trans`` (`decode`).
"""

from __future__ import annotations

import keras
from keras import ops

from kexue.backend import Tensor
from kexue.layers.crf import (
    TransitionHead,
    framewise_accuracy,
    gather_time,
    left_align,
    mask_from_potentials,
    sparse_labels,
)


@keras.saving.register_keras_serializable(package="kexue")
class MaximumEntropyMarkovModel(TransitionHead):
    """MEMM sequence-labelling head: learns ``trans`` and provides losses and metrics.

    Args:
        lr_multiplier: scales the learning rate of the transition parameters (they are stored
            divided by it and multiplied back in use, so any optimizer works).
        hidden_dim: if set, ``trans`` is the low-rank product ``l_trans @ r_trans.T`` with
            inner size ``hidden_dim`` (for many labels); ``None``: a full matrix.

    Losses and metrics return one scalar per batch: the mean over real tokens (bert4keras).
    ``sparse_accuracy`` is the per-token argmax accuracy of the potentials, as for the CRF: on
    JAX, Keras compiles metrics without access to layer variables, so a metric cannot use
    ``trans`` there. The bert4keras MEMM metric (teacher-forced steps with ``trans``, both
    directions) is ``teacher_forced_accuracy``, for use outside ``compile``.

    Example:
        >>> import numpy as np, keras
        >>> tokens = keras.Input((None,), dtype="int32")
        >>> x = keras.layers.Embedding(10, 8, mask_zero=True)(tokens)
        >>> memm = MaximumEntropyMarkovModel()
        >>> model = keras.Model(tokens, memm(keras.layers.Dense(3)(x)))
        >>> model.compile("adam", loss=memm.sparse_loss, metrics=[memm.sparse_accuracy])
        >>> tuple(memm.trans.shape)
        (3, 3)
        >>> y_pred = model.predict(np.array([[1, 2, 0]]), verbose=0)
        >>> memm.decode(y_pred).shape[1]
        3
    """

    def __init__(
        self,
        lr_multiplier: float = 1.0,
        hidden_dim: int | None = None,
        trans_initializer="glorot_uniform",
        **kwargs,
    ):
        super().__init__(lr_multiplier, trans_initializer, **kwargs)
        if hidden_dim is not None and (int(hidden_dim) != hidden_dim or hidden_dim < 1):
            raise ValueError(
                f"`hidden_dim` must be a positive integer or None; got {hidden_dim}."
            )
        self.hidden_dim = None if hidden_dim is None else int(hidden_dim)

    def build(self, input_shape):
        num_labels = self._num_labels(input_shape)
        if self.hidden_dim is None:
            self._parts = [self._add_scaled_weight("trans", (num_labels, num_labels))]
        else:
            shape = (num_labels, self.hidden_dim)
            self._parts = [
                self._add_scaled_weight(name, shape) for name in ("l_trans", "r_trans")
            ]

    def _transitions(self) -> Tensor:
        if self.hidden_dim is None:
            return self._scaled(self._parts[0])
        left, right = (self._scaled(v) for v in self._parts)
        return ops.matmul(left, ops.transpose(right))

    def set_trans(self, value: Tensor) -> None:
        """Assign a full transition matrix (only when ``hidden_dim`` is None)."""
        if self.hidden_dim is not None:
            raise ValueError(
                "set_trans needs hidden_dim=None; a low-rank `trans` has two factors."
            )
        value = ops.convert_to_tensor(value, dtype=self._parts[0].dtype)
        self._parts[0].assign(value / self.lr_multiplier)

    # ----------------------------------------------------------------- losses and metrics
    def _step_logits(self, y_true, y_pred, mask):
        """Teacher-forced step logits of both directions, on left-aligned inputs."""
        y_pred = ops.cast(y_pred, "float32")
        mask = mask_from_potentials(y_pred, mask)
        order = left_align(mask)
        y_true, y_pred, mask = (gather_time(t, order) for t in (y_true, y_pred, mask))
        y_pred = ops.where(mask[..., None], y_pred, ops.zeros_like(y_pred))
        trans = ops.cast(self.trans, "float32")
        # Left to right: row trans[y_{t-1}]; the first token has only its own potential.
        from_previous = ops.take(trans, y_true[:, :-1], axis=0)
        forward = ops.concatenate([y_pred[:, :1], from_previous], axis=1)
        # Right to left: column trans[:, y_{t+1}]; the last real token has only its own.
        from_next = ops.take(ops.transpose(trans), y_true[:, 1:], axis=0)
        backward = ops.concatenate([from_next, y_pred[:, -1:]], axis=1)
        next_valid = ops.concatenate([mask[:, 1:], ops.zeros_like(mask[:, :1])], axis=1)
        backward = ops.where((mask & ~next_valid)[..., None], y_pred, backward)
        logits = [(y_pred + history) / 2 for history in (forward, backward)]
        return y_true, logits, ops.cast(mask, "float32")

    def sparse_loss(
        self, y_true: Tensor, y_pred: Tensor, mask: Tensor | None = None
    ) -> Tensor:
        """Mean token cross-entropy of both directions for integer ``y_true``."""
        y_true, logits, valid = self._step_logits(sparse_labels(y_true), y_pred, mask)
        total = 0.0
        for step_logits in logits:
            nll = ops.logsumexp(step_logits, axis=-1) - ops.squeeze(
                ops.take_along_axis(step_logits, y_true[..., None], axis=-1), -1
            )
            total = total + ops.sum(nll * valid)
        return total / (2 * ops.maximum(ops.sum(valid), 1.0))

    def dense_loss(
        self, y_true: Tensor, y_pred: Tensor, mask: Tensor | None = None
    ) -> Tensor:
        """`sparse_loss` for one-hot ``y_true``."""
        return self.sparse_loss(ops.argmax(y_true, axis=-1), y_pred, mask)

    def teacher_forced_accuracy(
        self, y_true: Tensor, y_pred: Tensor, mask: Tensor | None = None
    ) -> Tensor:
        """Accuracy of the step softmaxes given the true previous (next) label, averaged over
        both directions (bert4keras's MEMM metric); integer ``y_true``. Not for ``compile``."""
        y_true, logits, valid = self._step_logits(sparse_labels(y_true), y_pred, mask)
        accuracy = [framewise_accuracy(y_true, step, valid) for step in logits]
        return (accuracy[0] + accuracy[1]) / 2

    def get_config(self):
        config = super().get_config()
        config.update(hidden_dim=self.hidden_dim)
        return config
