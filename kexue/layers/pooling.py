"""Sequence pooling driven by token ids: masked mean (sentence-transformers style), first token.

Example:
    >>> import numpy as np
    >>> from kexue.layers.pooling import MaskedMeanPooling
    >>> h = np.ones((1, 3, 4), "float32"); ids = np.array([[5, 6, 0]])
    >>> tuple(MaskedMeanPooling()(h, token_ids=ids).shape)
    (1, 4)
"""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="kexue")
class MaskedMeanPooling(keras.layers.Layer):
    """Mean of hidden states over positions whose token id is not ``pad_token_id``;
    optionally L2-normalised (as all-MiniLM-L6-v2's sentence embeddings are)."""

    def __init__(self, pad_token_id: int = 0, normalize: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.pad_token_id = int(pad_token_id)
        self.normalize = bool(normalize)

    def call(self, inputs, token_ids):
        mask = ops.cast(ops.not_equal(token_ids, self.pad_token_id), inputs.dtype)[..., None]
        total = ops.sum(inputs * mask, axis=1)
        count = ops.maximum(ops.sum(mask, axis=1), 1.0)
        pooled = total / count
        if self.normalize:
            norm = ops.sqrt(ops.maximum(ops.sum(ops.square(pooled), axis=-1, keepdims=True), 1e-24))
            pooled = pooled / norm
        return pooled

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1])

    def get_config(self):
        config = super().get_config()
        config.update(pad_token_id=self.pad_token_id, normalize=self.normalize)
        return config
