"""Attention arguments in the layouts the backends' fused GPU kernels accept, and the call.

Contracts (read from the installed sources, checked on CPU by ``tests/layers/test_fused_contracts.py``):

- JAX, ``jax.nn.dot_product_attention(implementation="cudnn")``: q, k, v ``(B, T|S, N, H)`` of one
  dtype, float16 or bfloat16 (float32 is refused: it takes XLA's path), ``H <= 256`` (Hopper;
  128 before) and a multiple of 8. A boolean ``mask`` is turned into an additive bias and added
  to ``bias``; the result must be 4-D with its last two axes **equal** to ``(T, S)`` (``B`` and
  ``N`` may be 1): a padding mask ``(B, 1, 1, S)`` is refused ("Bias must have same seq length
  as QKV, got 1 and S"), so it is broadcast to ``(B, 1, T, S)`` here. With a bias, training
  needs even ``T`` and ``S``. Padding could also go as ``key_value_seq_lengths`` (int32 ``(B,)``),
  but only for padding at the end; kexue's masks allow any pattern (left padding while
  decoding, UniLM), so the mask is kept. Dropout: only the private cuDNN entry point takes a
  rate, with a *static* integer seed (the same dropout pattern at every step unless the step is
  recompiled), so on JAX attention dropout stays on the explicit path
  (:func:`fuses_attention_dropout` is False).
- torch, ``scaled_dot_product_attention``: the flash kernel takes no mask at all; the
  memory-efficient kernel takes ``attn_mask`` boolean or of the query's dtype, 4-D and
  broadcastable to ``(B, N, T, S)`` (torch pads its last axis to the kernel's alignment
  itself); q, k, v of one dtype with the head axis contiguous (stride 1; true for the
  transposed views passed here); dropout goes in as ``dropout_p`` and is applied inside the
  kernel.

Example:
    >>> import numpy as np
    >>> from kexue.backend.fused_attention import cudnn_mask_layout
    >>> mask = np.ones((2, 1, 1, 6), bool)
    >>> tuple(cudnn_mask_layout(mask, query_length=6).shape)
    (2, 1, 6, 6)
"""

from __future__ import annotations

import functools

import keras

from kexue.backend._active import Tensor, active_backend as _backend

# what SDPA's memory-efficient kernel takes as attn_mask (besides the query's own dtype)
SDPA_MASK_DTYPES = ("bool",)
CUDNN_DTYPES = ("float16", "bfloat16")


def fuses_attention_dropout() -> bool:
    """Whether :func:`attention` applies attention dropout inside the fused kernel on this
    backend (torch: SDPA's ``dropout_p``); elsewhere the caller keeps its explicit path."""
    return _backend() == "torch"


def cudnn_mask_layout(x: Tensor | None, query_length: int) -> Tensor | None:
    """A mask or bias broadcastable to ``(B, N, T, S)`` with its query axis expanded to
    ``T = query_length`` (batch and head axes stay as they are): the layout cuDNN checks."""
    if x is None:
        return None
    x = keras.ops.convert_to_tensor(x)
    shape = tuple(x.shape)
    if len(shape) != 4:
        raise ValueError(f"attention masks and biases must be 4-D (B, N, T, S), got shape {shape}.")
    if shape[2] == query_length:
        return x
    return keras.ops.broadcast_to(x, (shape[0], shape[1], query_length, shape[3]))


def cudnn_arguments(q: Tensor, mask=None, bias=None) -> dict:
    """``mask`` (boolean) and ``bias`` (in the query's dtype) for ``jax.nn.dot_product_attention``
    with ``implementation="cudnn"``: both with the full query axis (:func:`cudnn_mask_layout`)."""
    t = q.shape[1]
    mask, bias = cudnn_mask_layout(mask, t), cudnn_mask_layout(bias, t)
    return {
        "mask": None if mask is None else keras.ops.cast(mask, "bool"),
        "bias": None if bias is None else keras.ops.cast(bias, q.dtype),
    }


