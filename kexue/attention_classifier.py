"""The post's attention-only text classifier (《Attention is All You Need》浅读（简介+代码）, 4765).

Word embeddings, plus a position embedding, one multi-head self-attention layer, global
average pooling over the real (unmasked) tokens, dropout and a sigmoid: no RNN, no CNN. Without
a position embedding the model is a function of the *set* of tokens (attention and averaging
do not care about order), so it cannot tell "A before B" from "B before A"; the post adds the
fixed sinusoids for that. ``position`` chooses ``"sinusoidal"`` (the post's),
``"learned"`` (a trained table, :class:`kexue.layers.PositionEmbedding`) or ``"none"``.

The post's IMDB model used 8 heads of size 16 over 128-wide embeddings, a dropout of 0.5, and
no output projection after the heads; here the attention is
:class:`kexue.layers.MultiHeadAttention`, which has one (same model family, one more matrix).

Example:
    >>> import numpy as np
    >>> from kexue.attention_classifier import attention_classifier
    >>> model = attention_classifier(vocab_size=20, embedding_dim=16, heads=2, head_size=8)
    >>> tuple(model(np.array([[3, 1, 4, 2, 0, 0]])).shape)
    (1, 1)
"""

from __future__ import annotations

import keras

from kexue.layers.attention import MultiHeadAttention
from kexue.layers.pooling import MaskedMeanPooling
from kexue.layers.positions import PositionEmbedding
from kexue.layers.sinusoidal import SinusoidalPositionEmbedding

POSITIONS = ("sinusoidal", "learned", "none")


def attention_classifier(vocab_size: int, position: str = "sinusoidal", embedding_dim: int = 128,
                         heads: int = 8, head_size: int = 16, dropout: float = 0.5,
                         max_length: int = 512) -> keras.Model:
    """Token ids ``(batch, length)`` (0 = padding) -> probability of class 1 ``(batch, 1)``.

    ``max_length`` bounds the learned table only (the sinusoids have no limit).
    """
    if position not in POSITIONS:
        raise ValueError(f"position must be one of {POSITIONS}, got {position!r}.")
    ids = keras.Input((None,), dtype="int32", name="token_ids")
    x = keras.layers.Embedding(vocab_size, embedding_dim, name="embedding")(ids)
    if position == "sinusoidal":
        x = SinusoidalPositionEmbedding(name="positions")(x)
    elif position == "learned":
        x = keras.layers.Add()([x, PositionEmbedding(max_length, embedding_dim, name="positions")(x)])
    mask = keras.ops.expand_dims(keras.ops.expand_dims(keras.ops.not_equal(ids, 0), 1), 1)
    x = MultiHeadAttention(heads, head_size, name="attention")(x, attention_mask=mask)
    x = MaskedMeanPooling(name="pool")(x, token_ids=ids)
    x = keras.layers.Dropout(dropout)(x)
    return keras.Model(ids, keras.layers.Dense(1, activation="sigmoid", name="score")(x))
