"""Which Keras backend is active, checked once per call (never at import time)."""

from __future__ import annotations

from typing import Any

import keras

Tensor = Any

SUPPORTED = ("jax", "torch", "tensorflow")


def active_backend() -> str:
    """The active Keras backend's name; a clear error for one kexue does not support."""
    name = keras.backend.backend()
    if name not in SUPPORTED:
        raise NotImplementedError(
            f"kexue.backend supports the {', '.join(SUPPORTED)} Keras backends, not {name!r}; "
            "set KERAS_BACKEND=jax or KERAS_BACKEND=torch."
        )
    return name
