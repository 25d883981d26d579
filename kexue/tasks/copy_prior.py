"""The LSTM seq2seq of 科学空间 5861 ("玩转Keras之seq2seq自动生成标题"): a shared character
embedding, a BiLSTM encoder, an LSTM decoder attending over the encoder, and the **copy
prior**.

The prior encodes the observation that most characters of a title are in its abstract: the
source's characters as a bag (a 0/1 vector over the vocabulary), passed through a learned
per-character scale and shift, is averaged with the decoder's logits before the softmax. At
initialisation the scale is 1 and the shift 0, so characters of the source start with a
logit bonus of 1/2; training learns how much to trust the bag, per character.

Layers: :class:`SourceBag`, :class:`ScaleShift`, :class:`AverageWithPrior`,
:class:`NotPadding`, :class:`SourceAttentionMask`; :func:`build_lstm_seq2seq` wires the model (inputs
``[source_ids, target_in_ids]``, logits out).

Example:
    >>> import numpy as np
    >>> model = build_lstm_seq2seq(vocab_size=20, hidden=8, heads=2)
    >>> model.predict([np.array([[2, 7, 8, 3]]), np.array([[2, 7]])], verbose=0).shape
    (1, 2, 20)
    >>> SourceBag(6)(np.array([[2, 4, 4, 0]])).tolist()
    [[0.0, 0.0, 1.0, 0.0, 1.0, 0.0]]
"""

from __future__ import annotations

import keras
from keras import ops

__all__ = ["SourceBag", "ScaleShift", "AverageWithPrior", "NotPadding", "SourceAttentionMask",
           "build_lstm_seq2seq"]


@keras.saving.register_keras_serializable(package="kexue")
class SourceBag(keras.layers.Layer):
    """Token ids ``(batch, length)`` -> the 0/1 bag of the tokens present ``(batch, vocab)``
    (padding ``pad_id`` left out)."""

    def __init__(self, vocab_size: int, pad_id: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.vocab_size, self.pad_id = int(vocab_size), int(pad_id)

    def call(self, token_ids):
        token_ids = ops.cast(token_ids, "int32")
        present = ops.one_hot(token_ids, self.vocab_size, dtype=self.compute_dtype)
        present = present * ops.cast(ops.not_equal(token_ids, self.pad_id), self.compute_dtype)[..., None]
        return ops.minimum(ops.sum(present, axis=1), 1.0)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.vocab_size)

    def get_config(self):
        return {**super().get_config(), "vocab_size": self.vocab_size, "pad_id": self.pad_id}


@keras.saving.register_keras_serializable(package="kexue")
class ScaleShift(keras.layers.Layer):
    """``exp(log_scale) * x + shift`` with one learned scale and shift per feature (the last
    axis); starts as the identity."""

    def build(self, input_shape):
        self.log_scale = self.add_weight(name="log_scale", shape=(input_shape[-1],), initializer="zeros")
        self.shift = self.add_weight(name="shift", shape=(input_shape[-1],), initializer="zeros")

    def call(self, inputs):
        return ops.exp(self.log_scale) * inputs + self.shift

    def compute_output_shape(self, input_shape):
        return input_shape


@keras.saving.register_keras_serializable(package="kexue")
class AverageWithPrior(keras.layers.Layer):
    """``(logits + prior) / 2``: logits ``(batch, length, vocab)``, a prior ``(batch, vocab)``
    shared by every position."""

    def call(self, logits, prior):
        return (logits + ops.cast(prior, logits.dtype)[:, None, :]) / 2

    def compute_output_shape(self, logits_shape, prior_shape):
        return logits_shape


@keras.saving.register_keras_serializable(package="kexue")
class NotPadding(keras.layers.Layer):
    """Token ids -> a boolean mask, ``True`` where the id is not ``pad_id``."""

    def __init__(self, pad_id: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.pad_id = int(pad_id)

    def call(self, token_ids):
        return ops.not_equal(token_ids, self.pad_id)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "pad_id": self.pad_id}


@keras.saving.register_keras_serializable(package="kexue")
class SourceAttentionMask(keras.layers.Layer):
    """``(target_ids, source_ids)`` -> a boolean ``(batch, target_length, source_length)``
    mask: every target position may attend to the non-padding source positions."""

    def __init__(self, pad_id: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.pad_id = int(pad_id)

    def call(self, target, source):
        valid = ops.not_equal(source, self.pad_id)[:, None, :]
        rows = ops.ones_like(target, dtype="bool")[:, :, None]
        return ops.logical_and(rows, valid)

    def compute_output_shape(self, target_shape, source_shape):
        return (target_shape[0], target_shape[1], source_shape[1])

    def get_config(self):
        return {**super().get_config(), "pad_id": self.pad_id}


def build_lstm_seq2seq(vocab_size: int, hidden: int = 128, heads: int = 8, copy_prior: bool = True,
                       pad_id: int = 0, dropout: float = 0.0) -> keras.Model:
    """The 5861 model: inputs ``source_ids`` and ``target_in_ids`` (the target shifted right,
    starting with the start token), output next-token logits ``(batch, target_length, vocab)``.

    Two BiLSTM layers (``hidden / 2`` units each way) encode the source, two LSTM layers of
    ``hidden`` units read the target, multi-head attention (``heads`` heads) lets each target
    position read the source, and ``[decoder, attention]`` goes through a dense layer (leaky
    ReLU) to the logits; ``copy_prior`` averages them with the scaled and shifted source bag.
    """
    if hidden % 2 or hidden % heads:
        raise ValueError(f"the hidden size {hidden} must be even and a multiple of the {heads} heads.")
    source = keras.Input((None,), dtype="int32", name="source_ids")
    target = keras.Input((None,), dtype="int32", name="target_in_ids")
    embedding = keras.layers.Embedding(vocab_size, hidden, name="char_embedding")
    valid = NotPadding(pad_id, name="source_valid")(source)
    x = embedding(source)
    for i in range(2):
        x = keras.layers.Bidirectional(keras.layers.LSTM(hidden // 2, return_sequences=True),
                                       name=f"encoder_lstm_{i}")(x, mask=valid)
        x = keras.layers.LayerNormalization(name=f"encoder_norm_{i}")(x)
    y = embedding(target)
    for i in range(2):
        y = keras.layers.LSTM(hidden, return_sequences=True, name=f"decoder_lstm_{i}")(y)
        y = keras.layers.LayerNormalization(name=f"decoder_norm_{i}")(y)
    mask = SourceAttentionMask(pad_id, name="attention_mask")(target, source)
    attended = keras.layers.MultiHeadAttention(heads, hidden // heads, name="attention")(
        y, x, x, attention_mask=mask)
    h = keras.layers.Concatenate(name="decoder_and_attention")([y, attended])
    if dropout:
        h = keras.layers.Dropout(dropout, name="output_dropout")(h)
    h = keras.layers.Dense(hidden, name="output_dense")(h)
    h = keras.layers.LeakyReLU(0.2, name="output_activation")(h)
    logits = keras.layers.Dense(vocab_size, name="logits")(h)
    if copy_prior:
        prior = ScaleShift(name="copy_scale_shift")(SourceBag(vocab_size, pad_id, name="source_bag")(source))
        logits = AverageWithPrior(name="copy_prior")(logits, prior)
    return keras.Model([source, target], logits, name="lstm_seq2seq")
