"""Cascading rejection: several critics on successive orthogonal residuals of one feature.

A discriminator usually ends with ``D(x) = <v, w> + b`` on a feature vector ``v``. That score
only sees the component of ``v`` along ``w``; everything orthogonal to ``w`` is free. Cascading
rejection adds critics on what is left:

    v_1 = v,   D_k = <v_k, w_k> + b_k,   v_{k+1} = v_k - (<v_k, w_k> / ||w_k||²) w_k,

so every critic judges the part of the feature the previous one could not see, and a fake
must pass all of them. The GAN losses are averaged over the K scores (a
:class:`~kexue.generative.single_loss.SingleLossGAN` does this by itself when the
discriminator returns shape ``(batch, K)``). With ``K = 1`` it is the plain linear critic.

Example:
    >>> import numpy as np
    >>> from kexue.generative.cascade import CascadeCritic
    >>> head = CascadeCritic(critics=3)
    >>> tuple(head(np.random.default_rng(0).normal(size=(4, 6)).astype("float32")).shape)
    (4, 3)
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
from keras import ops

from kexue.generative.single_loss import mlp_discriminator


@keras.saving.register_keras_serializable(package="kexue")
class CascadeCritic(keras.layers.Layer):
    """``K`` linear critics on successive orthogonal residuals of the input features.

    Args:
        critics: number of critics K (>= 1).
        use_bias: add a bias ``b_k`` to each score (does not affect the residuals).
        epsilon: added to ``||w_k||²`` in the projection to avoid division by zero.

    Input ``(batch, d)``; output ``(batch, K)``.
    """

    def __init__(self, critics: int = 3, use_bias: bool = True, epsilon: float = 1e-12, **kwargs):
        super().__init__(**kwargs)
        if int(critics) < 1:
            raise ValueError(f"critics must be at least 1, got {critics}.")
        self.critics, self.use_bias, self.epsilon = int(critics), bool(use_bias), float(epsilon)

    def build(self, input_shape):
        if len(input_shape) != 2 or input_shape[-1] is None:
            raise ValueError(f"CascadeCritic expects (batch, features) inputs, got {input_shape}; flatten first.")
        self.kernel = self.add_weight(name="kernel", shape=(self.critics, input_shape[-1]),
                                      initializer="glorot_uniform")
        self.bias = self.add_weight(name="bias", shape=(self.critics,), initializer="zeros") if self.use_bias else None

    def residuals(self, v):
        """``[v_1, ..., v_K]`` and the raw inner products ``[<v_k, w_k>]``."""
        residuals, scores = [v], []
        for k in range(self.critics):
            w = self.kernel[k]
            score = ops.sum(residuals[-1] * w, axis=-1)
            scores.append(score)
            if k + 1 < self.critics:
                coefficient = score / (ops.sum(w * w) + self.epsilon)
                residuals.append(residuals[-1] - coefficient[:, None] * w[None, :])
        return residuals, scores

    def call(self, v):
        _, scores = self.residuals(v)
        out = ops.stack(scores, axis=-1)
        return out + self.bias if self.use_bias else out

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.critics)

    def get_config(self):
        return {**super().get_config(), "critics": self.critics, "use_bias": self.use_bias,
                "epsilon": self.epsilon}


def cascade_discriminator(input_shape: Sequence[int], critics: int = 3, *, hidden: int = 256,
                          features: int = 128, name: str = "cascade_discriminator") -> keras.Model:
    """An MLP feature extractor ``x -> v`` followed by a :class:`CascadeCritic` head.

    Example:
        >>> from kexue.generative.cascade import cascade_discriminator
        >>> cascade_discriminator((8, 8, 1), critics=2, hidden=16, features=8).output_shape
        (None, 2)
    """
    body = mlp_discriminator(input_shape, hidden=hidden, outputs=features, name=f"{name}_features")
    inputs = keras.Input(tuple(input_shape))
    return keras.Model(inputs, CascadeCritic(critics=critics, name="cascade")(body(inputs)), name=name)
