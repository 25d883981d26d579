"""Encoder-decoder Transformers (T5): two stacks of :class:`TransformerBlock` sharing one token
embedding, the decoder's blocks with cross-attention over the encoder output.

Built from a :class:`TransformerSpec` with ``num_decoder_layers > 0``. The result holds three
functional models over the same layers (bert4keras' ``encoder`` / ``decoder`` / ``model``):

- ``encoder``: ``encoder_token_ids -> hidden`` ``(batch, source_len, hidden)``;
- ``decoder``: ``[encoder_output, encoder_token_ids, decoder_token_ids] -> LM output``; the
  encoder token ids give the padding mask of the cross-attention;
- ``model``: ``[encoder_token_ids, decoder_token_ids] -> LM output`` (training).

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
    >>> t5.decoder.predict([context, source, target], verbose=0).shape
    (1, 3, 40)
"""

from __future__ import annotations

from dataclasses import dataclass

import keras

from kexue.layers.embedding import TiedEmbedding
from kexue.layers.normalization import LayerNorm
from kexue.models.block import TransformerBlock
from kexue.models.checked import CheckedModel
from kexue.models.inputs import seq2seq_checks
from kexue.models.masks import AttentionMask
from kexue.models.spec import TransformerSpec
from kexue.models.transformer import block_arguments, relative_position_bias


@dataclass
class Seq2Seq:
    """The three views of one encoder-decoder (they share every layer and weight)."""

    encoder: keras.Model
    decoder: keras.Model
    model: keras.Model

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
    source_mask = AttentionMask("encoder", spec.pad_token_id, name=f"{p}encoder_attention_mask")
    # The decoder's first input is the start token, which T5 spells as the padding id: no
    # decoder key is masked as padding (right-padded targets are exact under the causal mask).
    target_mask = AttentionMask("lm", -1, name=f"{p}decoder_attention_mask")

    def stack(kind: str, count: int, cross: bool):
        blocks = [
            TransformerBlock(name=f"{p}{kind}_layer_{i}", **block_arguments(spec, init, cross_attention=cross))
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

    def decode(context, source_ids, target_ids):
        y = run(
            decoder_layers,
            embedding(target_ids),
            target_mask(target_ids),
            context=context,
            context_mask=source_mask(source_ids),
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
    encoded = run(encoder_layers, embedding(source_ids), source_mask(source_ids))
    checks = seq2seq_checks(spec, prefix)
    encoder = CheckedModel(source_ids, encoded, name=f"{name}_encoder", input_checks=checks)
    model = CheckedModel(
        [source_ids, target_ids], decode(encoded, source_ids, target_ids), name=name, input_checks=checks
    )

    context = keras.Input((None, spec.hidden_size), name=f"{p}encoder_output")
    context_ids = keras.Input((None,), dtype="int32", name=f"{p}context_token_ids")
    decoder_ids = keras.Input((None,), dtype="int32", name=f"{p}target_token_ids")
    decoder = CheckedModel(
        [context, context_ids, decoder_ids], decode(context, context_ids, decoder_ids), name=f"{name}_decoder",
        input_checks=checks,
    )
    return Seq2Seq(encoder=encoder, decoder=decoder, model=model)
