"""Small ``keras.ops`` helpers shared by the layers: activations by name and mask algebra.

Example:
    >>> import numpy as np
    >>> from kexue import ops as kops
    >>> act = kops.get_activation("gelu")  # exact (erf) GELU, as BERT and Hugging Face "gelu"
    >>> y = act(np.array([0.0, 1.0], dtype="float32"))
"""

from __future__ import annotations

from typing import Callable

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="kexue")
def gelu_erf(x):
    """Exact GELU: x * Phi(x) (the backend's native kernel)."""
    return keras.activations.gelu(x, approximate=False)


@keras.saving.register_keras_serializable(package="kexue")
def gelu_tanh(x):
    """The tanh approximation of GELU (GPT-2, ALBERT's ``gelu_new``)."""
    return keras.activations.gelu(x, approximate=True)


@keras.saving.register_keras_serializable(package="kexue")
def squared_relu(x):
    """relu(x) squared (Primer)."""
    return ops.square(ops.relu(x))


# Activation names used by the checkpoint configs we read, mapped to one definition each.
_ACTIVATIONS: dict[str, Callable] = {
    "gelu": gelu_erf,
    "gelu_erf": gelu_erf,
    "gelu_new": gelu_tanh,
    "gelu_fast": gelu_tanh,
    "gelu_pytorch_tanh": gelu_tanh,
    "gelu_tanh": gelu_tanh,
    "relu": ops.relu,
    "relu2": squared_relu,
    "swish": ops.silu,
    "silu": ops.silu,
    "tanh": ops.tanh,
    "sigmoid": ops.sigmoid,
    "linear": lambda x: x,
}


def get_activation(name: str | Callable | None) -> Callable:
    """Resolve an activation given by checkpoint-config name or as a callable."""
    if name is None:
        return _ACTIVATIONS["linear"]
    if callable(name):
        return name
    key = str(name).lower()
    if key not in _ACTIVATIONS:
        try:
            return keras.activations.get(key)
        except ValueError:
            raise ValueError(
                f"Unknown activation {name!r}. Use one of {sorted(_ACTIVATIONS)} or a callable."
            ) from None
    return _ACTIVATIONS[key]


def activation_name(fn_or_name: str | Callable | None) -> str | None:
    """The serialisable name of an activation (for ``get_config``)."""
    if fn_or_name is None or isinstance(fn_or_name, str):
        return fn_or_name
    for name, fn in _ACTIVATIONS.items():
        if fn is fn_or_name:
            return name
    return keras.activations.serialize(fn_or_name)
