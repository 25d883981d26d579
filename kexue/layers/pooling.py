"""Sequence pooling that respects padding: masked mean (sentence-transformers style) and masked
max (bert4keras' ``GlobalMaxPooling1D``).

The padding comes from an explicit ``mask``, from ``token_ids`` (with ``pad_token_id``), or
from the Keras mask a kexue Transformer puts on its outputs, in that order.

Example:
    >>> import numpy as np
    >>> from kexue.layers.pooling import GlobalMaxPooling1D, MaskedMeanPooling
    >>> h = np.array([[[1.0], [3.0], [100.0]]], "float32"); ids = np.array([[5, 6, 0]])
    >>> MaskedMeanPooling()(h, token_ids=ids).tolist()
    [[2.0]]
    >>> GlobalMaxPooling1D()(h, mask=ids != 0).tolist()
    [[3.0]]
"""

from __future__ import annotations

import keras
from keras import ops


def _padding(inputs, token_ids, pad_token_id: int, mask):
    if mask is not None:
        return ops.cast(mask, "bool")
    if token_ids is not None:
        return ops.not_equal(token_ids, pad_token_id)
    return None


@keras.saving.register_keras_serializable(package="kexue")
class MaskedMeanPooling(keras.layers.Layer):
    """Mean of hidden states over real positions (see the module docstring for where the
    padding comes from; without any, the plain mean); optionally L2-normalised (as
    all-MiniLM-L6-v2's sentence embeddings are)."""

    def __init__(self, pad_token_id: int = 0, normalize: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.pad_token_id = int(pad_token_id)
        self.normalize = bool(normalize)
        self.supports_masking = True

    def call(self, inputs, token_ids=None, mask=None):
        valid = _padding(inputs, token_ids, self.pad_token_id, mask)
        if valid is None:
            pooled = ops.mean(inputs, axis=1)
        else:
            weight = ops.cast(valid, inputs.dtype)[..., None]
            pooled = ops.sum(inputs * weight, axis=1) / ops.maximum(ops.sum(weight, axis=1), 1.0)
        if self.normalize:
            norm = ops.sqrt(ops.maximum(ops.sum(ops.square(pooled), axis=-1, keepdims=True), 1e-24))
            pooled = pooled / norm
        return pooled

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1])

    def get_config(self):
        config = super().get_config()
        config.update(pad_token_id=self.pad_token_id, normalize=self.normalize)
        return config


@keras.saving.register_keras_serializable(package="kexue")
class GlobalMaxPooling1D(keras.layers.GlobalMaxPooling1D):
    """``keras.layers.GlobalMaxPooling1D`` that ignores padded positions (Keras' own takes the
    maximum over padding too), as bert4keras' version did. Channels-last input."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        valid = ops.cast(mask, "bool")[..., None]
        lowest = ops.min(inputs, axis=1, keepdims=True)  # never above a real position's value
        return ops.max(ops.where(valid, inputs, lowest), axis=1, keepdims=self.keepdims)

    def compute_mask(self, inputs, mask=None):
        return None
