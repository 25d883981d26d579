"""Compiling loops and steps: ``jax.jit`` with the variables as arguments, ``torch.compile`` of
a loop body, per-step seeds, and making JAX's training state visible mid-``fit``.

Example:
    >>> from kexue.backend import while_loop
    >>> [int(v) for v in while_loop(lambda i, s: i < 3, lambda i, s: (i + 1, s * 2), (0, 1))]
    [3, 8]
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import keras

from kexue.backend._active import active_backend as _backend


def jit(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Compile a pure function of tensors where the backend gains from it.

    ``jax.jit`` on JAX (eager JAX dispatches every op separately, which dominates small
    sampler steps), ``tf.function`` on TensorFlow, and the function unchanged on torch
    (eager PyTorch is already fast for these). ``fn`` must not update Keras variables.

    Example:
        >>> import keras
        >>> from kexue.backend import jit
        >>> double = jit(lambda x: 2.0 * x)
        >>> keras.ops.convert_to_numpy(double(keras.ops.ones((2,)))).tolist()
        [2.0, 2.0]
    """
    name = _backend()
    if name == "jax":
        import jax

        return jax.jit(fn)
    if name == "tensorflow":
        import tensorflow as tf

        return tf.function(fn)
    return fn


# --- Compiled inference loops (used by kexue.decoding.generate) -------------------------------


def jit_with_variables(fn: Callable[..., Any], variables: Sequence[Any]) -> Callable[..., Any]:
    """Compile ``fn(*args)``, a pure function of tensors that reads (never writes) Keras
    ``variables``, e.g. a whole decoding loop built from a model's layers.

    On JAX the variables' current values are passed to ``jax.jit`` as arguments and swapped in
    with ``keras.StatelessScope``, so they are not baked into the program as constants and
    later weight updates are seen. On torch ``fn`` runs eagerly under ``torch.no_grad()``
    (compile the loop body instead, with :func:`while_loop`'s ``compile=True``: a traced
    Python loop would unroll). On TensorFlow, ``tf.function``.

    Example:
        >>> import keras
        >>> from kexue.backend import jit_with_variables
        >>> w = keras.Variable([1.0, 2.0])
        >>> f = jit_with_variables(lambda x: x * w, [w])
        >>> keras.ops.convert_to_numpy(f(keras.ops.ones((2,)))).tolist()
        [1.0, 2.0]
    """
    variables = list(variables)
    name = _backend()
    if name == "jax":
        import jax

        def pure(values, *args):
            with keras.StatelessScope(state_mapping=list(zip(variables, values))):
                return fn(*args)

        compiled = jax.jit(pure)
        return lambda *args: compiled([v.value for v in variables], *args)
    if name == "torch":
        import torch

        def no_grad(*args):
            with torch.no_grad():
                return fn(*args)

        return no_grad
    import tensorflow as tf

    return tf.function(fn)


def loop_seed(seed: int, step) -> Any:
    """A random seed for step ``step`` of a loop, usable as ``seed=`` of ``keras.random``.

    Inside a compiled JAX loop ``step`` is traced, so the seed is the key ``[seed, step]``;
    in eager loops (torch) ``step`` is a Python int and the seed an int mixing both.

    Example:
        >>> from kexue.backend import loop_seed
        >>> loop_seed(7, 3) == loop_seed(7, 3) != loop_seed(7, 4)
        True
    """
    if isinstance(step, int):
        return (int(seed) * 1_000_003 + step) % (2**31 - 1)
    return keras.ops.cast(keras.ops.stack([keras.ops.cast(seed, "int32"), step]), "uint32")


def while_loop(
    cond: Callable[..., Any], body: Callable[..., tuple], loop_vars: tuple, compile: bool = False
) -> tuple:
    """``keras.ops.while_loop``, except on torch, where the loop runs in Python.

    On torch the loop variables are passed through untouched (Keras would turn a Python-int
    step counter into a tensor, which makes every cache write take the slow tensor-index
    path). With ``compile=True`` (torch only; JAX and TensorFlow compile the whole loop under
    an enclosing jit anyway) ``body`` is compiled with ``torch.compile(dynamic=False)`` and
    Python-number loop variables become 0-d tensors, so one graph serves every iteration
    (a Python int would be baked in and recompiled at each step); ``cond`` stays eager.
    Compiled bodies are cached by ``torch.compile`` per code object and guards (closure values,
    shapes): calling again with the same kind of closure reuses the graph. ``body`` must then
    avoid Python control flow on tensor values (it would break or re-specialise the graph).

    Example:
        >>> from kexue.backend import while_loop
        >>> [int(v) for v in while_loop(lambda i, s: i < 4, lambda i, s: (i + 1, s + i), (0, 0))]
        [4, 6]
    """
    if _backend() == "torch":
        loop_vars = tuple(loop_vars)
        if compile:
            import torch

            body = torch.compile(body, dynamic=False)
            loop_vars = tuple(
                torch.tensor(v, dtype=torch.int32 if isinstance(v, int) else torch.float32)
                if isinstance(v, (int, float)) and not isinstance(v, bool) else v
                for v in loop_vars
            )
        while bool(cond(*loop_vars)):
            loop_vars = tuple(body(*loop_vars))
        return loop_vars
    return tuple(keras.ops.while_loop(cond, body, tuple(loop_vars)))


def sync_training_state(model: Any) -> None:
    """Make a model's Keras variables current in the middle of ``fit`` (e.g. in a callback).

    The JAX trainer keeps the training state outside the variables between steps; this writes
    it back (``Model.jax_state_sync``), so a callback can read or assign variables and the next
    step picks the assignment up. Torch and TensorFlow train the variables in place: no-op.
    """
    if _backend() == "jax" and hasattr(model, "jax_state_sync"):
        model.jax_state_sync()
