"""Coupling layers: NICE's additive coupling and RealNVP/Glow's affine coupling.

The input's last axis is cut into two parts ``(a, b)``. One part passes through unchanged and
conditions a small network that shifts (additive) or scales and shifts (affine) the other::

    additive:  y_b = x_b + t(x_a)                 log-det 0
    affine:    y_b = (x_b + t(x_a)) * s(x_a)      log-det sum(log s),  s = sigmoid(h + 2)

``parity`` chooses which part is transformed, so alternating parities touch every feature.
The conditioner is an MLP for vectors ``(batch, D)`` and a small CNN for images
``(batch, H, W, C)``; its last layer starts at zero, so a fresh coupling is the identity.

Example:
    >>> import numpy as np
    >>> from keras import ops
    >>> from kexue.generative.flows.coupling import Coupling
    >>> layer = Coupling(kind="affine", hidden=16)
    >>> x = np.random.default_rng(0).normal(size=(4, 6)).astype("float32")
    >>> y, logdet = layer(x)
    >>> bool(np.allclose(ops.convert_to_numpy(layer(y, inverse=True)), x, atol=1e-6))
    True
"""

from __future__ import annotations

import keras
from keras import ops

from kexue.generative.flows.base import FlowLayer, check_rank, sum_except_batch

KINDS = ("additive", "affine")


@keras.saving.register_keras_serializable(package="kexue")
class Coupling(FlowLayer):
    """Additive (NICE) or affine (RealNVP/Glow) coupling on the last axis.

    Args:
        kind: ``"additive"`` or ``"affine"``.
        hidden: width of the conditioner's hidden layers (units or filters).
        depth: number of hidden layers in the conditioner.
        parity: 0 transforms the second part given the first, 1 the first given the second.
    """

    def __init__(
        self, kind: str = "affine", hidden: int = 64, depth: int = 2, parity: int = 0, **kwargs
    ):
        super().__init__(**kwargs)
        if kind not in KINDS:
            raise ValueError(f"Coupling kind must be one of {KINDS}; got {kind!r}.")
        if hidden < 1 or depth < 1:
            raise ValueError(
                f"hidden and depth must be positive; got hidden={hidden}, depth={depth}."
            )
        if parity not in (0, 1):
            raise ValueError(f"parity must be 0 or 1; got {parity!r}.")
        self.kind, self.hidden, self.depth, self.parity = kind, int(hidden), int(depth), parity

    def build(self, input_shape):
        check_rank(input_shape, "Coupling")
        channels = int(input_shape[-1])
        if channels < 2:
            raise ValueError(
                f"Coupling needs at least 2 features on the last axis; got {channels}."
            )
        first = channels // 2
        self.sizes = (first, channels - first)
        cond_size, out_size = self.sizes if self.parity == 0 else self.sizes[::-1]
        out_units = out_size * (2 if self.kind == "affine" else 1)
        image = len(input_shape) == 4
        self.net = []
        for i in range(self.depth):
            if image:
                kernel = 3 if i == 0 else 1
                self.net.append(
                    keras.layers.Conv2D(
                        self.hidden, kernel, padding="same", activation="relu", name=f"hidden_{i}"
                    )
                )
            else:
                self.net.append(
                    keras.layers.Dense(self.hidden, activation="relu", name=f"hidden_{i}")
                )
        if image:
            last = keras.layers.Conv2D(
                out_units, 3, padding="same", kernel_initializer="zeros", name="out"
            )
        else:
            last = keras.layers.Dense(out_units, kernel_initializer="zeros", name="out")
        self.net.append(last)
        shape = tuple(input_shape[:-1]) + (cond_size,)
        for layer in self.net:
            layer.build(shape)
            shape = layer.compute_output_shape(shape)

    def _parts(self, x):
        a, b = ops.split(x, [self.sizes[0]], axis=-1)
        return (a, b) if self.parity == 0 else (b, a)  # (conditioning part, transformed part)

    def _join(self, cond, out):
        return ops.concatenate([cond, out] if self.parity == 0 else [out, cond], axis=-1)

    def _shift_scale(self, cond):
        h = cond
        for layer in self.net:
            h = layer(h)
        if self.kind == "additive":
            return h, None
        raw_scale, shift = ops.split(h, 2, axis=-1)
        return shift, ops.log_sigmoid(raw_scale + 2.0)

    def transform(self, x):
        cond, x_b = self._parts(x)
        shift, log_scale = self._shift_scale(cond)
        if log_scale is None:
            return self._join(cond, x_b + shift), ops.zeros((ops.shape(x)[0],), x.dtype)
        y_b = (x_b + shift) * ops.exp(log_scale)
        return self._join(cond, y_b), sum_except_batch(log_scale)

    def inverse(self, y):
        cond, y_b = self._parts(y)
        shift, log_scale = self._shift_scale(cond)
        x_b = y_b - shift if log_scale is None else y_b * ops.exp(-log_scale) - shift
        return self._join(cond, x_b)

    def get_config(self):
        return {
            **super().get_config(),
            "kind": self.kind,
            "hidden": self.hidden,
            "depth": self.depth,
            "parity": self.parity,
        }
