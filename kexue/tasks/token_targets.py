"""Per-token training targets for language-model heads: the UniLM seq2seq target (each
position predicts the next token where that token belongs to the target segment) and a sparse
cross-entropy over logits that ignores positions marked ``-1`` — what bert4keras's seq2seq
examples compute with their ``CrossEntropy`` loss layer, written as a plain target array plus
a registered Keras loss so ``model.keras`` saves cleanly.

Example:
    >>> unilm_targets([2, 5, 6, 3, 7, 8, 3], [0, 0, 0, 0, 1, 1, 1])
    [-1, -1, -1, 7, 8, 3, -1]
"""

from __future__ import annotations

from typing import Sequence

import keras
from keras import ops

__all__ = ["unilm_targets", "MaskedSparseCrossentropy"]


def unilm_targets(token_ids: Sequence[int], segment_ids: Sequence[int]) -> list[int]:
    """``target[t] = token_ids[t + 1]`` where position ``t + 1`` is in segment 1, else ``-1``."""
    return [int(token_ids[t + 1]) if segment_ids[t + 1] == 1 else -1
            for t in range(len(token_ids) - 1)] + [-1]


@keras.saving.register_keras_serializable(package="kexue")
class MaskedSparseCrossentropy(keras.losses.Loss):
    """Sparse cross-entropy of logits ``(batch, length, vocab)``, averaged over every position
    of the batch whose target is not negative (as bert4keras' reading-comprehension example:
    ``sum(loss * mask) / sum(mask)``).

    The per-position values are returned already divided by the batch's count of targets and
    summed (``reduction="sum"``), so a Keras padding mask on the logits, which only ever covers
    positions whose target is negative too, changes nothing.

    >>> import numpy as np
    >>> logits = np.log(np.array([[[0.5, 0.5], [0.9, 0.1]]], "float32"))
    >>> loss = MaskedSparseCrossentropy()(np.array([[-1, 1]]), logits)
    >>> bool(np.isclose(float(loss), -np.log(0.1), rtol=1e-5))
    True
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("name", "masked_sparse_crossentropy")
        kwargs.setdefault("reduction", "sum")
        super().__init__(**kwargs)

    def call(self, y_true, y_pred):
        y_true = ops.cast(y_true, "int32")
        valid = ops.cast(y_true >= 0, "float32")
        losses = keras.losses.sparse_categorical_crossentropy(
            ops.maximum(y_true, 0), ops.cast(y_pred, "float32"), from_logits=True)
        return losses * valid / ops.maximum(ops.sum(valid), 1.0)
