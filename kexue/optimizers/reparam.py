"""Per-layer learning rates by reparameterisation (the layer-wise-LR post).

Writing a layer's weights as ``θ = λ·φ`` and training ``φ`` changes the effective learning
rate of ``θ``: under SGD (and momentum) ``∂L/∂φ = λ ∂L/∂θ`` and ``Δθ = λΔφ``, so the rate
becomes ``λ²·lr``; under RMSprop/Adam the update is invariant to the gradient's scale, so it
becomes ``λ·lr`` (up to ε). No optimizer changes are needed.
"""

from __future__ import annotations

import keras
from keras import ops

__all__ = ["Reparameterized"]


@keras.saving.register_keras_serializable(package="kexue")
class Reparameterized(keras.layers.Wrapper):
    """Train ``layer``'s trainable weights as ``scale × φ``.

    Args:
        layer: the layer whose learning rate should change.
        scale: λ; SGD's effective rate becomes ``λ²·lr``, Adam's ``λ·lr``.

    Example:
        >>> import numpy as np, keras
        >>> dense = Reparameterized(keras.layers.Dense(2), scale=10.0)
        >>> y = dense(np.ones((1, 3), "float32"))
        >>> [w.path.split("/")[-1] for w in dense.trainable_weights]
        ['kernel_phi', 'bias_phi']
    """

    def __init__(self, layer: keras.layers.Layer, scale: float = 1.0, **kwargs):
        super().__init__(layer, **kwargs)
        if not scale > 0:
            raise ValueError(f"`scale` must be positive, got {scale!r}.")
        self.scale = float(scale)

    def build(self, input_shape=None):
        if getattr(self, "_phis", None):
            return
        if not self.layer.built:
            self.layer.build(input_shape)
        self._targets = list(self.layer.trainable_variables)
        if not self._targets:
            raise ValueError(f"{self.layer.name!r} has no trainable weights to reparameterise.")
        self._phis = []
        for target in self._targets:
            phi = self.add_weight(
                shape=target.shape,
                dtype=target.dtype,
                initializer="zeros",
                name=f"{target.name}_phi",
            )
            phi.assign(target.value / self.scale)
            self._phis.append(phi)
        self.layer.trainable = False
        self.built = True

    def call(self, inputs, *args, **kwargs):
        others = [v for v in self.layer.variables if all(v is not t for t in self._targets)]
        mapping = [(t, self.scale * phi.value) for t, phi in zip(self._targets, self._phis)]
        mapping += [(v, v.value) for v in others]
        with keras.StatelessScope(state_mapping=mapping, collect_losses=True) as scope:
            outputs = self.layer(inputs, *args, **kwargs)
        for v in others:  # e.g. moving statistics updated by the wrapped layer
            new = scope.get_current_value(v)
            if new is not None:
                v.assign(new)
        for loss in scope.losses:
            self.add_loss(loss)
        return outputs

    def effective_weights(self) -> list:
        """The current ``θ = λφ`` of the wrapped layer (for export or inspection)."""
        return [ops.convert_to_numpy(self.scale * phi.value) for phi in self._phis]

    def get_config(self) -> dict:
        config = {**super().get_config(), "scale": self.scale}
        # The wrapped layer is frozen only by this wrapper; it is rebuilt trainable.
        config["layer"]["config"]["trainable"] = True
        return config
