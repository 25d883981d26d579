"""Encoder-decoder Transformers (T5): two stacks of :class:`TransformerBlock` sharing one token
embedding, the decoder's blocks with cross-attention over the encoder output.

Built from a :class:`TransformerSpec` with ``num_decoder_layers > 0``. The result holds three
functional models over the same layers (bert4keras' ``encoder`` / ``decoder`` / ``model``):

- ``encoder``: ``encoder_token_ids -> hidden`` ``(batch, source_len, hidden)``;
- ``decoder``: ``[encoder_output, decoder_token_ids] -> LM output`` (bert4keras' two inputs);
  the encoder output is zero at padded source positions, which is how the cross-attention
  knows the source padding;
- ``model``: ``[encoder_token_ids, decoder_token_ids] -> LM output`` (training).

Padding: source id ``pad_token_id`` (0) is padding; the decoder's first token is the start
token (also id 0) and always real. The encoder output and the LM output carry these padding
masks as Keras masks, so a loss layer sees the target padding as ``mask``.

Layer names: ``token_embedding``, ``encoder_relative_position``, ``encoder_layer_{i}``,
``encoder_final_norm``, ``decoder_relative_position``, ``decoder_layer_{i}`` (with
``cross_attention`` and ``cross_attention_norm``), ``decoder_final_norm``, then ``lm_head``
when the output layer is not tied to the embedding, or ``output_scale`` (a ``Rescaling``) when
the tied head scales its input.

Example:
    >>> import numpy as np
    >>> from kexue.models.spec import TransformerSpec
    >>> from kexue.models.seq2seq import build_seq2seq
    >>> spec = TransformerSpec(vocab_size=40, hidden_size=16, num_layers=2, num_heads=2,
    ...                        intermediate_size=32, num_decoder_layers=2, position_type="t5",
    ...                        norm_position="pre", rms_norm=True, use_bias=False,
    ...                        scale_scores=False, embedding_norm=False, final_norm=True,
    ...                        segment_vocab_size=0)
    >>> t5 = build_seq2seq(spec, with_lm="linear")
    >>> source, target = np.array([[5, 6, 7, 1]]), np.array([[0, 9, 4]])
    >>> t5.model.predict([source, target], verbose=0).shape
    (1, 3, 40)
    >>> context = t5.encoder.predict(source, verbose=0)
    >>> t5.decoder.predict([context, target], verbose=0).shape
    (1, 3, 40)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import keras

from kexue.layers.embedding import TiedEmbedding
from kexue.layers.normalization import LayerNorm
from kexue.models.block import TransformerBlock
from kexue.models.checked import CheckedModel
from kexue.models.handle import ModelHandle
from kexue.models.inputs import seq2seq_checks
from kexue.models.masks import AttentionMask, ContextMask, PaddingMask, SequenceMask
from kexue.models.spec import TransformerSpec
from kexue.models.block_config import BlockConfig
from kexue.models.transformer import relative_position_bias


@dataclass
class Seq2Seq(ModelHandle):
    """The three views of one encoder-decoder (they share every layer and weight), plus
    bert4keras' ``initializer`` and ``load_weights_from_checkpoint``."""

    encoder: keras.Model
    decoder: keras.Model
    model: keras.Model
    spec: TransformerSpec | None = None
    loader: Callable | None = None

    @property
    def weights(self) -> list:
        return self.model.weights


