"""Multi-head attention with the position schemes of the Transformer families.

Position handling inside attention: ``"rotary"`` (RoFormer: q and k, optionally v, rotated by
interleaved RoPE), ``"nezha"`` (functional relative positions added to keys and values), and an
additive ``bias`` argument (T5's relative buckets, ALiBi-style biases). the mask is boolean and
broadcastable to ``(batch, heads, q_len, k_len)`` (argument ``attention_mask``); True means "may attend".

A key/value cache serves incremental decoding (:mod:`kexue.decoding` runs every step through
this layer): pass ``cache=(k, v)`` of shape ``(batch, max_len, heads, head_size)`` and
``cache_index`` (where the new positions go, also the rotary offset); the layer writes the new
keys and values there, attends over the whole cache (the mask says which positions count) and
returns ``(output, (k, v))``. ``cache`` without ``cache_index`` holds fixed, already projected
keys and values (:meth:`MultiHeadAttention.key_value` of an encoded source), attended as they
are.

Example:
    >>> import numpy as np
    >>> from kexue.layers.attention import MultiHeadAttention
    >>> x = np.random.rand(2, 5, 16).astype("float32")
    >>> tuple(MultiHeadAttention(heads=4, head_size=4)(x).shape)
    (2, 5, 16)
"""

from __future__ import annotations

import keras
from keras import ops

from kexue import backend
from kexue.layers.linear import Linear
from kexue.layers.positions import apply_rotary, nezha_relative_table, rotary_sin_cos
from kexue.layers.sublayer import call_sublayer
from kexue.masking import LARGE_NEGATIVE, large_negative

POSITION_TYPES = ("none", "rotary", "nezha")


