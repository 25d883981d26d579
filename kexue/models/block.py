"""One Transformer block for every family: attention and feed-forward sub-layers, each with a
residual connection and a LayerNorm placed after (BERT) or before (GPT-2) it, optionally
conditional (Conditional LayerNorm).

Variable paths are stable: ``layer_3/attention/query/kernel``, ``layer_3/attention_norm/gamma``,
``layer_3/feedforward/inner/kernel``, ``layer_3/feedforward_norm/beta``.

Example:
    >>> import numpy as np
    >>> from kexue.models.block import TransformerBlock
    >>> block = TransformerBlock(num_heads=4, head_size=8, intermediate_size=64, name="layer_0")
    >>> block(np.random.rand(2, 5, 32).astype("float32")).shape
    (2, 5, 32)
"""

from __future__ import annotations

import keras

from kexue.layers.attention import MultiHeadAttention
from kexue.layers.feedforward import FeedForward
from kexue.layers.normalization import LayerNorm
from kexue.ops import activation_name


@keras.saving.register_keras_serializable(package="kexue")
class TransformerBlock(keras.layers.Layer):
    """Self-attention + feed-forward with residuals, pre- or post-norm.

    ``call(x, attention_mask=None, condition=None, cache=None, cache_index=None)``: the mask is a boolean
    attention mask broadcastable to ``(batch, heads, q_len, k_len)``; ``condition`` feeds
    conditional LayerNorms; with ``cache`` the block returns ``(x, new_cache)``.
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
        dropout_rate: float = 0.0,
        attention_dropout_rate: float = 0.0,
        conditional: bool = False,
        condition_hidden_units: int | None = None,
        condition_activation: str | None = "linear",
        kernel_initializer="glorot_uniform",
        **kwargs,
    ):
        super().__init__(**kwargs)
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
        self.dropout_rate = float(dropout_rate)
        self.attention_dropout_rate = float(attention_dropout_rate)
        self.conditional = bool(conditional)
        self.condition_hidden_units = condition_hidden_units
        self.condition_activation = activation_name(condition_activation)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

        self.attention = MultiHeadAttention(
            heads=self.num_heads,
            head_size=self.head_size,
            use_bias=self.use_bias,
            position=self.position,
            rotary_value=self.rotary_value,
            max_relative_position=self.max_relative_position,
            attention_dropout=self.attention_dropout_rate,
            kernel_initializer=self.kernel_initializer,
            name="attention",
        )
        self.feedforward = FeedForward(
            units=self.intermediate_size,
            activation=hidden_act,
            use_bias=self.use_bias,
            kernel_initializer=self.kernel_initializer,
            name="feedforward",
        )
        norm = dict(
            epsilon=self.layer_norm_eps,
            conditional=self.conditional,
            condition_hidden_units=self.condition_hidden_units,
            condition_activation=self.condition_activation,
        )
        self.attention_norm = LayerNorm(name="attention_norm", **norm)
        self.feedforward_norm = LayerNorm(name="feedforward_norm", **norm)
        self.dropout = keras.layers.Dropout(self.dropout_rate)

    def build(self, inputs_shape, condition_shape=None):
        self.attention.build(inputs_shape)
        self.feedforward.build(inputs_shape)
        self.attention_norm.build(inputs_shape, condition_shape)
        self.feedforward_norm.build(inputs_shape, condition_shape)
        self.built = True

    def _norm(self, layer, x, condition):
        return layer(x, condition=condition) if self.conditional else layer(x)

    def call(
        self,
        inputs,
        attention_mask=None,
        condition=None,
        cache=None,
        cache_index=None,
        training=None,
    ):
        x = inputs
        pre = self.norm_position == "pre"
        h = self._norm(self.attention_norm, x, condition) if pre else x
        h = self.attention(
            h,
            attention_mask=attention_mask,
            cache=cache,
            cache_index=cache_index,
            training=training,
        )
        if cache is not None:
            h, cache = h
        x = x + self.dropout(h, training=training)
        if not pre:
            x = self._norm(self.attention_norm, x, condition)
        h = self._norm(self.feedforward_norm, x, condition) if pre else x
        h = self.feedforward(h, training=training)
        x = x + self.dropout(h, training=training)
        if not pre:
            x = self._norm(self.feedforward_norm, x, condition)
        if cache is not None:
            return x, cache
        return x

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
            dropout_rate=self.dropout_rate,
            attention_dropout_rate=self.attention_dropout_rate,
            conditional=self.conditional,
            condition_hidden_units=self.condition_hidden_units,
            condition_activation=self.condition_activation,
            kernel_initializer=keras.initializers.serialize(self.kernel_initializer),
        )
        return config
