"""The loss of every generation recipe: cross-entropy of next-token logits, averaged over the
positions that have a target (target id 0, the padding id, means "no target here").

A UniLM model predicts only the target segment (source positions get 0), a seq2seq decoder
only its real positions (padding gets 0), a conditional LM every next character of the text.
The mean is over all target tokens of the batch, as bert4keras's ``CrossEntropy`` layer takes
it, so long and short examples weigh by their tokens.

Example:
    >>> import numpy as np
    >>> logits = np.log(np.array([[[0.5, 0.25, 0.25], [0.1, 0.8, 0.1]]], "float32"))
    >>> round(float(NextTokenCrossentropy()(np.array([[0, 1]]), logits)), 4)  # only -log 0.8
    0.2231
"""

from __future__ import annotations

import keras
from keras import ops

__all__ = ["NextTokenCrossentropy"]


@keras.saving.register_keras_serializable(package="kexue")
class NextTokenCrossentropy(keras.losses.Loss):
    """Sparse cross-entropy from logits ``(batch, length, vocab)`` against ids ``(batch,
    length)``, ignoring target id ``ignore_id`` (default 0), averaged over the other tokens."""

    def __init__(self, ignore_id: int = 0, name: str = "next_token_crossentropy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.ignore_id = int(ignore_id)

    def call(self, y_true, y_pred):
        y_true = ops.cast(y_true, "int32")
        logits = ops.cast(y_pred, "float32")
        losses = ops.sparse_categorical_crossentropy(y_true, logits, from_logits=True)
        mask = ops.cast(ops.not_equal(y_true, self.ignore_id), "float32")
        return ops.sum(losses * mask) / ops.maximum(ops.sum(mask), 1.0)

    def get_config(self):
        return {**super().get_config(), "ignore_id": self.ignore_id}
