"""Control-flow helpers that work both eagerly (torch, JAX outside jit) and under JAX tracing."""

from __future__ import annotations

from keras import ops


def concrete_bool(x) -> bool | None:
    """``bool(x)`` when ``x`` has a concrete value, ``None`` when it is being traced.

    Eager code can then branch in Python (and skip work); traced code must select values.
    """
    try:
        return bool(ops.convert_to_numpy(x))
    except Exception:  # a tracer (jax.jit) cannot be read back: select instead of branching
        return None


def snapshot(variable):
    """A copy of a variable's current value that later in-place updates cannot change."""
    return ops.copy(variable.value)
