"""One Transformer block for every family: attention and feed-forward sub-layers, each with a
residual connection and a LayerNorm placed after (BERT) or before (GPT-2, T5) it, optionally
conditional (Conditional LayerNorm) or RMS-only (T5). An encoder-decoder's decoder blocks add a
cross-attention sub-layer over the encoder output between the two.

Variable paths are stable: ``layer_3/attention/query/kernel``, ``layer_3/attention_norm/gamma``,
``layer_3/feedforward/inner/kernel``, ``layer_3/feedforward_norm/beta``, and for decoder blocks
``decoder_layer_3/cross_attention/key/kernel``, ``decoder_layer_3/cross_attention_norm/gamma``.

Example:
    >>> import numpy as np
    >>> from kexue.models.block import TransformerBlock
    >>> from kexue.models.block_config import BlockConfig
    >>> config = BlockConfig(num_heads=4, head_size=8, intermediate_size=64)
    >>> block = TransformerBlock(config, name="layer_0")
    >>> tuple(block(np.random.rand(2, 5, 32).astype("float32")).shape)
    (2, 5, 32)
"""

from __future__ import annotations

import keras

from kexue.layers.attention import MultiHeadAttention
from kexue.layers.feedforward import FeedForward
from kexue.layers.normalization import LayerNorm
from kexue.layers.sublayer import call_sublayer
from kexue.models.block_config import ARGUMENT_NAMES, BlockConfig


@keras.saving.register_keras_serializable(package="kexue")
class TransformerBlock(keras.layers.Layer):
    """Self-attention + feed-forward with residuals, pre- or post-norm, as ``config`` (a
    :class:`~kexue.models.block_config.BlockConfig`, or its fields as keyword arguments) says.

    ``call(x, attention_mask=None, bias=None, context=None, context_mask=None, condition=None,
    cache=None, cache_index=None, context_cache=None)``: the mask is a boolean attention mask
    broadcastable to ``(batch, heads, q_len, k_len)``; ``bias`` is added to the self-attention scores (T5's
    relative positions); ``context`` ``(batch, source_len, width)`` and its boolean
    ``context_mask`` feed the cross-attention (``cross_attention=True``); ``condition`` feeds
    conditional LayerNorms. Decoding (:mod:`kexue.decoding`) passes the self-attention's
    ``cache=(k, v)`` and ``cache_index`` (see :class:`~kexue.layers.attention.
    MultiHeadAttention`), and a decoder block's ``context_cache``, the cross-attention's keys and
    values of the encoded source (``cross_attention_layer.key_value(context)``) in place of
    ``context``; with ``cache`` the block returns ``(x, new_cache)``.
    """

    def __init__(
        self, config: BlockConfig | dict | None = None, kernel_initializer="glorot_uniform", **kwargs
    ):
        settings = {name: kwargs.pop(name) for name in list(kwargs) if name in ARGUMENT_NAMES}
        super().__init__(**kwargs)
        self.supports_masking = True  # the padding mask passes through to the output
        if isinstance(config, dict):  # from get_config
            config = BlockConfig.from_arguments(config)
        if config is None:  # the settings as keyword arguments (and .keras files saved so)
            config = BlockConfig.from_arguments(settings)
        elif settings:
            raise TypeError(
                f"{self.name}: give a BlockConfig or keyword settings, not both ({sorted(settings)})."
            )
        self.config = c = config
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        attention = dict(
            heads=c.num_heads,
            head_size=c.head_size,
            use_bias=c.use_bias,
            attention_dropout=c.attention_dropout_rate,
            scale_scores=c.scale_scores,
            kernel_initializer=self.kernel_initializer,
            dtype=self.dtype_policy,
        )
        self.attention = MultiHeadAttention(
            position=c.attention_position,
            rotary_value=c.rotary_value,
            max_relative_position=c.max_relative_position,
            name="attention",
            **attention,
        )
        self.feedforward = FeedForward(
            units=c.intermediate_size,
            activation=c.hidden_act,
            use_bias=c.use_bias,
            gated=c.gated_feedforward,
            kernel_initializer=self.kernel_initializer,
            dtype=self.dtype_policy,
            name="feedforward",
        )
        norm = dict(
            dtype=self.dtype_policy,
            epsilon=c.layer_norm_eps,
            rms=c.rms_norm,
            conditional=c.conditional,
            condition_hidden_units=c.condition_hidden_units,
            condition_activation=c.condition_activation,
        )
        self.attention_norm = LayerNorm(name="attention_norm", **norm)
        self.feedforward_norm = LayerNorm(name="feedforward_norm", **norm)
        if c.cross_attention:
            self.cross_attention_layer = MultiHeadAttention(name="cross_attention", **attention)
            self.cross_attention_norm = LayerNorm(name="cross_attention_norm", **norm)
        self.dropout = keras.layers.Dropout(c.dropout_rate, dtype=self.dtype_policy)

    def build(self, inputs_shape, condition_shape=None, context_shape=None):
        self.attention.build(inputs_shape)
        self.feedforward.build(inputs_shape)
        self.attention_norm.build(inputs_shape, condition_shape)
        self.feedforward_norm.build(inputs_shape, condition_shape)
        if self.config.cross_attention:
            if context_shape is None:
                raise ValueError(f"{self.name}: cross_attention=True needs `context` in call().")
            self.cross_attention_layer.build(inputs_shape, context_shape)
            self.cross_attention_norm.build(inputs_shape, condition_shape)
        self.built = True

    def _norm(self, layer, x, condition):
        if self.config.conditional:
            return call_sublayer(layer, x, condition=condition)
        return call_sublayer(layer, x)

    def call(
        self,
        inputs,
        attention_mask=None,
        bias=None,
        context=None,
        context_mask=None,
        condition=None,
        cache=None,
        cache_index=None,
        context_cache=None,
        training=None,
    ):
        if self.config.cross_attention and context is None and context_cache is None:
            raise ValueError(f"{self.name}: cross_attention=True needs `context`.")

        def sublayer(x, norm, fn):  # residual around fn, with the norm before or after
            if self.config.norm_position == "pre":
                return x + call_sublayer(self.dropout, fn(self._norm(norm, x, condition)), training=training)
            return self._norm(norm, x + call_sublayer(self.dropout, fn(x), training=training), condition)

        new_cache = [cache]

        def attend(h):
            out = call_sublayer(
                self.attention,
                h, attention_mask=attention_mask, bias=bias, cache=cache, cache_index=cache_index,
                training=training,
            )
            if cache is None:
                return out
            out, new_cache[0] = out
            return out

        def cross_attend(h):
            if context_cache is None:
                return call_sublayer(
                    self.cross_attention_layer, h, context, attention_mask=context_mask, training=training
                )
            out, _ = call_sublayer(self.cross_attention_layer, h, attention_mask=context_mask, cache=context_cache)
            return out

        x = sublayer(inputs, self.attention_norm, attend)
        if self.config.cross_attention:
            x = sublayer(x, self.cross_attention_norm, cross_attend)
        x = sublayer(x, self.feedforward_norm, lambda h: call_sublayer(self.feedforward, h, training=training))
        return x if cache is None else (x, new_cache[0])

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            config=self.config.to_dict(),
            kernel_initializer=keras.initializers.serialize(self.kernel_initializer),
        )
        return config
