"""A CRF tagging head on the backbone and its constrained Viterbi decoding (the CRF post,
bert4keras's ``task_sequence_labeling_*_crf.py``), shared by the ``cws`` and ``ner`` recipes.

The head is ``Dense(num_labels)`` on the last hidden states followed by
:class:`~kexue.layers.ConditionalRandomField`, with an explicit mask that covers the content
tokens only (not ``[CLS]``, ``[SEP]`` or padding), so the label path is exactly the text's
tokens. Decoding adds a large penalty to every transition the tag scheme forbids (and allows
only proper first and last labels), so every decoded path is well formed.

Example:
    >>> import numpy as np
    >>> from kexue.tasks.tagging import BMES
    >>> nodes = np.zeros((3, 4)); nodes[:, 2] = 5.0      # "M" everywhere is the best unary score
    >>> [BMES[i] for i in viterbi_tags(nodes, np.zeros((4, 4)), BMES, "BMES")]
    ['B', 'M', 'E']
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from kexue.decoding.viterbi import ViterbiDecoder
from kexue.tasks.tagging import allowed_ends, allowed_starts, constrained_transitions

__all__ = ["build_crf_tagger", "crf_layer", "viterbi_tags", "content_mask"]


def content_mask(token_ids, ctx):
    """True at the tokens of the text (not padding, ``[CLS]`` or ``[SEP]``), in graph."""
    from keras import ops

    keep = ops.not_equal(token_ids, ctx.pad_id)
    for token in ("[CLS]", "[SEP]"):
        special = ctx.tokenizer.token_to_id(token)
        if special is not None:
            keep = ops.logical_and(keep, ops.not_equal(token_ids, special))
    return keep


def build_crf_tagger(ctx, num_labels: int, lr_multiplier: float = 1.0, dropout: float = 0.1):
    """The backbone with a dense layer and a CRF on top; outputs the potentials (padding and
    special tokens hold the CRF's large negative score)."""
    import keras

    from kexue.layers import ConditionalRandomField

    bert = ctx.transformer()
    token_ids = bert.inputs[0]
    x = keras.layers.Dropout(dropout, name="tagger_dropout")(bert.output)
    x = keras.layers.Dense(num_labels, name="tagger_dense")(x)
    crf = ConditionalRandomField(lr_multiplier=lr_multiplier, name="crf")
    output = crf(x, mask=content_mask(token_ids, ctx))
    return keras.Model(bert.inputs, output, name="crf_tagger")


def crf_layer(model):
    """The model's :class:`~kexue.layers.ConditionalRandomField`."""
    from kexue.layers import ConditionalRandomField

    for layer in model.layers:
        if isinstance(layer, ConditionalRandomField):
            return layer
    raise ValueError(f"model {model.name!r} has no ConditionalRandomField layer.")


def viterbi_tags(nodes: np.ndarray, trans: np.ndarray, labels: Sequence[str], scheme: str) -> list[int]:
    """The best well-formed label path (indices into ``labels``) of ``nodes`` (length, labels)."""
    if len(nodes) == 0:
        return []
    decoder = ViterbiDecoder(constrained_transitions(trans, labels, scheme),
                             starts=allowed_starts(labels, scheme), ends=allowed_ends(labels, scheme))
    return decoder.decode(nodes).tolist()