def build_seq2seq(
    spec: TransformerSpec, with_lm=True, prefix: str = "", name: str = "t5"
) -> Seq2Seq:
    """Build the encoder, decoder and combined models of an encoder-decoder spec.

    Args:
        spec: needs ``num_decoder_layers > 0``; T5 sets ``position_type="t5"``,
            ``norm_position="pre"``, ``rms_norm=True``, no biases, unscaled scores.
        with_lm: ``True`` ends the decoder with a softmax over the vocabulary, an activation
            name (``"linear"`` for logits) replaces it, ``False`` returns hidden states.
        prefix: prepended to every layer and input name.
        name: name of the combined model (the others get ``_encoder`` / ``_decoder``).
    """
    if spec.num_decoder_layers <= 0:
        raise ValueError("build_seq2seq needs spec.num_decoder_layers > 0.")
    if spec.norm_position != "pre" or spec.segment_vocab_size or spec.position_type not in ("t5", "none"):
        raise ValueError(
            "encoder-decoders are built pre-norm, without segment embeddings, with T5 relative "
            "positions or none; adjust the spec."
        )
    p = prefix
    init = keras.initializers.TruncatedNormal(stddev=spec.initializer_range)
    norm_kwargs = dict(epsilon=spec.layer_norm_eps, rms=spec.rms_norm)
    embedding = TiedEmbedding(
        spec.vocab_size, spec.hidden_size, embeddings_initializer=init, name=f"{p}token_embedding"
    )
    dropout = keras.layers.Dropout(spec.dropout_rate, name=f"{p}dropout")
    source_padding = PaddingMask(spec.pad_token_id, name=f"{p}encoder_padding")
    source_mask = AttentionMask("encoder", spec.pad_token_id, name=f"{p}encoder_attention_mask")
    # The decoder's first input is the start token, which T5 spells as the padding id: it is
    # a real token. The decoder's own keys are never masked as padding (right-padded targets
    # are exact under the causal mask, as in transformers); its padding mask is the Keras
    # mask of its outputs (for the loss).
    target_padding = PaddingMask(spec.pad_token_id, first_is_real=True, name=f"{p}decoder_padding")
    target_keys = PaddingMask(None, name=f"{p}decoder_keys")
    target_mask = AttentionMask("lm", None, name=f"{p}decoder_attention_mask")
    context_padding = ContextMask(name=f"{p}context_padding")
    context_mask = AttentionMask("encoder", spec.pad_token_id, name=f"{p}cross_attention_mask")

    def stack(kind: str, count: int, cross: bool):
        blocks = [
            TransformerBlock(
                BlockConfig.from_spec(spec, cross_attention=cross), kernel_initializer=init,
                name=f"{p}{kind}_layer_{i}",
            )
            for i in range(count)
        ]
        bias = None
        if spec.position_type == "t5":
            bias = relative_position_bias(spec, kind == "encoder", init, f"{p}{kind}_relative_position")
        final = LayerNorm(name=f"{p}{kind}_final_norm", **norm_kwargs)
        return blocks, bias, final

    def run(layers, x, mask, **extra):
        blocks, bias_layer, final = layers
        if bias_layer is not None:
            extra["bias"] = bias_layer(x)
        x = dropout(x)
        for block in blocks:
            x = block(x, attention_mask=mask, **extra)
        return dropout(final(x))

    encoder_layers = stack("encoder", spec.num_layers, cross=False)
    decoder_layers = stack("decoder", spec.num_decoder_layers, cross=True)
    head = None
    if with_lm and not spec.tie_output:
        head = keras.layers.Dense(spec.vocab_size, use_bias=False, kernel_initializer=init, name=f"{p}lm_head")
    output_scale = None
    if spec.tie_output and spec.output_scale != 1.0:  # T5 v1.0: d_model ** -0.5
        output_scale = keras.layers.Rescaling(spec.output_scale, name=f"{p}output_scale")
    activation = "softmax" if with_lm is True else with_lm
    output_activation = None
    if with_lm and activation not in (None, "linear"):
        output_activation = keras.layers.Activation(activation, name=f"{p}lm_activation")
    target_sequence = SequenceMask(name=f"{p}decoder_sequence_mask")

    def decode(context, target_ids):
        y = target_sequence(embedding(target_ids), mask=target_padding(target_ids))
        y = run(
            decoder_layers,
            y,
            target_mask(target_keys(target_ids)),
            context=context,
            context_mask=context_mask(context_padding(context)),
        )
        if not with_lm:
            return y
        if head is not None:
            y = head(y)
        else:
            if output_scale is not None:
                y = output_scale(y)
            y = embedding(y, mode="logits")
        return y if output_activation is None else output_activation(y)

    source_ids = keras.Input((None,), dtype="int32", name=f"{p}encoder_token_ids")
    target_ids = keras.Input((None,), dtype="int32", name=f"{p}decoder_token_ids")
    valid = source_padding(source_ids)
    x = SequenceMask(name=f"{p}encoder_sequence_mask")(embedding(source_ids), mask=valid)
    encoded = run(encoder_layers, x, source_mask(valid))
    # Padded positions of the encoder output are zero, so a decoder given only the encoder
    # output (bert4keras' two decoder inputs) still knows the source padding.
    encoded = SequenceMask(zero_padding=True, name=f"{p}encoder_output_mask")(encoded, mask=valid)
    checks = seq2seq_checks(spec, prefix)
    encoder = CheckedModel(source_ids, encoded, name=f"{name}_encoder", input_checks=checks)
    model = CheckedModel([source_ids, target_ids], decode(encoded, target_ids), name=name, input_checks=checks)

    context = keras.Input((None, spec.hidden_size), name=f"{p}encoder_output")
    decoder_ids = keras.Input((None,), dtype="int32", name=f"{p}target_token_ids")
    decoder = CheckedModel(
        [context, decoder_ids], decode(context, decoder_ids), name=f"{name}_decoder", input_checks=checks
    )
    return Seq2Seq(encoder=encoder, decoder=decoder, model=model, spec=spec)
