"""The one backend seam: gradients, which ``keras.ops`` does not offer.

Everything else in kexue is written with ``keras.ops``; only automatic differentiation
differs between the backends, so it lives here, small and tested:

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

import functools
from typing import Any, Callable, Sequence

import keras

Tensor = Any

_SUPPORTED = ("jax", "torch", "tensorflow")


def _backend() -> str:
    name = keras.backend.backend()
    if name not in _SUPPORTED:
        raise NotImplementedError(
            f"kexue.backend supports the {', '.join(_SUPPORTED)} Keras backends, not {name!r}; "
            "set KERAS_BACKEND=jax or KERAS_BACKEND=torch."
        )
    return name


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


def linear(x: Tensor, kernel: Tensor, bias: Tensor | None = None) -> Tensor:
    """``x @ kernel + bias`` (``kernel`` ``[in, out]``), as one fused matmul-and-add where the
    backend has one (torch: ``addmm``; a separate bias add costs ~8% of a BERT forward on CPU);
    XLA fuses the add itself.

    Example:
        >>> import numpy as np
        >>> from kexue.backend import linear
        >>> y = linear(np.ones((2, 3), "float32"), np.ones((3, 4), "float32"), np.ones(4, "float32"))
        >>> keras.ops.convert_to_numpy(y).tolist()[0]
        [4.0, 4.0, 4.0, 4.0]
    """
    if _backend() == "torch":
        import torch

        x, kernel = keras.ops.convert_to_tensor(x), keras.ops.convert_to_tensor(kernel)
        bias = None if bias is None else keras.ops.convert_to_tensor(bias)
        return torch.nn.functional.linear(x, kernel.T, bias)
    y = keras.ops.matmul(x, kernel)
    return y if bias is None else y + bias


class TransposedWeight:
    """``x @ weight^T`` for a fixed ``weight`` ``[out, in]`` applied many times to ``rows``-row
    inputs, as in every step of a decoding loop (the output embedding of a language model).

    On torch with oneDNN and float32 weights, for 2 or more rows, the weight is reordered once
    into oneDNN's blocked layout (what inductor's freezing pass does for CPU inference): with a
    50k-token vocabulary the product then runs 1.9-2.4x faster than MKL's GEMM on one core at
    4-8 rows and 1.1-1.2x at 32-64 (1 row: slower, so it is not packed). The reordered weight
    cannot enter a ``torch.compile`` graph, so the product runs as a graph break inside a
    compiled step. All other cases multiply by the transposed view. Results agree with ``x @ weight.T`` to float32
    rounding (a different summation order).

    ``source`` (the variable value the weight was read from) lets :meth:`fits` tell whether a
    packed copy is still current (same tensor, unchanged since: torch counts in-place writes).

    Example:
        >>> import keras, numpy as np
        >>> from kexue.backend import TransposedWeight
        >>> w = np.random.rand(50, 8).astype("float32"); x = np.random.rand(4, 8).astype("float32")
        >>> head = TransposedWeight(keras.ops.convert_to_tensor(w), rows=4)
        >>> bool(np.allclose(keras.ops.convert_to_numpy(head(x)), x @ w.T, atol=1e-5))
        True
    """

    def __init__(self, weight: Tensor, rows: int, source: Tensor | None = None):
        self.weight, self.rows, self.packed = weight, int(rows), None
        self._linear = _onednn_linear() if _backend() == "torch" and self.rows >= 2 else None
        if self._linear is not None:
            import torch

            w = keras.ops.convert_to_tensor(weight)
            if w.dtype == torch.float32 and w.device.type == "cpu" and w.ndim == 2:
                self.packed = torch.ops.mkldnn._reorder_linear_weight(w.detach(), self.rows)
        self.source = source if self.packed is not None else None
        self.version = _tensor_version(source)

    def fits(self, source: Tensor, rows: int) -> bool:
        """Whether this packed weight still serves ``source`` at ``rows`` rows."""
        return (
            self.packed is not None and source is self.source and int(rows) == self.rows
            and _tensor_version(source) == self.version
        )

    def __call__(self, x: Tensor) -> Tensor:
        if self.packed is None:
            return keras.ops.matmul(x, keras.ops.transpose(self.weight))
        return self._linear(keras.ops.convert_to_tensor(x), self.packed)


def _tensor_version(x: Tensor | None) -> int | None:
    return getattr(x, "_version", None)  # torch's count of in-place writes; None elsewhere


@functools.cache
def _onednn_linear() -> Callable | None:
    """torch's oneDNN linear on a reordered weight, kept out of ``torch.compile`` graphs;
    ``None`` when this torch build has no oneDNN."""
    import torch

    if not (torch.backends.mkldnn.is_available() and hasattr(torch.ops.mkldnn, "_linear_pointwise")):
        return None

    @torch.compiler.disable
    def onednn_linear(x, packed):
        return torch.ops.mkldnn._linear_pointwise(x, packed, None, "none", [], "")

    return onednn_linear


def write_positions(cache: Tensor, index, update: Tensor) -> Tensor:
    """``cache`` ``(batch, length, ...)`` with ``update`` ``(batch, t, ...)`` written at
    positions ``index .. index + t - 1`` (``index`` an int or a 0-d tensor), for a decoding
    cache that is never read at its old value again.

    On torch the write happens in place (``index_copy_``; ``torch.compile`` keeps it in place
    too): a functional update would copy the whole cache at every step, which at 32 rows was
    the largest cost of a compiled step after the matmuls. Elsewhere ``ops.slice_update`` (XLA
    updates a loop-carried buffer in place by itself).

    Example:
        >>> import keras, numpy as np
        >>> from kexue.backend import write_positions
        >>> cache = write_positions(keras.ops.zeros((1, 4)), 1, keras.ops.ones((1, 2)))
        >>> keras.ops.convert_to_numpy(cache).tolist()
        [[0.0, 1.0, 1.0, 0.0]]
    """
    if _backend() == "torch":
        import torch

        update = keras.ops.convert_to_tensor(update, dtype=cache.dtype)
        positions = torch.arange(update.shape[1], device=cache.device) + index
        return cache.index_copy_(1, positions, update)
    start = [0, index] + [0] * (len(keras.ops.shape(cache)) - 2)
    return keras.ops.slice_update(cache, start, keras.ops.cast(update, cache.dtype))


def dot_product_attention(q: Tensor, k: Tensor, v: Tensor, mask=None, bias=None, scale: float = 1.0) -> Tensor:
    """Softmax attention, ``q`` ``(batch, t, heads, size)`` over ``k``, ``v`` ``(batch, s,
    heads, size)``, with a boolean ``mask`` (True = attend) or an additive ``bias`` (not both),
    broadcastable to ``(batch, heads, t, s)``; returns ``(batch, t, heads, size)``.

    On torch, ``scaled_dot_product_attention`` is called on transposed *views*: Keras' version
    makes q, k and v contiguous first, four copies per layer that cost 3-4% of a BERT forward
    on CPU. Elsewhere ``keras.ops.dot_product_attention``.

    Example:
        >>> import numpy as np
        >>> from kexue.backend import dot_product_attention
        >>> q = np.random.rand(2, 3, 4, 8).astype("float32")
        >>> tuple(dot_product_attention(q, q, q, scale=8 ** -0.5).shape)
        (2, 3, 4, 8)
    """
    if mask is not None and bias is not None:
        raise ValueError("pass a boolean mask or an additive bias, not both (fold the mask into the bias).")
    if _backend() != "torch":
        return keras.ops.dot_product_attention(q, k, v, bias=bias, mask=mask, scale=scale)
    import torch

    q, k, v = (keras.ops.convert_to_tensor(x).transpose(1, 2) for x in (q, k, v))
    attn_mask = bias if bias is not None else mask
    if attn_mask is not None:
        attn_mask = keras.ops.convert_to_tensor(attn_mask)
    out = torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask, scale=scale)
    return out.transpose(1, 2)
