"""Fast paths for a few hot operations where a backend's own kernel beats the generic
``keras.ops`` composition: fused matmul + bias, attention on transposed views, a prepared
output projection, in-place cache writes. Each falls back to plain ``keras.ops`` elsewhere.

Example:
    >>> import numpy as np
    >>> from kexue.backend import linear
    >>> tuple(linear(np.ones((2, 3), "float32"), np.ones((3, 4), "float32")).shape)
    (2, 4)
"""

from __future__ import annotations

import functools
from typing import Callable

import keras

from kexue.backend._active import Tensor, active_backend as _backend


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
    compiled step. All other cases multiply by the transposed view. Results agree with
    ``x @ weight.T`` to float32 rounding (a different summation order).

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


def dot_product_attention(
    q: Tensor, k: Tensor, v: Tensor, mask=None, bias=None, scale: float = 1.0, dropout_rate: float = 0.0
) -> Tensor:
    """Softmax attention, ``q`` ``(batch, t, heads, size)`` over ``k``, ``v`` ``(batch, s,
    heads, size)``, with a boolean ``mask`` (True = attend) or an additive ``bias`` (not both),
    broadcastable to ``(batch, heads, t, s)``; returns ``(batch, t, heads, size)``.

    The arguments go to each backend's fused kernel in the layout it accepts
    (:mod:`kexue.backend.fused_attention`): on torch ``scaled_dot_product_attention`` on
    transposed *views* (Keras' version makes q, k and v contiguous first, four copies per layer
    that cost 3-4% of a BERT forward on CPU), with ``dropout_rate`` applied inside the kernel;
    on JAX ``jax.nn.dot_product_attention``, through cuDNN on a GPU when its checks pass (the
    mask broadcast to a full query axis), else XLA. ``dropout_rate > 0`` only where
    ``fuses_attention_dropout()``.

    Example:
        >>> import numpy as np
        >>> from kexue.backend import dot_product_attention
        >>> q = np.random.rand(2, 3, 4, 8).astype("float32")
        >>> tuple(dot_product_attention(q, q, q, scale=8 ** -0.5).shape)
        (2, 3, 4, 8)
    """
    from kexue.backend.fused_attention import attention

    return attention(q, k, v, mask=mask, bias=bias, scale=scale, dropout_rate=dropout_rate)
