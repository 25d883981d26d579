"""Position-wise feed-forward network: ``outer(act(inner(x)))``, optionally gated
(``outer(act(inner(x)) * gate(x))``, as in T5 v1.1's gated GELU).

Example:
    >>> import numpy as np
    >>> from kexue.layers.feedforward import FeedForward
    >>> tuple(FeedForward(units=32, activation="gelu")(np.ones((2, 3, 8), "float32")).shape)
    (2, 3, 8)
"""

from __future__ import annotations

import keras

from kexue.layers.linear import Linear
from kexue.layers.sublayer import call_sublayer
from kexue.ops import activation_name, get_activation


@keras.saving.register_keras_serializable(package="kexue")
class FeedForward(keras.layers.Layer):
    """Two-layer MLP with a configurable activation, optional gate and bias switch."""

    def __init__(
        self,
        units: int,
        activation="gelu",
        use_bias: bool = True,
        gated: bool = False,
        dropout: float = 0.0,
        kernel_initializer="glorot_uniform",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.supports_masking = True  # the padding mask passes through to the output
        self.units = int(units)
        self.activation = activation_name(activation)
        self.use_bias = bool(use_bias)
        self.gated = bool(gated)
        self.dropout_rate = float(dropout)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        dense = dict(use_bias=self.use_bias, kernel_initializer=self.kernel_initializer, dtype=self.dtype_policy)
        self.inner = Linear(self.units, name="inner", **dense)
        if self.gated:
            self.gate = Linear(self.units, name="gate", **dense)
        self._dense_kwargs = dense
        self.dropout = keras.layers.Dropout(self.dropout_rate, dtype=self.dtype_policy)
        self._act = get_activation(activation)

    def build(self, input_shape):
        self.inner.build(input_shape)
        if self.gated:
            self.gate.build(input_shape)
        self.outer = Linear(input_shape[-1], name="outer", **self._dense_kwargs)
        self.outer.build(tuple(input_shape[:-1]) + (self.units,))
        self.built = True

    def call(self, inputs, training=None):
        hidden = self._act(call_sublayer(self.inner, inputs))
        if self.gated:
            hidden = hidden * call_sublayer(self.gate, inputs)
        hidden = call_sublayer(self.dropout, hidden, training=training)
        return call_sublayer(self.outer, hidden)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            units=self.units,
            activation=self.activation,
            use_bias=self.use_bias,
            gated=self.gated,
            dropout=self.dropout_rate,
            kernel_initializer=keras.initializers.serialize(self.kernel_initializer),
        )
        return config