def sdpa_mask(q: Tensor, mask=None, bias=None) -> Tensor | None:
    """The ``attn_mask`` for torch's SDPA: the boolean mask as it is, or the additive bias in
    the query's dtype (a float32 bias with bf16 queries sends SDPA off its fused kernels)."""
    if mask is not None and bias is not None:
        raise ValueError("pass a boolean mask or an additive bias, not both (fold the mask into the bias).")
    if bias is not None:
        return keras.ops.cast(bias, q.dtype)
    if mask is not None:
        return keras.ops.cast(mask, "bool")
    return None


@functools.cache
def _cudnn_version() -> int | None:
    """cuDNN's version when JAX's default device is a CUDA GPU of compute capability >= 8.0
    (what the fused kernel needs), else None."""
    try:
        import jax
        from jax._src.cudnn.fused_attention_stablehlo import check_compute_capability, check_cudnn_version

        if jax.devices()[0].platform != "gpu" or not check_compute_capability("8.0"):
            return None
        return int(check_cudnn_version())
    except (ImportError, RuntimeError):
        return None


def cudnn_accepts(q: Tensor, k: Tensor, v: Tensor, bias: Tensor | None, cudnn_version: int) -> bool:
    """Whether JAX's own cuDNN checks (``check_layout``, ``check_is_flash_attention``, run as
    for training) accept these arguments; ``bias`` is the additive bias cuDNN would get
    (a boolean mask counts as a bias of the same shape)."""
    from jax._src.cudnn.fused_attention_stablehlo import (
        AttentionLayout,
        check_is_flash_attention,
        check_layout,
    )

    if keras.backend.standardize_dtype(q.dtype) not in CUDNN_DTYPES:
        return False
    try:
        check_layout(q, k, v, bias, None, None, None, None, None, None, AttentionLayout.BTNH)
        check_is_flash_attention(
            q, k, v, AttentionLayout.BTNH.value, cudnn_version, has_bias=bias is not None, is_training=True
        )
    except (ValueError, NotImplementedError):
        return False
    return True


def attention(q: Tensor, k: Tensor, v: Tensor, mask=None, bias=None, scale: float = 1.0, dropout_rate: float = 0.0) -> Tensor:
    """Softmax attention on the backend's fused kernel where it applies: q ``(B, T, N, H)``,
    k and v ``(B, S, N, H)``, a boolean ``mask`` (True = attend) or an additive ``bias``
    broadcastable to ``(B, N, T, S)``, ``dropout_rate`` on the probabilities (only where
    :func:`fuses_attention_dropout`). Returns ``(B, T, N, H)``."""
    if dropout_rate and not fuses_attention_dropout():
        raise ValueError(f"the {_backend()} backend has no fused attention dropout; use the explicit path.")
    if _backend() == "torch":
        import torch

        attn_mask = sdpa_mask(q, mask, bias)
        q, k, v = (keras.ops.convert_to_tensor(x).transpose(1, 2) for x in (q, k, v))
        out = torch.nn.functional.scaled_dot_product_attention(
            q, k, v, attn_mask=attn_mask, dropout_p=float(dropout_rate), scale=scale
        )
        return out.transpose(1, 2)
    if mask is not None and bias is not None:
        raise ValueError("pass a boolean mask or an additive bias, not both (fold the mask into the bias).")
    if _backend() != "jax":
        return keras.ops.dot_product_attention(q, k, v, bias=bias, mask=mask, scale=scale)
    import jax

    version = _cudnn_version()
    if version is not None:
        args = cudnn_arguments(q, mask, bias)
        if cudnn_accepts(q, k, v, args["bias"] if bias is not None else args["mask"], version):
            return jax.nn.dot_product_attention(q, k, v, **args, scale=scale, implementation="cudnn")
    mask = None if mask is None else keras.ops.cast(mask, "bool")
    return jax.nn.dot_product_attention(q, k, v, bias=bias, mask=mask, scale=scale, implementation="xla")
