"""GlobalPointer and Efficient GlobalPointer: span scoring heads for entity and relation extraction.

For every head (entity type) α and span (i, j), GlobalPointer scores
s_α(i, j) = q_{i,α}ᵀ k_{j,α} / √d with q, k linear projections of the token states, optionally
rotated by rotary position embedding (RoPE) so the score knows the relative offset j − i.
Spans that touch padding, and spans with j < i (the lower triangle), are set to a large negative
number so they never count as positive. Train with
`kexue.losses.multilabel.global_pointer_crossentropy` (or its sparse form); predict spans with
score > 0.

Efficient GlobalPointer shares one (q, k) projection across heads and adds a per-head start
bias and end bias: s_α(i, j) = qᵢᵀkⱼ/√d + wₐᵀ[hᵢ; hⱼ] — far fewer parameters for many heads.

``GlobalPointer(..., offset=True)`` adds a learned scalar b_α per head to every score. The
published layer has none: its only constant term, the product of the two projection biases
(rotated by RoPE), starts with zero gradient. From random weights, while the ~n²/2 negative
spans dominate the loss and every score must fall, the fastest way down is then to make all
token states alike, and the model predicts nothing for hundreds of steps (Weibo NER: F1 0
after 1,290 steps at learning rate 2e-3). An offset that starts at zero does not help (Adam
moves one scalar by about the learning rate per step); started at the log share of positive
spans (``kexue task ner`` does this, :func:`kexue.tasks.recipes.ner.span_prior`, and
likewise for Efficient GlobalPointer's per-head biases), the loss starts near "no entity
anywhere" and the encoder learns from the first epoch.
"""

from __future__ import annotations

import keras
from keras import ops

from kexue.backend import Tensor
from kexue.layers.positions import apply_rotary, rotary_sin_cos_at
from kexue.masking import large_negative


def rotary_interleaved(
    x: Tensor, positions: Tensor | None = None, base: float = 10000.0
) -> Tensor:
    """Rotate interleaved pairs (x₀, x₁), (x₂, x₃)… of the last axis by RoPE angles.

    Pair i at position p turns by p·base^(−2i/d). ``x`` has shape (batch, length, ..., d) with d
    even; ``positions`` (length,) defaults to 0…length−1.

    Example:
        >>> import numpy as np
        >>> x = np.ones((1, 2, 2), "float32")
        >>> y = keras.ops.convert_to_numpy(rotary_interleaved(x)).astype("float64")
        >>> np.round(y, 4).tolist()
        [[[1.0, 1.0], [-0.3012, 1.3818]]]
    """
    x = ops.convert_to_tensor(x)
    if positions is None:
        positions = ops.arange(ops.shape(x)[1], dtype="float32")
    return apply_rotary(x, *rotary_sin_cos_at(positions, x.shape[-1], base))


def _mask_spans(logits, mask, tril_mask: bool):
    """Mask spans touching padding and, if asked, spans with end < start (kexue.masking)."""
    keep = None
    if mask is not None:
        mask = ops.cast(mask, "bool")
        keep = mask[:, None, :, None] & mask[:, None, None, :]
    if tril_mask:
        length = ops.shape(logits)[-1]
        rows = ops.arange(length)[:, None]
        cols = ops.arange(length)[None, :]
        upper = (cols >= rows)[None, None]
        keep = upper if keep is None else keep & upper
    if keep is None:
        return logits
    return ops.where(keep, logits, ops.cast(large_negative(logits.dtype), logits.dtype))


class _PointerBase(keras.layers.Layer):
    """Argument checks, masking and config shared by both pointer heads."""

    def __init__(
        self,
        heads: int,
        head_size: int,
        RoPE: bool = True,  # bert4keras's name
        use_bias: bool = True,
        tril_mask: bool = True,
        kernel_initializer="lecun_normal",
        **kwargs,
    ):
        super().__init__(**kwargs)
        for name, value in (("heads", heads), ("head_size", head_size)):
            if int(value) != value or value < 1:
                raise ValueError(f"`{name}` must be a positive integer; got {value}.")
        if RoPE and head_size % 2:
            raise ValueError(
                f"RoPE rotates pairs of features: `head_size` must be even; got {head_size}."
            )
        self.heads, self.head_size = int(heads), int(head_size)
        self.RoPE, self.use_bias, self.tril_mask = (
            bool(RoPE),
            bool(use_bias),
            bool(tril_mask),
        )
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def _dense(self, units: int, name: str):
        return keras.layers.Dense(
            units,
            use_bias=self.use_bias,
            kernel_initializer=self.kernel_initializer,
            dtype=self.dtype_policy,
            name=name,
        )

    def _finish(self, logits, mask, offset=None):
        logits = logits / ops.cast(self.head_size**0.5, logits.dtype)
        if offset is not None:
            logits = logits + ops.cast(offset, logits.dtype)[None, :, None, None]
        return _mask_spans(logits, mask, self.tril_mask)

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.heads, input_shape[1], input_shape[1])

    def get_config(self):
        config = super().get_config()
        config.update(
            heads=self.heads,
            head_size=self.head_size,
            RoPE=self.RoPE,
            use_bias=self.use_bias,
            tril_mask=self.tril_mask,
            kernel_initializer=keras.initializers.serialize(self.kernel_initializer),
        )
        return config


