"""Run a model built by :func:`kexue.models.build_transformer_model` one step at a time with
a preallocated key/value cache, by walking its layers by name: each step calls the model's own
embeddings, blocks (their attention takes the cache as an argument) and head, so there is no
second model definition.

The cache is a tuple with one ``(k, v)`` pair per block application, each of shape
``(batch, max_len, heads, head_size)``. :meth:`CachedTransformer.step` embeds ``t`` new tokens
at absolute cache positions ``index .. index + t - 1``, lets them attend to every cache
position the mask allows, writes their keys and values, and returns next-token logits.

Example:
    >>> import keras
    >>> import numpy as np
    >>> from kexue.models import build_transformer_model
    >>> from kexue.decoding.cache import CachedTransformer
    >>> config = dict(vocab_size=30, n_embd=16, n_layer=2, n_head=2, n_positions=16)
    >>> model = build_transformer_model(config, model="gpt2", with_mlm="linear")
    >>> net = CachedTransformer(model)
    >>> ids = np.array([[3, 4, 5]], "int32")
    >>> cache = net.init_cache(1, 8)
    >>> logits, cache = net.step(ids, None, np.array([[0, 1, 2]]), cache, 0,
    ...                          net.step_mask(np.ones((1, 8), bool), 0, 3, causal=True))
    >>> full = model.predict(ids, verbose=0)
    >>> bool(np.allclose(keras.ops.convert_to_numpy(logits), full[:, -1], atol=1e-5))
    True
"""

from __future__ import annotations

import keras
from keras import ops

from kexue.backend import TransposedWeight
from kexue.backend.keras_internals import compute_scope
from kexue.models.transformer import applied_blocks


class CachedTransformer:
    """Step-wise view of a built Transformer (``application`` ``"lm"`` or ``"unilm"``).

    Args:
        model: a functional model from ``build_transformer_model`` with an LM/MLM head
            (``with_mlm=True`` or an activation name); its output layers give the logits.
        prefix: the ``prefix`` the model was built with.
    """

    def __init__(self, model: keras.Model, prefix: str = ""):
        self.model = model
        self.prefix = prefix
        names = {layer.name for layer in model.layers}

        def find(name, required=False):
            full = prefix + name
            if full in names:
                return model.get_layer(full)
            if required:
                raise ValueError(
                    f"model {model.name!r} has no layer {full!r}: CachedTransformer needs a model "
                    "built by kexue.models.build_transformer_model (pass its prefix=)."
                )
            return None

        self.token_embedding = find("token_embedding", required=True)
        self.segment_embedding = find("segment_embedding")
        self.position_embedding = find("position_embedding")
        self.embedding_norm = find("embedding_norm")
        self.embedding_projection = find("embedding_projection")
        self.final_norm = find("final_norm")
        self.mlm_dense = find("mlm_dense")
        self.mlm_norm = find("mlm_norm")
        self.mlm_bias = find("mlm_bias")
        mask_layer = find("attention_mask", required=True)
        self.application = mask_layer.application
        # -1: no token is padding (GPT-2); the decoder tracks left padding itself
        self.pad_token_id = -1 if mask_layer.pad_token_id is None else mask_layer.pad_token_id
        if self.application not in ("lm", "unilm"):
            raise ValueError(
                f"cached decoding needs application='lm' or 'unilm', this model is "
                f"{self.application!r}."
            )
        self.vocab_size = int(self.token_embedding.input_dim)
        if not any(_last_dim(out) == self.vocab_size for out in model.outputs):
            raise ValueError(
                "the model has no LM head: build it with with_mlm=True (or with_mlm='linear')."
            )
        self.blocks = applied_blocks(model, prefix)
        if not self.blocks:
            raise ValueError("the model has no blocks named layer_0, layer_1, ...")
        first = self.blocks[0].config
        if first.conditional:
            raise ValueError("cached decoding does not support Conditional LayerNorm models.")
        if first.position_type == "nezha":
            raise ValueError(
                "NEZHA's relative positions need the whole sequence; decode NEZHA with "
                "AutoRegressiveDecoder instead."
            )
        self.num_heads = first.num_heads
        self.head_size = first.head_size
        self.variables = list(model.weights)
        self._head = None  # the prepared output embedding, reused while it is current

    def init_cache(self, batch: int, max_len: int, dtype: str | None = None) -> tuple:
        """Zero ``(k, v)`` pairs, one per block application."""
        dtype = dtype or self.blocks[0].compute_dtype
        shape = (batch, max_len, self.num_heads, self.head_size)
        return tuple((ops.zeros(shape, dtype), ops.zeros(shape, dtype)) for _ in self.blocks)

    @staticmethod
    def step_mask(key_valid, index, length: int, causal: bool = True):
        """Boolean ``(batch, 1, length, max_len)`` mask for ``length`` queries at ``index``.

        Query ``i`` (absolute position ``index + i``) may see valid keys at positions ``<=
        index + i`` (``causal``) or ``< index + length`` (a bidirectional source), and always
        itself.
        """
        max_len = ops.shape(key_valid)[1]
        keys = ops.arange(max_len, dtype="int32")[None, :]
        queries = ops.arange(length, dtype="int32")[:, None] + ops.cast(index, "int32")
        limit = queries if causal else ops.full_like(queries, 0) + ops.cast(index + length - 1, "int32")
        allowed = ops.less_equal(keys, limit)[None, None]  # (1, 1, t, L)
        own = ops.equal(keys, queries)[None, None]
        return ops.logical_or(ops.logical_and(allowed, key_valid[:, None, None, :]), own)

    def embed(self, token_ids, segment_ids, positions):
        x = self.token_embedding.call(token_ids)
        if self.segment_embedding is not None:
            if segment_ids is None:
                segment_ids = ops.zeros_like(token_ids)
            x = x + self.segment_embedding.call(segment_ids)
        if self.position_embedding is not None:
            table = ops.cast(self.position_embedding.embeddings, x.dtype)
            x = x + ops.take(table, ops.cast(positions, "int32"), axis=0)
        if self.embedding_norm is not None:
            x = self.embedding_norm.call(x)
        if self.embedding_projection is not None:
            x = _dense(self.embedding_projection, x)
        return x

    def logits(self, hidden, head=None):
        """LM head on hidden states ``(..., hidden)`` -> float32 logits ``(..., vocab)``;
        ``head`` is the output embedding as a :class:`~kexue.backend.TransposedWeight`, if
        already at hand (from :meth:`weights`)."""
        h = hidden
        if self.mlm_dense is not None:
            h = _dense(self.mlm_dense, h)
        if self.mlm_norm is not None:
            h = self.mlm_norm.call(h)
        h = self.token_embedding.call(h, mode="logits") if head is None else head(h)
        if self.mlm_bias is not None:
            h = self.mlm_bias.call(h)
        return ops.cast(h, "float32")

    def weights(self, rows: int = 1) -> dict:
        """The output embedding prepared for ``rows``-row steps (a
        :class:`~kexue.backend.TransposedWeight`); read once per decoding call, outside the
        step loop."""
        head = output_head(self._head, self.token_embedding.embeddings, rows, self.blocks[0].compute_dtype)
        self._head = head if head.packed is not None else None  # never keep a traced value
        return {"head": head}

    def step(self, token_ids, segment_ids, positions, cache, index, mask, weights=None):
        """Process ``t`` new tokens (``(batch, t)``) written at cache position ``index``.

        ``positions`` ``(batch, t)`` are the position-embedding rows (they differ from
        ``index`` for left-padded rows). Returns the logits at the last new position
        ``(batch, vocab)`` and the updated cache. ``weights`` (from :meth:`weights`) saves
        preparing the output embedding at every step. Each block runs its own
        :class:`~kexue.models.block.TransformerBlock` computation with the cache as argument.
        """
        weights = weights or self.weights()
        x = self.embed(token_ids, segment_ids, positions)
        x, cache = run_blocks(self.blocks, x, cache, index, mask)
        if self.final_norm is not None:
            x = self.final_norm.call(x)
        return self.logits(x[:, -1], weights["head"]), cache


