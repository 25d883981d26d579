"""Position encodings: learned absolute embeddings, sinusoidal tables, rotary (RoPE) and the
NEZHA functional relative table.

Example:
    >>> import numpy as np
    >>> from kexue.layers.positions import PositionEmbedding, apply_rotary, rotary_sin_cos
    >>> x = np.zeros((2, 7, 16), dtype="float32")
    >>> tuple(PositionEmbedding(input_dim=32, output_dim=16)(x).shape)
    (1, 7, 16)
    >>> sin, cos = rotary_sin_cos(7, 8)
    >>> q = np.random.rand(2, 7, 4, 8).astype("float32")  # (batch, seq, heads, head_size)
    >>> tuple(apply_rotary(q, sin, cos).shape)
    (2, 7, 4, 8)
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops


@keras.saving.register_keras_serializable(package="kexue")
class PositionEmbedding(keras.layers.Layer):
    """Learned absolute position embeddings for positions ``offset .. offset + seq_len - 1``.

    Returns a ``(1, seq_len, output_dim)`` tensor to be added to the token embeddings.
    ``offset`` supports incremental decoding, where the new token sits at a later position.
    ``positions`` (int ``(batch, seq_len)``) gives each token's own row instead (bert4keras'
    ``custom_position_ids``, or positions that skip padding); the result is then
    ``(batch, seq_len, output_dim)``.
    """

    def __init__(self, input_dim: int, output_dim: int, initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        self.input_dim = int(input_dim)
        self.output_dim = int(output_dim)
        self.initializer = keras.initializers.get(initializer)

    def build(self, input_shape):
        self.embeddings = self.add_weight(
            name="embeddings", shape=(self.input_dim, self.output_dim), initializer=self.initializer
        )
        self.built = True

    def call(self, inputs, positions=None, offset=0):
        table = ops.cast(self.embeddings, self.compute_dtype)
        if positions is not None:
            return ops.take(table, ops.cast(positions, "int32") + ops.cast(offset, "int32"), axis=0)
        seq_len = ops.shape(inputs)[1]
        positions = ops.arange(seq_len, dtype="int32") + ops.cast(offset, "int32")
        return ops.expand_dims(ops.take(table, positions, axis=0), 0)

    def compute_output_spec(self, inputs, positions=None, offset=0):
        if positions is not None:
            return keras.KerasTensor(tuple(positions.shape) + (self.output_dim,), self.compute_dtype)
        return keras.KerasTensor((1, inputs.shape[1], self.output_dim), self.compute_dtype)

    def get_config(self):
        config = super().get_config()
        config.update(
            input_dim=self.input_dim,
            output_dim=self.output_dim,
            initializer=keras.initializers.serialize(self.initializer),
        )
        return config


def sinusoidal_table(positions, dim: int, base: float = 10000.0):
    """Sinusoids ``(len(positions), dim)``: column pair (2i, 2i+1) holds sin and cos of
    ``position / base**(2i/dim)`` (the interleaved layout)."""
    positions = ops.cast(positions, "float32")
    inv_freq = ops.power(base, -ops.arange(0, dim // 2, dtype="float32") * (2.0 / dim))
    angles = ops.expand_dims(positions, -1) * inv_freq  # (n, dim/2)
    return ops.reshape(ops.stack([ops.sin(angles), ops.cos(angles)], axis=-1), (-1, dim))


def rotary_sin_cos_at(positions, dim: int, base: float = 10000.0):
    """sin and cos tables ``(len(positions), dim)`` for interleaved rotary embeddings at the
    given (any, even fractional) positions.

    Each frequency is repeated twice (``[s0, s0, s1, s1, ...]``) to match the interleaved
    pairs (x0, x1), (x2, x3), ...
    """
    positions = ops.cast(positions, "float32")
    inv_freq = ops.power(base, -ops.arange(0, dim // 2, dtype="float32") * (2.0 / dim))
    angles = ops.repeat(ops.expand_dims(positions, -1) * inv_freq, 2, axis=-1)
    return ops.sin(angles), ops.cos(angles)


def rotary_sin_cos(seq_len, dim: int, offset=0, base: float = 10000.0):
    """:func:`rotary_sin_cos_at` for positions ``offset .. offset + seq_len - 1``."""
    positions = ops.arange(seq_len, dtype="float32") + ops.cast(offset, "float32")
    return rotary_sin_cos_at(positions, dim, base)


def apply_rotary(x, sin, cos):
    """Rotate interleaved pairs of ``x`` ``(batch, seq, ..., dim)`` (any axes, e.g. heads,
    between ``seq`` and ``dim``) by the position-dependent angles of ``sin``/``cos``
    ``(seq, dim)``.

    (x0, x1) -> (x0 cos - x1 sin, x1 cos + x0 sin), which makes q·k depend on positions only
    through their difference.
    """
    dtype = x.dtype
    dim = x.shape[-1]
    if dim is None or dim % 2:
        raise ValueError(f"rotary embeddings need an even, known last axis; got {dim}.")
    pairs = ops.reshape(ops.cast(x, "float32"), ops.shape(x)[:-1] + (dim // 2, 2))
    rotated = ops.reshape(ops.stack([-pairs[..., 1], pairs[..., 0]], axis=-1), ops.shape(x))
    middle = (1,) * (len(x.shape) - 3)  # axes between seq and dim
    table_shape = (1, ops.shape(sin)[0]) + middle + (dim,)
    sin, cos = ops.reshape(sin, table_shape), ops.reshape(cos, table_shape)
    return ops.cast(ops.cast(x, "float32") * cos + rotated * sin, dtype)


def nezha_relative_table(seq_len: int, dim: int, max_distance: int = 64) -> np.ndarray:
    """NEZHA's functional relative positions: sinusoids of ``clip(j - i)`` as a NumPy
    ``(seq_len, seq_len, dim)`` table (constant, no weights)."""
    distance = np.arange(seq_len)[None, :] - np.arange(seq_len)[:, None]
    distance = np.clip(distance, -max_distance, max_distance) + max_distance
    vocab = 2 * max_distance + 1
    position = np.arange(vocab, dtype="float64")[:, None]
    div_term = np.exp(np.arange(0, dim, 2, dtype="float64") * (-np.log(10000.0) / dim))
    table = np.zeros((vocab, dim))
    table[:, 0::2] = np.sin(position * div_term)
    table[:, 1::2] = np.cos(position * div_term)
    return table[distance].astype("float32")
