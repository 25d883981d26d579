"""T5's relative position bias: a learned scalar per head and per distance *bucket*, added to
the attention scores.

Distances ``key - query`` are put in ``num_buckets`` buckets: half of them (per direction when
``bidirectional``) hold the exact distances 0, 1, 2, ...; the rest cover larger distances on a
logarithmic scale up to ``max_distance``, beyond which everything shares the last bucket. A
decoder (``bidirectional=False``) only ever looks back, so future distances share bucket 0.

Example:
    >>> import numpy as np
    >>> from kexue.layers.relative_bias import relative_position_buckets
    >>> d = np.arange(-4, 5)[None, :]
    >>> np.asarray(relative_position_buckets(d, bidirectional=True, num_buckets=8,
    ...                                      max_distance=8)).tolist()
    [[3, 2, 2, 1, 0, 5, 6, 6, 7]]
"""

from __future__ import annotations

import math

import keras
from keras import ops


def relative_position_buckets(distance, bidirectional: bool, num_buckets: int, max_distance: int):
    """Bucket index (int32) of each ``key_position - query_position`` in ``distance``."""
    distance = ops.cast(distance, "int32")
    offset = ops.zeros_like(distance)
    if bidirectional:
        num_buckets //= 2
        offset = ops.where(distance > 0, num_buckets, 0)
        distance = ops.abs(distance)
    else:
        distance = ops.maximum(-distance, 0)  # looking back; the future shares bucket 0
    exact = num_buckets // 2
    # log-spaced buckets for exact <= distance < max_distance (float32, truncated toward zero)
    ratio = ops.log(ops.cast(ops.maximum(distance, 1), "float32") / exact) / math.log(max_distance / exact)
    large = exact + ops.cast(ratio * (num_buckets - exact), "int32")
    large = ops.minimum(large, num_buckets - 1)
    return offset + ops.where(distance < exact, distance, large)


@keras.saving.register_keras_serializable(package="kexue")
class RelativePositionBias(keras.layers.Layer):
    """Learned ``(num_buckets, heads)`` table -> additive attention bias ``(1, heads, q, k)``.

    ``call(query, key=None, offset=0)`` uses only the sequence lengths of ``query`` and
    ``key`` (``(batch, length, ...)`` tensors); ``offset`` is the absolute position of the
    first query (incremental decoding).

    Args:
        heads: number of attention heads.
        num_buckets: distance buckets (T5: 32).
        max_distance: distances from here on share the last bucket (T5: 128).
        bidirectional: encoder (True) or causal decoder (False) bucketing.
    """

    def __init__(
        self,
        heads: int,
        num_buckets: int = 32,
        max_distance: int = 128,
        bidirectional: bool = True,
        embeddings_initializer="glorot_uniform",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.supports_masking = True  # accepts masked queries; the bias itself has no mask
        if num_buckets < (4 if bidirectional else 2) or max_distance < 1:
            raise ValueError(
                f"num_buckets={num_buckets} is too small (need at least {4 if bidirectional else 2}) "
                f"or max_distance={max_distance} is not positive."
            )
        self.heads = int(heads)
        self.num_buckets = int(num_buckets)
        self.max_distance = int(max_distance)
        self.bidirectional = bool(bidirectional)
        self.embeddings_initializer = keras.initializers.get(embeddings_initializer)

    def build(self, query_shape, key_shape=None):
        self.embeddings = self.add_weight(
            name="embeddings",
            shape=(self.num_buckets, self.heads),
            initializer=self.embeddings_initializer,
        )
        self.built = True

    def bias_for(self, query_positions, key_length):
        """Bias ``(1, heads, len(query_positions), key_length)`` for absolute query positions
        against keys ``0 .. key_length - 1``."""
        keys = ops.arange(key_length, dtype="int32")[None, :]
        distance = keys - ops.cast(query_positions, "int32")[:, None]
        buckets = relative_position_buckets(
            distance, self.bidirectional, self.num_buckets, self.max_distance
        )
        values = ops.take(self.embeddings, buckets, axis=0)  # (q, k, heads)
        return ops.transpose(values, (2, 0, 1))[None]

    def call(self, query, key=None, offset=0):
        key = query if key is None else key
        q_len = ops.shape(query)[1]
        positions = ops.arange(q_len, dtype="int32") + ops.cast(offset, "int32")
        return self.bias_for(positions, ops.shape(key)[1])

    def compute_mask(self, query, mask=None):
        return None

    def compute_output_spec(self, query, key=None, offset=0):
        key = query if key is None else key
        return keras.KerasTensor((1, self.heads, query.shape[1], key.shape[1]), dtype=self.compute_dtype)

    def get_config(self):
        config = super().get_config()
        config.update(
            heads=self.heads,
            num_buckets=self.num_buckets,
            max_distance=self.max_distance,
            bidirectional=self.bidirectional,
            embeddings_initializer=keras.initializers.serialize(self.embeddings_initializer),
        )
        return config