@keras.saving.register_keras_serializable(package="kexue")
class GlobalPointer(_PointerBase):
    """Span scores (batch, heads, length, length) from token states (batch, length, hidden).

    Args:
        heads: number of span types.
        head_size: size d of the per-head query and key.
        RoPE: rotate q and k by rotary position embedding (bert4keras's argument name).
        use_bias: bias in the projection.
        tril_mask: mask spans whose end precedes their start.
        kernel_initializer: initializer of the projection.
        offset: add a learned score offset per head (zero at the start; see the module
            docstring: use it when training from random weights).

    Padding comes from Keras masking or an explicit ``mask`` (batch, length).

    Example:
        >>> import numpy as np
        >>> layer = GlobalPointer(heads=2, head_size=8)
        >>> x = np.random.rand(1, 4, 16).astype("float32")
        >>> scores = keras.ops.convert_to_numpy(layer(x, mask=np.array([[1, 1, 1, 0]])))
        >>> scores.shape
        (1, 2, 4, 4)
        >>> bool(scores[0, 0, 1, 0] < -1e6 and scores[0, 0, 0, 3] < -1e6)
        True
    """

    def __init__(self, heads: int, head_size: int, offset: bool = False, **kwargs):
        super().__init__(heads, head_size, **kwargs)
        self.offset = bool(offset)
        self.dense = self._dense(self.heads * self.head_size * 2, "dense")

    def build(self, input_shape):
        self.dense.build(input_shape)
        self.offsets = (self.add_weight(shape=(self.heads,), initializer="zeros", name="offset")
                        if self.offset else None)

    def call(self, inputs, mask=None):
        projected = self.dense(inputs)  # (batch, length, heads * 2d)
        projected = ops.reshape(
            projected,
            (
                ops.shape(inputs)[0],
                ops.shape(inputs)[1],
                self.heads,
                2 * self.head_size,
            ),
        )
        query, key = projected[..., : self.head_size], projected[..., self.head_size :]
        if self.RoPE:
            query, key = rotary_interleaved(query), rotary_interleaved(key)
        logits = ops.einsum("bmhd,bnhd->bhmn", query, key)
        return self._finish(logits, mask, self.offsets)

    def get_config(self):
        return {**super().get_config(), "offset": self.offset}


@keras.saving.register_keras_serializable(package="kexue")
class EfficientGlobalPointer(_PointerBase):
    """GlobalPointer with one shared (q, k) projection plus per-head start and end biases.

    Same arguments, input and output as `GlobalPointer`.

    Example:
        >>> import numpy as np
        >>> layer = EfficientGlobalPointer(heads=3, head_size=8)
        >>> x = np.random.rand(2, 5, 16).astype("float32")
        >>> tuple(layer(x).shape)
        (2, 3, 5, 5)
    """

    def __init__(self, heads: int, head_size: int, **kwargs):
        super().__init__(heads, head_size, **kwargs)
        self.p_dense = self._dense(self.head_size * 2, "p_dense")
        self.q_dense = self._dense(self.heads * 2, "q_dense")

    def build(self, input_shape):
        self.p_dense.build(input_shape)
        self.q_dense.build(tuple(input_shape[:-1]) + (self.head_size * 2,))

    def call(self, inputs, mask=None):
        projected = self.p_dense(inputs)  # (batch, length, 2d)
        query, key = projected[..., ::2], projected[..., 1::2]
        if self.RoPE:
            query, key = rotary_interleaved(query), rotary_interleaved(key)
        logits = ops.einsum("bmd,bnd->bmn", query, key)[:, None]
        logits = logits / ops.cast(self.head_size**0.5, logits.dtype)
        bias = (
            ops.transpose(self.q_dense(projected), (0, 2, 1)) / 2
        )  # (batch, 2·heads, length)
        logits = logits + bias[:, ::2, None, :] + bias[:, 1::2, :, None]
        return _mask_spans(logits, mask, self.tril_mask)
