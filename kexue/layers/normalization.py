"""Layer normalisation with an optional condition (Conditional LayerNorm) and an RMS variant.

Conditional LayerNorm (used for conditional text generation and triple extraction) adds
``dense_gamma(c)`` and ``dense_beta(c)`` to the gain and bias. Those projections start at
zero, so at initialisation the layer equals a plain LayerNorm exactly.

Example:
    >>> import numpy as np
    >>> from kexue.layers.normalization import LayerNorm
    >>> x = np.random.rand(2, 5, 8).astype("float32")
    >>> c = np.random.rand(2, 3).astype("float32")
    >>> y = LayerNorm(conditional=True)(x, condition=c)
    >>> tuple(y.shape)
    (2, 5, 8)
"""

from __future__ import annotations

import keras
from keras import ops

from kexue.ops import activation_name, get_activation


@keras.saving.register_keras_serializable(package="kexue")
class LayerNorm(keras.layers.Layer):
    """LayerNorm over the last axis, optionally conditional and optionally RMS-only.

    Args:
        epsilon: added to the variance (BERT uses 1e-12).
        center: learn a bias ``beta``.
        scale: learn a gain ``gamma``.
        rms: T5-style RMS norm (no mean subtraction, no bias).
        conditional: accept ``condition`` in ``call`` and add zero-initialised projections of it
            to ``gamma`` and ``beta``.
        condition_hidden_units: if set, the condition first goes through a Dense layer of this
            width (bias-free, with ``condition_activation``).
        condition_activation: activation of that hidden layer.
    """

    def __init__(
        self,
        epsilon: float = 1e-12,
        center: bool = True,
        scale: bool = True,
        rms: bool = False,
        conditional: bool = False,
        condition_hidden_units: int | None = None,
        condition_activation: str | None = "linear",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.supports_masking = True  # the padding mask passes through to the output
        if epsilon <= 0:
            raise ValueError(f"epsilon must be positive, got {epsilon}.")
        self.epsilon = float(epsilon)
        self.center = bool(center) and not rms
        self.scale = bool(scale)
        self.rms = bool(rms)
        self.conditional = bool(conditional)
        self.condition_hidden_units = condition_hidden_units
        self.condition_activation = activation_name(condition_activation)

    def build(self, inputs_shape, condition_shape=None):
        dim = inputs_shape[-1]
        if self.scale:
            self.gamma = self.add_weight(name="gamma", shape=(dim,), initializer="ones")
        if self.center:
            self.beta = self.add_weight(name="beta", shape=(dim,), initializer="zeros")
        if self.conditional:
            if condition_shape is None:
                raise ValueError(
                    f"{self.name}: conditional=True needs a condition; call the layer as "
                    "layer(x, condition=c)."
                )
            cond_dim = condition_shape[-1]
            if self.condition_hidden_units:
                self.condition_dense = keras.layers.Dense(
                    self.condition_hidden_units,
                    activation=get_activation(self.condition_activation),
                    use_bias=False,
                    name="condition_hidden",
                )
                self.condition_dense.build(condition_shape)
                cond_dim = self.condition_hidden_units
            if self.scale:
                self.condition_gamma = keras.layers.Dense(
                    dim, use_bias=False, kernel_initializer="zeros", name="condition_gamma"
                )
                self.condition_gamma.build((None, cond_dim))
            if self.center:
                self.condition_beta = keras.layers.Dense(
                    dim, use_bias=False, kernel_initializer="zeros", name="condition_beta"
                )
                self.condition_beta.build((None, cond_dim))
        self.built = True

    def _expand_condition(self, projected, ndim):
        # condition (batch, dim) -> (batch, 1, ..., dim) to broadcast over sequence axes
        while len(projected.shape) < ndim:
            projected = ops.expand_dims(projected, 1)
        return projected

    def call(self, inputs, condition=None):
        if self.conditional and condition is None:
            raise ValueError(f"{self.name}: conditional=True needs `condition`.")
        dtype = inputs.dtype
        x = ops.cast(inputs, "float32")
        gamma = ops.cast(self.gamma, "float32") if self.scale else None
        beta = ops.cast(self.beta, "float32") if self.center else None
        if not self.conditional and not self.rms:
            # the backend's fused kernel where it has one (torch)
            out = ops.layer_normalization(x, gamma, beta, axis=-1, epsilon=self.epsilon)
            return ops.cast(out, dtype)
        if self.rms:
            variance = ops.mean(ops.square(x), axis=-1, keepdims=True)
            x = x * ops.rsqrt(variance + self.epsilon)
        else:
            x = ops.layer_normalization(x, axis=-1, epsilon=self.epsilon)
        if self.conditional:
            c = condition
            if self.condition_hidden_units:
                c = self.condition_dense(c)
            c = ops.cast(c, "float32")
            if self.scale:
                gamma = gamma + self._expand_condition(self.condition_gamma(c), len(x.shape))
            if self.center:
                beta = beta + self._expand_condition(self.condition_beta(c), len(x.shape))
        if gamma is not None:
            x = x * gamma
        if beta is not None:
            x = x + beta
        return ops.cast(x, dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            epsilon=self.epsilon,
            center=self.center,
            scale=self.scale,
            rms=self.rms,
            conditional=self.conditional,
            condition_hidden_units=self.condition_hidden_units,
            condition_activation=self.condition_activation,
        )
        return config
