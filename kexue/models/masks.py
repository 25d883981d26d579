"""Padding and attention masks: which tokens are real, and who may attend to whom.

Padding is defined per family (see ``TransformerSpec.pad_token_id``): BERT-style vocabularies
pad with ``[PAD]`` (id 0), RoBERTa checkpoints from Hugging Face with id 1, T5 with id 0 except
at the decoder's first position (its start token is the padding id), and GPT-2 has no padding
token at all: no id is ever padding there, only an explicit ``padding_mask`` input says so.

:class:`PaddingMask` turns token ids into that boolean mask, :class:`AttentionMask` turns it
(and, for UniLM, the segment ids) into the attention mask of the blocks, and
:class:`SequenceMask` attaches it to a sequence as its Keras mask, so layers downstream (CRF,
GlobalPointer, poolings, losses) see the padding without being told.

With segment ids ``s`` (0 = source, 1 = target) and ``c = cumsum(s)``, UniLM lets position ``i``
attend to ``j`` iff ``c_j <= c_i``: source positions see the whole source and no target, and a
target position sees the source and the targets up to itself. The LM mask is ``j <= i``.
Padding keys are never attended to. In the LM and UniLM masks a position may always attend to
itself, so fully padded rows stay finite.

Example:
    >>> import keras, numpy as np
    >>> from kexue.models.masks import AttentionMask, PaddingMask
    >>> ids = np.array([[5, 6, 7, 0]]); seg = np.array([[0, 0, 1, 0]])
    >>> valid = PaddingMask(pad_token_id=0)(ids)
    >>> m = AttentionMask(application="unilm")(valid, seg)
    >>> np.asarray(keras.ops.convert_to_numpy(m))[0, 0].astype(int).tolist()
    [[1, 1, 0, 0], [1, 1, 0, 0], [1, 1, 1, 0], [1, 1, 1, 1]]

    (The padded last position is never a key for the others; as a query it continues the
    target segment, so it sees the source, the target and itself.)
"""

from __future__ import annotations

import keras
from keras import ops

APPLICATIONS = ("encoder", "lm", "unilm")


def padding_mask(token_ids, pad_token_id: int | None, first_is_real: bool = False):
    """Boolean ``(batch, length)``: True at real tokens. ``pad_token_id=None`` (GPT-2): every
    token is real. ``first_is_real``: position 0 is real whatever its id (T5's decoder)."""
    if pad_token_id is None:
        return ops.ones(ops.shape(token_ids), "bool")
    valid = ops.not_equal(token_ids, pad_token_id)
    if first_is_real:
        valid = ops.concatenate([ops.ones_like(valid[:, :1]), valid[:, 1:]], axis=1)
    return valid


def attention_mask(valid, segment_ids=None, application: str = "encoder"):
    """Boolean mask broadcastable to ``(batch, heads, q_len, k_len)``; True = may attend.
    ``valid`` is the ``(batch, length)`` padding mask (True at real tokens)."""
    if application not in APPLICATIONS:
        raise ValueError(f"application must be one of {APPLICATIONS}, got {application!r}.")
    key_valid = ops.cast(valid, "bool")[:, None, None, :]  # (b, 1, 1, t)
    if application == "encoder":
        return key_valid
    length = ops.shape(valid)[1]
    idx = ops.arange(length)
    diagonal = ops.equal(idx[:, None], idx[None, :])[None, None]
    if application == "lm":
        allowed = ops.greater_equal(idx[:, None], idx[None, :])[None, None]  # j <= i
    else:
        if segment_ids is None:
            raise ValueError("application='unilm' needs segment ids (0 = source, 1 = target).")
        c = ops.cumsum(ops.cast(segment_ids, "int32"), axis=1)
        allowed = ops.less_equal(c[:, None, :], c[:, :, None])[:, None]  # c_j <= c_i
    return ops.logical_or(ops.logical_and(allowed, key_valid), diagonal)


