"""Capsules with dynamic routing, in the form of the posts 揭开迷雾，来一顿美味的Capsule盛宴 (4819)
and 再来一顿贺岁宴：从K-Means到Capsule (5112).

Each input capsule ``u_i`` predicts every output capsule through a matrix:
``û_{j|i} = W_j u_i`` (``share_weights=True``: one ``W_j`` for all inputs, so the layer takes
any number of input capsules and does not depend on their order) or ``û_{j|i} = W_{ij} u_i``
(one matrix per input position). Routing is clustering: output capsule ``j`` is a cluster
centre of its predictions, found by a few rounds of

    c_{ij} = softmax_j(b_{ij}),    s_j = Σ_i c_{ij} û_{j|i},    b_{ij} = ⟨s_j / ‖s_j‖, û_{j|i}⟩

(the logits are recomputed each round, not accumulated as in Sabour et al.), and the output is
``v_j = squash(s_j) = ‖s_j‖ / (0.5 + ‖s_j‖²) · s_j``, whose length ``‖s‖² / (0.5 + ‖s‖²)`` lies
in [0, 1) and reads as the probability that the entity is present. When all predictions of
an input coincide (``û_{j|i} = x_i``) and their norms are large, ``softmax`` becomes a hard
argmax and the rounds are spherical K-Means (:func:`dynamic_routing` with ``initial_logits``).

Example:
    >>> import keras, numpy as np
    >>> from kexue.layers.capsule import Capsule, capsule_length
    >>> u = np.random.default_rng(0).normal(size=(2, 6, 8)).astype("float32")
    >>> v = keras.ops.convert_to_numpy(Capsule(num_capsule=3, dim_capsule=4)(u))
    >>> v.shape, bool(np.all(keras.ops.convert_to_numpy(capsule_length(v)) < 1.0))
    ((2, 3, 4), True)
"""

from __future__ import annotations

import keras
from keras import ops

__all__ = ["Capsule", "CapsuleLength", "capsule_length", "dynamic_routing", "squash"]


@keras.saving.register_keras_serializable(package="kexue")
def squash(s, axis: int = -1, epsilon: float = 1e-7):
    """The posts' squash ``v = ‖s‖ / (0.5 + ‖s‖²) · s`` along ``axis`` (so ``‖v‖ < 1``).

    Example:
        >>> import numpy as np
        >>> float(np.asarray(squash(np.array([3.0, 4.0], "float32")))[0])  # 5/25.5 · 3
        0.588235...
    """
    squared = ops.sum(ops.square(s), axis=axis, keepdims=True)
    return ops.sqrt(squared + epsilon) / (0.5 + squared) * s


def capsule_length(capsules, epsilon: float = 1e-7):
    """``‖v_j‖`` of capsules ``(..., num_capsule, dim)`` -> ``(..., num_capsule)``."""
    return ops.sqrt(ops.sum(ops.square(capsules), axis=-1) + epsilon)


def dynamic_routing(predictions, routings: int = 3, initial_logits=None):
    """Route ``predictions`` ``û`` of shape ``(batch, out, in, dim)`` (``û[:, j, i]`` is input
    ``i``'s prediction of output ``j``) for ``routings`` rounds.

    Returns ``(s, c)``: the unsquashed outputs ``(batch, out, dim)`` and the last coupling
    coefficients ``(batch, out, in)`` (each input's column sums to 1 over the outputs).
    ``initial_logits`` ``(batch, out, in)`` replaces the all-zero start (an initial clustering).
    """
    if routings < 1:
        raise ValueError(f"routings must be >= 1, got {routings}.")
    logits = None if initial_logits is None else ops.cast(initial_logits, predictions.dtype)
    for round_ in range(routings):
        if logits is None:  # softmax of all-zero logits, written out (no constant softmax to fold)
            coupling = ops.ones_like(predictions[..., 0]) / predictions.shape[1]
        else:  # each input shares itself among the outputs
            coupling = ops.softmax(logits, axis=1)
        s = ops.einsum("bji,bjid->bjd", coupling, predictions)
        if round_ < routings - 1:
            centres = s / ops.sqrt(ops.maximum(ops.sum(ops.square(s), -1, keepdims=True), 1e-12))
            logits = ops.einsum("bjd,bjid->bji", centres, predictions)
    return s, coupling


