"""The fixed sinusoidal position embedding of "Attention is All You Need", as a layer (the post
《Attention is All You Need》浅读（简介+代码）, 4765).

:class:`kexue.layers.PositionEmbedding` is a learned table; the post's model adds (or
concatenates) the fixed sinusoids of :func:`kexue.layers.positions.sinusoidal_table` to the
word embeddings, with no weights and no length limit. Column pair (2i, 2i+1) holds the sine and
cosine of ``position / 10000^(2i/d)``; the post's code puts all cosines before all sines, a
permutation of the same columns that a learned embedding or projection absorbs.

Example:
    >>> import numpy as np
    >>> from kexue.layers.sinusoidal import SinusoidalPositionEmbedding
    >>> x = np.zeros((2, 5, 8), "float32")
    >>> y = np.asarray(SinusoidalPositionEmbedding()(x))
    >>> y.shape, round(float(y[0, 1, 0]), 5), round(float(y[0, 1, 1]), 5)  # sin 1, cos 1
    ((2, 5, 8), 0.84147, 0.5403)
    >>> tuple(SinusoidalPositionEmbedding(output_dim=4, merge="concat")(x).shape)
    (2, 5, 12)
"""

from __future__ import annotations

import keras
from keras import ops

from kexue.layers.positions import sinusoidal_table

MERGES = ("add", "concat")


@keras.saving.register_keras_serializable(package="kexue")
class SinusoidalPositionEmbedding(keras.layers.Layer):
    """Add (``merge="add"``) or append (``merge="concat"``, width ``output_dim``) the sinusoids
    of positions ``0 .. seq_len − 1`` to inputs ``(batch, seq_len, dim)``. Masks pass through."""

    def __init__(self, output_dim: int | None = None, merge: str = "add", base: float = 10000.0,
                 **kwargs):
        super().__init__(**kwargs)
        if merge not in MERGES:
            raise ValueError(f"merge must be one of {MERGES}, got {merge!r}.")
        if merge == "concat" and not output_dim:
            raise ValueError("merge='concat' needs output_dim (the width of the appended sinusoids).")
        if output_dim is not None and (output_dim < 2 or output_dim % 2):
            raise ValueError(f"output_dim must be even and >= 2 (sine, cosine pairs); got {output_dim}.")
        self.output_dim, self.merge, self.base = output_dim, merge, float(base)
        self.supports_masking = True

    def call(self, inputs):
        dim = self.output_dim or inputs.shape[-1]
        if self.merge == "add" and dim != inputs.shape[-1]:
            raise ValueError(f"{self.name}: merge='add' needs output_dim = the input width "
                             f"{inputs.shape[-1]}; got {dim}.")
        table = sinusoidal_table(ops.arange(ops.shape(inputs)[1]), dim, self.base)
        table = ops.cast(ops.expand_dims(table, 0), inputs.dtype)
        if self.merge == "add":
            return inputs + table
        return ops.concatenate([inputs, ops.zeros_like(inputs[..., :1]) + table], axis=-1)

    def compute_output_shape(self, input_shape):
        if self.merge == "add":
            return tuple(input_shape)
        return tuple(input_shape[:-1]) + (input_shape[-1] + self.output_dim,)

    def get_config(self) -> dict:
        return {**super().get_config(), "output_dim": self.output_dim, "merge": self.merge,
                "base": self.base}
