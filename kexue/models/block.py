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
    >>> block = TransformerBlock(num_heads=4, head_size=8, intermediate_size=64, name="layer_0")
    >>> tuple(block(np.random.rand(2, 5, 32).astype("float32")).shape)
    (2, 5, 32)
"""

from __future__ import annotations

import keras

from kexue.layers.attention import MultiHeadAttention
from kexue.layers.feedforward import FeedForward
from kexue.layers.normalization import LayerNorm
from kexue.layers.sublayer import call_sublayer
from kexue.ops import activation_name


@keras.saving.register_keras_serializable(package="kexue")
class TransformerBlock(keras.layers.Layer):
    """Self-attention + feed-forward with residuals, pre- or post-norm.

    ``call(x, attention_mask=None, bias=None, context=None, context_mask=None, condition=None,
    cache=None, cache_index=None, context_cache=None)``: the mask is a boolean attention mask broadcastable to
    ``(batch, heads, q_len, k_len)``; ``bias`` is added to the self-attention scores (T5's
    relative positions); ``context`` ``(batch, source_len, width)`` and its boolean
    ``context_mask`` feed the cross-attention (``cross_attention=True``); ``condition`` feeds
    conditional LayerNorms. Decoding (:mod:`kexue.decoding`) passes the self-attention's
    ``cache=(k, v)`` and ``cache_index`` (see :class:`~kexue.layers.attention.
    MultiHeadAttention`), and a decoder block's ``context_cache``, the cross-attention's keys and
    values of the encoded source (``cross_attention_layer.key_value(context)``) in place of
    ``context``; with ``cache`` the block returns ``(x, new_cache)``.
    """

    def __init__(
        self,
        num_heads: int,
        head_size: int,
        intermediate_size: int,
        hidden_act="gelu",
        norm_position: str = "post",
        position: str = "none",
        rotary_value: bool = False,
        max_relative_position: int = 64,
        use_bias: bool = True,
        layer_norm_eps: float = 1e-12,
        rms_norm: bool = False,
        gated: bool = False,
        scale_scores: bool = True,
        cross_attention: bool = False,
        dropout_rate: float = 0.0,
        attention_dropout_rate: float = 0.0,
        conditional: bool = False,
        condition_hidden_units: int | None = None,
        condition_activation: str | None = "linear",
        kernel_initializer="glorot_uniform",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.supports_masking = True  # the padding mask passes through to the output
        if norm_position not in ("post", "pre"):
            raise ValueError(f"norm_position must be 'post' or 'pre', got {norm_position!r}.")
        self.num_heads = int(num_heads)
        self.head_size = int(head_size)
        self.intermediate_size = int(intermediate_size)
        self.hidden_act = activation_name(hidden_act)
        self.norm_position = norm_position
        self.position = position
        self.rotary_value = bool(rotary_value)
        self.max_relative_position = int(max_relative_position)
        self.use_bias = bool(use_bias)
        self.layer_norm_eps = float(layer_norm_eps)
        self.rms_norm = bool(rms_norm)
        self.gated = bool(gated)
        self.scale_scores = bool(scale_scores)
        self.cross_attention = bool(cross_attention)
        self.dropout_rate = float(dropout_rate)
        self.attention_dropout_rate = float(attention_dropout_rate)
        self.conditional = bool(conditional)
        self.condition_hidden_units = condition_hidden_units
        self.condition_activation = activation_name(condition_activation)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

        attention = dict(
            heads=self.num_heads,
            head_size=self.head_size,
            use_bias=self.use_bias,
            attention_dropout=self.attention_dropout_rate,
            scale_scores=self.scale_scores,
            kernel_initializer=self.kernel_initializer,
        )
        self.attention = MultiHeadAttention(
            position=self.position,
            rotary_value=self.rotary_value,
            max_relative_position=self.max_relative_position,
            name="attention",
            **attention,
        )
        self.feedforward = FeedForward(
            units=self.intermediate_size,
            activation=hidden_act,
            use_bias=self.use_bias,
            gated=self.gated,
            kernel_initializer=self.kernel_initializer,
            name="feedforward",
        )
        norm = dict(
            epsilon=self.layer_norm_eps,
            rms=self.rms_norm,
            conditional=self.conditional,
            condition_hidden_units=self.condition_hidden_units,
            condition_activation=self.condition_activation,
        )
        self.attention_norm = LayerNorm(name="attention_norm", **norm)
        self.feedforward_norm = LayerNorm(name="feedforward_norm", **norm)
        if self.cross_attention:
            self.cross_attention_layer = MultiHeadAttention(name="cross_attention", **attention)
            self.cross_attention_norm = LayerNorm(name="cross_attention_norm", **norm)
        self.dropout = keras.layers.Dropout(self.dropout_rate)

    def build(self, inputs_shape, condition_shape=None, context_shape=None):
        self.attention.build(inputs_shape)
        self.feedforward.build(inputs_shape)
        self.attention_norm.build(inputs_shape, condition_shape)
        self.feedforward_norm.build(inputs_shape, condition_shape)
        if self.cross_attention:
            if context_shape is None:
                raise ValueError(f"{self.name}: cross_attention=True needs `context` in call().")
            self.cross_attention_layer.build(inputs_shape, context_shape)
            self.cross_attention_norm.build(inputs_shape, condition_shape)
        self.built = True

    def _norm(self, layer, x, condition):
        return call_sublayer(layer, x, condition=condition) if self.conditional else call_sublayer(layer, x)

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
        if self.cross_attention and context is None and context_cache is None:
            raise ValueError(f"{self.name}: cross_attention=True needs `context`.")

        def sublayer(x, norm, fn):  # residual around fn, with the norm before or after
            if self.norm_position == "pre":
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
                return call_sublayer(self.cross_attention_layer, h, context, attention_mask=context_mask, training=training)
            return call_sublayer(self.cross_attention_layer, h, attention_mask=context_mask, cache=context_cache)[0]

        x = sublayer(inputs, self.attention_norm, attend)
        if self.cross_attention:
            x = sublayer(x, self.cross_attention_norm, cross_attend)
        x = sublayer(x, self.feedforward_norm, lambda h: call_sublayer(self.feedforward, h, training=training))
        return x if cache is None else (x, new_cache[0])

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            num_heads=self.num_heads,
            head_size=self.head_size,
            intermediate_size=self.intermediate_size,
            hidden_act=self.hidden_act,
            norm_position=self.norm_position,
            position=self.position,
            rotary_value=self.rotary_value,
            max_relative_position=self.max_relative_position,
            use_bias=self.use_bias,
            layer_norm_eps=self.layer_norm_eps,
            rms_norm=self.rms_norm,
            gated=self.gated,
            scale_scores=self.scale_scores,
            cross_attention=self.cross_attention,
            dropout_rate=self.dropout_rate,
            attention_dropout_rate=self.attention_dropout_rate,
            conditional=self.conditional,
            condition_hidden_units=self.condition_hidden_units,
            condition_activation=self.condition_activation,
            kernel_initializer=keras.initializers.serialize(self.kernel_initializer),
        )
        return config