@keras.saving.register_keras_serializable(package="kexue")
class Capsule(keras.layers.Layer):
    """A capsule layer: ``(batch, in_capsules, in_dim)`` -> ``(batch, num_capsule, dim_capsule)``.

    Args:
        num_capsule: output capsules.
        dim_capsule: size of each output capsule.
        routings: routing rounds (3 in the posts; 1 is a plain average of the predictions).
        share_weights: one prediction matrix per output capsule for all inputs (any number of
            input capsules, independent of their order); ``False``: one per input position
            (the number of input capsules must be known when the layer is built).
        activation: ``"squash"`` (the posts' form) or any Keras activation name/function.
        kernel_initializer: for the prediction matrices.
    """

    def __init__(
        self,
        num_capsule: int,
        dim_capsule: int,
        routings: int = 3,
        share_weights: bool = True,
        activation="squash",
        kernel_initializer="glorot_uniform",
        **kwargs,
    ):
        super().__init__(**kwargs)
        for name, value in (("num_capsule", num_capsule), ("dim_capsule", dim_capsule),
                            ("routings", routings)):
            if int(value) != value or value < 1:
                raise ValueError(f"`{name}` must be a positive integer, got {value!r}.")
        self.num_capsule, self.dim_capsule = int(num_capsule), int(dim_capsule)
        self.routings, self.share_weights = int(routings), bool(share_weights)
        self.activation_name = activation if isinstance(activation, str) else None
        self.activation = squash if activation == "squash" else keras.activations.get(activation)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def build(self, input_shape):
        if len(input_shape) != 3 or input_shape[-1] is None:
            raise ValueError(
                f"{self.name}: inputs must be (batch, capsules, dim) with a known dim; "
                f"got {tuple(input_shape)}. Reshape feature maps with keras.layers.Reshape((-1, C))."
            )
        width = self.num_capsule * self.dim_capsule
        if self.share_weights:
            shape = (input_shape[-1], width)
        else:
            if input_shape[1] is None:
                raise ValueError(
                    f"{self.name}: share_weights=False needs a known number of input capsules "
                    "(one matrix per input); give the input a fixed length or share the weights."
                )
            shape = (input_shape[1], input_shape[-1], width)
        self.kernel = self.add_weight(name="kernel", shape=shape, initializer=self.kernel_initializer)

    def call(self, inputs):
        pattern = "bid,dk->bik" if self.share_weights else "bid,idk->bik"
        predictions = ops.einsum(pattern, inputs, self.kernel)
        shape = ops.shape(predictions)
        predictions = ops.reshape(predictions, (shape[0], shape[1], self.num_capsule, self.dim_capsule))
        s, _ = dynamic_routing(ops.transpose(predictions, (0, 2, 1, 3)), self.routings)
        return self.activation(s)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.num_capsule, self.dim_capsule)

    def get_config(self) -> dict:
        activation = self.activation_name or keras.activations.serialize(self.activation)
        return {
            **super().get_config(),
            "num_capsule": self.num_capsule,
            "dim_capsule": self.dim_capsule,
            "routings": self.routings,
            "share_weights": self.share_weights,
            "activation": activation,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
        }


@keras.saving.register_keras_serializable(package="kexue")
class CapsuleLength(keras.layers.Layer):
    """The lengths ``‖v_j‖`` of capsules ``(batch, n, dim)`` -> ``(batch, n)``: class scores in
    [0, 1) for :func:`kexue.losses.capsule_margin_loss`."""

    def call(self, capsules):
        return capsule_length(capsules)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1])
