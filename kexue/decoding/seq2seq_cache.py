"""Step-wise decoding of an encoder-decoder (T5) built by
:func:`kexue.models.build_transformer_model`: the source is encoded once, each decoder block's
cross-attention keys and values are computed once from it (by the block's own attention layer),
and the decoder's self-attention keeps a preallocated key/value cache, as :class:`~kexue.decoding.cache.CachedTransformer` does
for decoder-only models (same interface, so the same generation loop drives both).

Example:
    >>> import keras
    >>> import numpy as np
    >>> from kexue.models import build_transformer_model
    >>> from kexue.decoding.seq2seq_cache import CachedSeq2Seq
    >>> config = dict(vocab_size=40, d_model=16, d_kv=4, d_ff=24, num_layers=2, num_heads=2,
    ...               feed_forward_proj="gated-gelu", tie_word_embeddings=False)
    >>> model = build_transformer_model(config, model="t5.1.1", with_lm="linear")
    >>> net = CachedSeq2Seq(model)
    >>> source, target = np.array([[5, 6, 7, 1]], "int32"), np.array([[0, 9, 4]], "int32")
    >>> weights = net.weights(net.encode(source), source != 0)
    >>> mask = net.step_mask(np.ones((1, 8), bool), 0, 3, causal=True)
    >>> logits, cache = net.step(target, None, None, net.init_cache(1, 8), 0, mask, weights)
    >>> full = model.predict([source, target], verbose=0)
    >>> bool(np.allclose(keras.ops.convert_to_numpy(logits), full[:, -1], atol=1e-5))
    True
"""

from __future__ import annotations

import keras
from keras import ops

from kexue.decoding.cache import CachedTransformer, output_head, run_blocks


class CachedSeq2Seq:
    """Step-wise view of an encoder-decoder from ``build_transformer_model(model="t5...")``.

    Args:
        model: the combined model (``return_keras_model=True``) or the
            :class:`~kexue.models.seq2seq.Seq2Seq` holding it; built with ``with_lm``.
        prefix: the ``prefix`` the model was built with.
        decoder_start_id: the first decoder token (T5: 0, the padding id).
    """

    application = "seq2seq"
    # No decoder key is padding: T5's start token is the padding id.
    pad_token_id = -1
    step_mask = staticmethod(CachedTransformer.step_mask)

    def __init__(self, model, prefix: str = "", decoder_start_id: int = 0):
        model = getattr(model, "model", model)
        self.model = model
        self.prefix = prefix
        self.decoder_start_id = int(decoder_start_id)
        names = {layer.name for layer in model.layers}

        def find(name, required=False):
            if prefix + name in names:
                return model.get_layer(prefix + name)
            if required:
                raise ValueError(
                    f"model {model.name!r} has no layer {prefix + name!r}: CachedSeq2Seq needs an "
                    "encoder-decoder built by build_transformer_model(model='t5...') (pass its prefix=)."
                )
            return None

        self.token_embedding = find("token_embedding", required=True)
        final = find("encoder_final_norm", required=True)
        self.encoder = keras.Model(model.inputs[0], final.output, name=f"{model.name}_cached_encoder")
        self.source_pad_id = find("encoder_attention_mask", required=True).pad_token_id
        self.relative = find("decoder_relative_position")
        self.final_norm = find("decoder_final_norm", required=True)
        self.output_scale = find("output_scale")
        self.lm_head = find("lm_head")
        self.blocks = []
        while (block := find(f"decoder_layer_{len(self.blocks)}")) is not None:
            self.blocks.append(block)
        if not self.blocks:
            raise ValueError("the model has no decoder blocks named decoder_layer_0, ...")
        self.vocab_size = int(self.token_embedding.input_dim)
        if not any(out.shape[-1] == self.vocab_size for out in model.outputs):
            raise ValueError("the model has no LM head: build it with with_lm=True or 'linear'.")
        self.num_heads = self.blocks[0].config.num_heads
        self.head_size = self.blocks[0].config.head_size
        self.variables = list(model.weights)
        self._head = None  # the prepared output projection, reused while it is current

    def encode(self, source_ids):
        """Encoder output ``(batch, source_len, hidden)`` (source padding = the padding id)."""
        return self.encoder(source_ids, training=False)

    def init_cache(self, batch: int, max_len: int, dtype: str | None = None) -> tuple:
        """Zero self-attention ``(k, v)`` pairs, one per decoder block."""
        dtype = dtype or self.blocks[0].compute_dtype
        shape = (batch, max_len, self.num_heads, self.head_size)
        return tuple((ops.zeros(shape, dtype), ops.zeros(shape, dtype)) for _ in self.blocks)

    def weights(self, encoded, source_valid, rows: int = 1) -> dict:
        """Each decoder block's cross-attention keys and values over ``encoded`` (rows as in
        the decoding batch), the source mask and the prepared output projection; computed once
        per generation call."""
        encoded = ops.cast(encoded, self.blocks[0].compute_dtype)
        context = [block.cross_attention_layer.key_value(encoded) for block in self.blocks]
        if self.lm_head is not None:
            head = output_head(self._head, self.lm_head.kernel, rows, self.blocks[0].compute_dtype, transpose=True)
        else:
            head = output_head(self._head, self.token_embedding.embeddings, rows, self.blocks[0].compute_dtype)
        self._head = head if head.packed is not None else None  # never keep a traced value
        source_mask = ops.cast(source_valid, "bool")[:, None, None, :]
        return {"context": context, "head": head, "source_mask": source_mask}

    def step(self, token_ids, segment_ids, positions, cache, index, mask, weights):
        """Process ``t`` new decoder tokens written at cache position ``index``; returns the
        float32 logits at the last one ``(batch, vocab)`` and the updated cache.
        ``segment_ids`` and ``positions`` are unused (T5 has neither)."""
        x = self.token_embedding.call(token_ids)
        bias = None
        if self.relative is not None:
            queries = ops.arange(ops.shape(token_ids)[1], dtype="int32") + ops.cast(index, "int32")
            bias = self.relative.bias_for(queries, ops.shape(cache[0][0])[1])
        x, cache = run_blocks(
            self.blocks, x, cache, index, mask, bias=bias, context_mask=weights["source_mask"],
            context_caches=weights["context"],
        )
        logits = weights["head"](self.final_norm.call(x[:, -1]))
        if self.output_scale is not None:  # tied output embedding, scaled (T5 v1.0)
            logits = logits * ops.cast(self.output_scale.scale, logits.dtype)
        return ops.cast(logits, "float32"), cache