def run_blocks(blocks, x, cache, index, mask, **arguments) -> tuple:
    """``x`` through ``blocks`` (one per cache entry), each reading and writing its
    ``(k, v)`` cache at ``index``; returns the output and the new cache. ``arguments`` go to
    every block (``bias``, ``context_mask``; ``context_caches`` is split among them)."""
    context_caches = arguments.pop("context_caches", None) or [None] * len(blocks)
    new_cache = []
    for block, layer_cache, context in zip(blocks, cache, context_caches):
        with compute_scope(block):  # as block(...) would: mixed precision reads bf16 weights
            x, layer_cache = block.call(
                ops.cast(x, block.compute_dtype), attention_mask=mask, cache=layer_cache,
                cache_index=index, context_cache=context, **arguments,
            )
        new_cache.append(layer_cache)
    return x, tuple(new_cache)


def output_head(previous, variable, rows: int, dtype: str, transpose: bool = False) -> TransposedWeight:
    """``variable`` (an output embedding ``[vocab, hidden]``, or with ``transpose`` a kernel
    ``[hidden, vocab]``) as a :class:`~kexue.backend.TransposedWeight` for ``rows``-row steps;
    ``previous`` is returned instead when it was prepared from the same, unchanged values."""
    source = ops.convert_to_tensor(variable)
    if previous is not None and previous.fits(source, rows):
        return previous
    weight = ops.cast(source, dtype)
    return TransposedWeight(ops.transpose(weight) if transpose else weight, rows, source)


def _dense(layer, x):
    y = ops.matmul(x, ops.cast(layer.kernel, x.dtype))
    if layer.use_bias:
        y = y + ops.cast(layer.bias, x.dtype)
    return layer.activation(y)


def _last_dim(tensor) -> int | None:
    shape = getattr(tensor, "shape", None)
    return None if not shape else shape[-1]
