"""Attention masks from token ids: padding, left-to-right LM, and UniLM's seq2seq mask.

With segment ids ``s`` (0 = source, 1 = target) and ``c = cumsum(s)``, UniLM lets position ``i``
attend to ``j`` iff ``c_j <= c_i``: source positions see the whole source and no target, and a
target position sees the source and the targets up to itself. The LM mask is ``j <= i``.
Padding keys (token id == ``pad_token_id``) are never attended to. In the LM and UniLM masks a
position may always attend to itself, so fully padded rows stay finite.

Example:
    >>> import keras, numpy as np
    >>> from kexue.models.masks import AttentionMask
    >>> ids = np.array([[5, 6, 7, 0]]); seg = np.array([[0, 0, 1, 0]])
    >>> m = AttentionMask(application="unilm")(ids, seg)
    >>> np.asarray(keras.ops.convert_to_numpy(m))[0, 0].astype(int).tolist()
    [[1, 1, 0, 0], [1, 1, 0, 0], [1, 1, 1, 0], [1, 1, 1, 1]]

    (The padded last position is never a key for the others; as a query it continues the
    target segment, so it sees the source, the target and itself.)
"""

from __future__ import annotations

import keras
from keras import ops

APPLICATIONS = ("encoder", "lm", "unilm")


def attention_mask(
    token_ids, segment_ids=None, application: str = "encoder", pad_token_id: int = 0
):
    """Boolean mask broadcastable to ``(batch, heads, q_len, k_len)``; True = may attend."""
    if application not in APPLICATIONS:
        raise ValueError(f"application must be one of {APPLICATIONS}, got {application!r}.")
    valid = ops.not_equal(token_ids, pad_token_id)  # (b, t)
    key_valid = valid[:, None, None, :]  # (b, 1, 1, t)
    if application == "encoder":
        return key_valid
    length = ops.shape(token_ids)[1]
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


@keras.saving.register_keras_serializable(package="kexue")
class AttentionMask(keras.layers.Layer):
    """Layer form of :func:`attention_mask`, for functional models."""

    def __init__(self, application: str = "encoder", pad_token_id: int = 0, **kwargs):
        super().__init__(**kwargs)
        if application not in APPLICATIONS:
            raise ValueError(f"application must be one of {APPLICATIONS}, got {application!r}.")
        self.application = application
        self.pad_token_id = int(pad_token_id)

    def call(self, token_ids, segment_ids=None):
        return attention_mask(token_ids, segment_ids, self.application, self.pad_token_id)

    def compute_output_spec(self, token_ids, segment_ids=None):
        b, t = token_ids.shape
        shape = (b, 1, 1, t) if self.application == "encoder" else (b, 1, t, t)
        return keras.KerasTensor(shape, dtype="bool")

    def get_config(self):
        config = super().get_config()
        config.update(application=self.application, pad_token_id=self.pad_token_id)
        return config