def positions_from_mask(valid):
    """Position ids that count only real tokens (``cumsum(valid) - 1``, 0 at leading padding):
    Hugging Face RoBERTa's (and fairseq's) numbering, and the decoder's for left padding."""
    return ops.maximum(ops.cumsum(ops.cast(valid, "int32"), axis=1) - 1, 0)


@keras.saving.register_keras_serializable(package="kexue")
class PaddingMask(keras.layers.Layer):
    """Layer form of :func:`padding_mask` (token ids -> boolean ``(batch, length)``)."""

    def __init__(self, pad_token_id: int | None = 0, first_is_real: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.pad_token_id = None if pad_token_id is None else int(pad_token_id)
        self.first_is_real = bool(first_is_real)

    def call(self, token_ids):
        return padding_mask(token_ids, self.pad_token_id, self.first_is_real)

    def compute_output_spec(self, token_ids):
        return keras.KerasTensor(token_ids.shape, dtype="bool")

    def get_config(self):
        config = super().get_config()
        config.update(pad_token_id=self.pad_token_id, first_is_real=self.first_is_real)
        return config


@keras.saving.register_keras_serializable(package="kexue")
class PositionIds(keras.layers.Layer):
    """Layer form of :func:`positions_from_mask` (padding mask -> int32 position ids)."""

    def call(self, valid):
        return positions_from_mask(valid)

    def compute_output_spec(self, valid):
        return keras.KerasTensor(valid.shape, dtype="int32")


@keras.saving.register_keras_serializable(package="kexue")
class AttentionMask(keras.layers.Layer):
    """Layer form of :func:`attention_mask`: padding mask (and segment ids) -> attention mask.

    ``pad_token_id`` records the family's padding id (``None``: no padding token) for the
    decoders that continue the sequence step by step; the mask itself comes from the input.
    """

    def __init__(self, application: str = "encoder", pad_token_id: int | None = 0, **kwargs):
        super().__init__(**kwargs)
        if application not in APPLICATIONS:
            raise ValueError(f"application must be one of {APPLICATIONS}, got {application!r}.")
        self.application = application
        self.pad_token_id = None if pad_token_id is None else int(pad_token_id)

    def call(self, valid, segment_ids=None):
        return attention_mask(valid, segment_ids, self.application)

    def compute_output_spec(self, valid, segment_ids=None):
        b, t = valid.shape
        shape = (b, 1, 1, t) if self.application == "encoder" else (b, 1, t, t)
        return keras.KerasTensor(shape, dtype="bool")

    def get_config(self):
        config = super().get_config()
        config.update(application=self.application, pad_token_id=self.pad_token_id)
        return config


@keras.saving.register_keras_serializable(package="kexue")
class SequenceMask(keras.layers.Layer):
    """Attach a padding mask to a sequence as its Keras mask: ``SequenceMask()(x, mask=valid)``
    returns ``x`` (with ``zero_padding=True``: ``x`` with padded positions set to 0), and every
    mask-aware layer after it (the blocks, the heads, CRF, GlobalPointer, poolings, Keras losses)
    receives ``valid`` as ``mask``."""

    def __init__(self, zero_padding: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.zero_padding = bool(zero_padding)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if not self.zero_padding or mask is None:
            return inputs
        return ops.where(ops.cast(mask, "bool")[..., None], inputs, ops.zeros_like(inputs))

    def compute_mask(self, inputs, mask=None):
        return None if mask is None else ops.cast(mask, "bool")

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(zero_padding=self.zero_padding)
        return config


@keras.saving.register_keras_serializable(package="kexue")
class ContextMask(keras.layers.Layer):
    """Padding mask of an encoder output fed to a decoder: its Keras mask when it has one,
    else the positions whose vectors are not all zero (the encoders built here zero their
    padded positions, so a decoder given only the encoder output still masks the padding)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, context, mask=None):
        if mask is not None:
            return ops.cast(mask, "bool")
        return ops.any(ops.not_equal(context, 0), axis=-1)

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_spec(self, context, mask=None):
        return keras.KerasTensor(context.shape[:-1], dtype="bool")