@keras.saving.register_keras_serializable(package="kexue")
class MultiHeadAttention(keras.layers.Layer):
    """Scaled dot-product attention with ``query``, ``key``, ``value`` and ``output`` projections.

    Args:
        heads: number of heads.
        head_size: size of each head's queries, keys and values.
        output_dim: width of the output projection (defaults to the query input width).
        use_bias: biases on the four projections.
        position: one of ``"none"``, ``"rotary"``, ``"nezha"``.
        rotary_value: also rotate values (RoFormer's ``rotary_value`` option).
        max_relative_position: NEZHA's clipping distance.
        attention_dropout: dropout on attention probabilities (training only).
        scale_scores: divide scores by sqrt(head_size) (T5 does not).
        kernel_initializer: for the projections.
    """

    def __init__(
        self,
        heads: int,
        head_size: int,
        output_dim: int | None = None,
        use_bias: bool = True,
        position: str = "none",
        rotary_value: bool = False,
        max_relative_position: int = 64,
        attention_dropout: float = 0.0,
        scale_scores: bool = True,
        kernel_initializer="glorot_uniform",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.supports_masking = True  # the padding mask passes through to the output
        if position not in POSITION_TYPES:
            raise ValueError(f"position must be one of {POSITION_TYPES}, got {position!r}.")
        self.heads = int(heads)
        self.head_size = int(head_size)
        self.output_dim = output_dim
        self.use_bias = bool(use_bias)
        self.position = position
        self.rotary_value = bool(rotary_value)
        self.max_relative_position = int(max_relative_position)
        self.attention_dropout = float(attention_dropout)
        self.scale_scores = bool(scale_scores)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        width = self.heads * self.head_size
        dense = dict(use_bias=self.use_bias, kernel_initializer=self.kernel_initializer, dtype=self.dtype_policy)
        self.query = Linear(width, name="query", **dense)
        self.key = Linear(width, name="key", **dense)
        self.value = Linear(width, name="value", **dense)
        self._output_dense_kwargs = dense
        self.dropout = keras.layers.Dropout(self.attention_dropout, dtype=self.dtype_policy)

    def build(self, query_shape, key_shape=None, value_shape=None):
        key_shape = key_shape or query_shape
        value_shape = value_shape or key_shape
        self.query.build(query_shape)
        self.key.build(key_shape)
        self.value.build(value_shape)
        out_dim = self.output_dim or query_shape[-1]
        self.output_dense = Linear(out_dim, name="output", **self._output_dense_kwargs)
        self.output_dense.build(tuple(query_shape[:-1]) + (self.heads * self.head_size,))
        self.built = True

    def _split_heads(self, x):
        return ops.reshape(x, ops.shape(x)[:-1] + (self.heads, self.head_size))

    def call(
        self,
        query,
        key=None,
        value=None,
        attention_mask=None,
        bias=None,
        cache=None,
        cache_index=None,
        training=None,
    ):
        if cache is not None and cache_index is None:  # keys and values given, already projected
            q, (k, v) = self._split_heads(call_sublayer(self.query, query)), cache
        else:
            key = query if key is None else key
            q, k, v = self._project(query, key, value, cache_index)
            if cache is not None:  # write the new positions into the decoding cache
                k = backend.write_positions(cache[0], cache_index, k)
                v = backend.write_positions(cache[1], cache_index, v)
        out = self._attend(q, k, v, attention_mask, bias, training)
        out = ops.reshape(out, ops.shape(out)[:-2] + (self.heads * self.head_size,))
        out = call_sublayer(self.output_dense, out)
        return out if cache is None else (out, (k, v))

    def key_value(self, context):
        """The keys and values of ``context`` ``(batch, length, width)``, each ``(batch,
        length, heads, head_size)``: pass them as ``cache`` (without ``cache_index``) to attend
        to a fixed source many times, as cross-attention does in every decoding step."""
        k, v = call_sublayer(self.key, context), call_sublayer(self.value, context)
        return self._split_heads(k), self._split_heads(v)

    def _project(self, query, key, value, offset):
        """Queries, keys and values split into heads, rotated from position ``offset``."""
        value = key if value is None else value
        q = self._split_heads(call_sublayer(self.query, query))
        k = self._split_heads(call_sublayer(self.key, key))
        v = self._split_heads(call_sublayer(self.value, value))
        if self.position == "rotary":
            offset = 0 if offset is None else offset
            sin, cos = rotary_sin_cos(ops.shape(q)[1], self.head_size, offset=offset)
            q, k = apply_rotary(q, sin, cos), apply_rotary(k, sin, cos)
            if self.rotary_value:
                v = apply_rotary(v, sin, cos)
        return q, k, v

    def _attend(self, q, k, v, mask, bias, training):
        """q (b, t, h, d), k and v (b, s, h, d) -> (b, t, h, d)."""
        scale = 1.0 / self.head_size**0.5 if self.scale_scores else 1.0
        dropout = self.attention_dropout if training else 0.0
        if self.position != "nezha" and (not dropout or backend.fuses_attention_dropout()):
            if bias is not None:
                bias = ops.cast(bias, q.dtype)
                if mask is not None:  # some backends take a bias or a mask, not both
                    floor = large_negative(q.dtype)
                    bias, mask = ops.where(mask, bias, ops.cast(floor, q.dtype)), None
            return backend.dot_product_attention(q, k, v, mask=mask, bias=bias, scale=scale, dropout_rate=dropout)
        # Explicit path: NEZHA relative terms, or attention dropout where no kernel fuses it.
        scores = ops.einsum("bthd,bshd->bhts", q, k)
        relative = None
        if self.position == "nezha":
            t, s = q.shape[1], k.shape[1]
            if t != s:
                raise ValueError("NEZHA relative positions need equal query and key lengths.")
            relative = ops.cast(
                nezha_relative_table(t, self.head_size, self.max_relative_position), q.dtype
            )
            scores = scores + ops.einsum("bthd,tsd->bhts", q, relative)
        scores = ops.cast(scores, "float32") * scale
        if bias is not None:
            scores = scores + ops.cast(bias, "float32")
        if mask is not None:
            scores = ops.where(mask, scores, ops.full_like(scores, LARGE_NEGATIVE))
        probs = ops.cast(ops.softmax(scores, axis=-1), q.dtype)
        probs = call_sublayer(self.dropout, probs, training=training)
        out = ops.einsum("bhts,bshd->bthd", probs, v)
        if relative is not None:
            out = out + ops.einsum("bhts,tsd->bthd", probs, relative)
        return out

    def compute_output_shape(self, query_shape):
        return tuple(query_shape[:-1]) + (self.output_dim or query_shape[-1],)

    def get_config(self):
        config = super().get_config()
        config.update(
            heads=self.heads,
            head_size=self.head_size,
            output_dim=self.output_dim,
            use_bias=self.use_bias,
            position=self.position,
            rotary_value=self.rotary_value,
            max_relative_position=self.max_relative_position,
            attention_dropout=self.attention_dropout,
            scale_scores=self.scale_scores,
            kernel_initializer=keras.initializers.serialize(self.kernel_initializer),
        )
        return config
