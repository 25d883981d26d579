"""Per-variable gradient transforms: serialisable callables for ``gradient_transforms``.

>>> import keras, numpy as np
>>> t = clip_by_norm(1.0)
>>> np.round(keras.ops.convert_to_numpy(t(np.array([3.0, 4.0], "float32"))).astype(float), 3).tolist()
[0.6, 0.8]
"""

from __future__ import annotations

from keras import ops

__all__ = ["GradientTransform", "clip_by_norm", "clip_by_value", "scale", "zero"]

_KINDS = ("clip_by_norm", "clip_by_value", "scale", "zero")


class GradientTransform:
    """One transform applied to a variable's gradient before the update.

    ``kind`` is one of ``clip_by_norm`` (rescale to at most ``value`` in L2 norm),
    ``clip_by_value`` (clip each entry to ``[-value, value]``), ``scale`` (multiply by
    ``value``) or ``zero`` (freeze: the gradient becomes 0).
    """

    def __init__(self, kind: str, value: float | None = None):
        if kind not in _KINDS:
            raise ValueError(f"unknown gradient transform {kind!r}; use one of {_KINDS}.")
        if kind in ("clip_by_norm", "clip_by_value") and not (value and value > 0):
            raise ValueError(f"`{kind}` needs a positive threshold, got {value!r}.")
        if kind == "scale" and value is None:
            raise ValueError("`scale` needs a factor.")
        self.kind, self.value = kind, None if value is None else float(value)

    def __call__(self, grad):
        grad = ops.convert_to_tensor(grad)
        if self.kind == "zero":
            return ops.zeros_like(grad)
        if self.kind == "scale":
            return grad * ops.cast(self.value, grad.dtype)
        if self.kind == "clip_by_value":
            return ops.clip(grad, -self.value, self.value)
        norm = ops.norm(grad)  # fused, no squared temporary
        factor = ops.minimum(1.0, self.value / ops.maximum(norm, 1e-12))
        return grad * ops.cast(factor, grad.dtype)

    def get_config(self) -> dict:
        return {"kind": self.kind, "value": self.value}

    def __repr__(self) -> str:
        return f"{self.kind}({'' if self.value is None else self.value})"


def clip_by_norm(max_norm: float) -> GradientTransform:
    """Rescale the gradient to L2 norm at most ``max_norm``."""
    return GradientTransform("clip_by_norm", max_norm)


def clip_by_value(limit: float) -> GradientTransform:
    """Clip every gradient entry to ``[-limit, limit]``."""
    return GradientTransform("clip_by_value", limit)


def scale(factor: float) -> GradientTransform:
    """Multiply the gradient by ``factor``."""
    return GradientTransform("scale", factor)


def zero() -> GradientTransform:
    """Replace the gradient with zeros."""
    return GradientTransform("zero")


def deserialize(spec) -> GradientTransform:
    """A transform from a ``GradientTransform``, its config dict, or a plain callable."""
    if isinstance(spec, dict):
        return GradientTransform(**spec)
    if callable(spec):
        return spec
    raise TypeError(f"a gradient transform must be callable or a config dict, got {spec!r}.")
