"""Token embedding whose matrix can also serve as the output projection (tied weights).

``TiedEmbedding(ids)`` looks up vectors; ``TiedEmbedding(hidden, mode="logits")`` multiplies by
the transposed matrix, as BERT's MLM head and GPT-2's LM head do.

Example:
    >>> import numpy as np
    >>> from kexue.layers.embedding import TiedEmbedding
    >>> emb = TiedEmbedding(input_dim=10, output_dim=4)
    >>> h = emb(np.array([[1, 2, 3]]))
    >>> tuple(emb(h, mode="logits").shape)
    (1, 3, 10)
"""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="kexue")
class TiedEmbedding(keras.layers.Embedding):
    """``keras.layers.Embedding`` with a second mode that projects hidden states to logits.

    In ``"logits"`` mode the padding mask of the hidden states passes to the logits.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.supports_masking = True

    def compute_mask(self, inputs, mask=None):
        if "int" in keras.backend.standardize_dtype(inputs.dtype):  # embedding token ids
            return super().compute_mask(inputs, mask)
        return mask  # logits of (possibly masked) hidden states

    def call(self, inputs, mode: str = "embed"):
        if mode == "embed":
            return super().call(inputs)
        if mode == "logits":
            kernel = ops.cast(self.embeddings, self.compute_dtype)
            return ops.matmul(inputs, ops.transpose(kernel))
        raise ValueError(f"{self.name}: mode must be 'embed' or 'logits', got {mode!r}.")

    def compute_output_spec(self, inputs, mode: str = "embed"):
        if mode == "logits":
            shape = tuple(inputs.shape[:-1]) + (self.input_dim,)
        else:
            shape = tuple(inputs.shape) + (self.output_dim,)
        return keras.KerasTensor(shape, dtype=self.compute_dtype)


@keras.saving.register_keras_serializable(package="kexue")
class Bias(keras.layers.Layer):
    """Adds a learned bias vector over the last axis (the MLM output bias)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def build(self, input_shape):
        self.bias = self.add_weight(name="bias", shape=(input_shape[-1],), initializer="zeros")
        self.built = True

    def call(self, inputs):
        return inputs + ops.cast(self.bias, inputs.dtype)
