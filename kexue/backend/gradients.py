"""Gradients, which ``keras.ops`` does not offer.

- :func:`grad` -- ``x -> d fn(x) / dx`` for a function of one tensor returning a scalar.
  The result stays differentiable (``jax.grad`` composes; torch uses ``create_graph=True``;
  TensorFlow records under any enclosing tape), so it can be used inside a training loss,
  e.g. for a gradient penalty.
- :func:`value_and_grad` -- the same, also returning ``fn(x)``.
- :func:`variable_grads` -- gradients of a zero-argument loss with respect to Keras
  variables (for tests and diagnostics; training itself goes through ``Model.fit``).

Example:
    >>> import keras
    >>> from kexue.backend import grad
    >>> g = grad(lambda x: keras.ops.sum(x ** 2))
    >>> [float(v) for v in keras.ops.convert_to_numpy(g(keras.ops.ones((3,))))]
    [2.0, 2.0, 2.0]
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import keras

from kexue.backend._active import Tensor, active_backend as _backend


def _check_scalar(value: Tensor) -> None:
    if len(keras.ops.shape(value)) != 0:
        raise ValueError(
            f"the function must return a scalar, got shape {tuple(keras.ops.shape(value))}; "
            "reduce it (e.g. keras.ops.sum) before differentiating."
        )


def value_and_grad(fn: Callable[[Tensor], Tensor]) -> Callable[[Tensor], tuple[Tensor, Tensor]]:
    """Return ``x -> (fn(x), grad fn(x))`` for ``fn`` mapping one tensor to a scalar.

    The gradient is itself differentiable (usable inside a loss), and gradients still flow
    from the result back to whatever produced ``x`` (e.g. a generator).

    Example:
        >>> import keras
        >>> from kexue.backend import value_and_grad
        >>> v, g = value_and_grad(lambda x: keras.ops.sum(3.0 * x))(keras.ops.zeros((2,)))
        >>> float(v), keras.ops.convert_to_numpy(g).tolist()
        (0.0, [3.0, 3.0])
    """
    name = _backend()
    if name == "jax":
        import jax

        def checked(x):
            y = fn(x)
            _check_scalar(y)
            return y

        return jax.value_and_grad(checked)
    if name == "torch":
        import torch

        def torch_value_and_grad(x):
            x = keras.ops.convert_to_tensor(x)
            with torch.enable_grad():  # Keras' predict/evaluate run under no_grad
                leaf = x if x.requires_grad else x.detach().requires_grad_(True)
                y = fn(leaf)
                _check_scalar(y)
                if not y.requires_grad:  # fn ignores x (e.g. a constant): zero gradient
                    return y, torch.zeros_like(leaf)
                (g,) = torch.autograd.grad(y, leaf, create_graph=True, allow_unused=True)
            return y, torch.zeros_like(leaf) if g is None else g

        return torch_value_and_grad
    import tensorflow as tf

    def tf_value_and_grad(x):
        x = tf.convert_to_tensor(x)
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = fn(x)
        _check_scalar(y)
        g = tape.gradient(y, x)
        return y, tf.zeros_like(x) if g is None else g

    return tf_value_and_grad


def grad(fn: Callable[[Tensor], Tensor]) -> Callable[[Tensor], Tensor]:
    """Return ``x -> d fn(x) / dx`` for ``fn`` mapping one tensor to a scalar.

    Example:
        >>> import keras
        >>> from kexue.backend import grad
        >>> keras.ops.convert_to_numpy(grad(lambda x: keras.ops.sum(x ** 3))(keras.ops.ones((2,)))).tolist()
        [3.0, 3.0]
    """
    both = value_and_grad(fn)
    return lambda x: both(x)[1]


def variable_grads(loss_fn: Callable[[], Tensor], variables: Sequence[Any]) -> list[Tensor]:
    """Gradients of ``loss_fn()`` (a scalar built from ``variables``) w.r.t. those variables.

    On JAX the variables are swapped for traced values with ``keras.StatelessScope``; on torch
    and TensorFlow the variables' own tensors are differentiated.

    Example:
        >>> import keras
        >>> from kexue.backend import variable_grads
        >>> w = keras.Variable([1.0, 2.0])
        >>> [keras.ops.convert_to_numpy(g).tolist() for g in variable_grads(lambda: keras.ops.sum(w * w), [w])]
        [[2.0, 4.0]]
    """
    variables = list(variables)
    if not variables:
        raise ValueError("variable_grads needs at least one variable to differentiate.")
    name = _backend()
    if name == "jax":
        import jax

        def pure(values):
            with keras.StatelessScope(state_mapping=list(zip(variables, values))):
                y = loss_fn()
            _check_scalar(y)
            return y

        return list(jax.grad(pure)([v.value for v in variables]))
    if name == "torch":
        import torch

        with torch.enable_grad():
            y = loss_fn()
            _check_scalar(y)
            grads = torch.autograd.grad(y, [v.value for v in variables], allow_unused=True)
        return [torch.zeros_like(v.value) if g is None else g for g, v in zip(grads, variables)]
    import tensorflow as tf

    with tf.GradientTape() as tape:
        y = loss_fn()
    _check_scalar(y)
    grads = tape.gradient(y, [v.value for v in variables])
    return [tf.zeros_like(v.value) if g is None else g for g, v in zip(grads, variables)]
