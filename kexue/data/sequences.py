"""Padding and truncating variable-length sequences (NumPy only, no Keras import).

**Bucket lengths.** On JAX (and TensorFlow) every new input shape compiles the model step
again, so a bert4keras script that pads each batch to its longest sequence compiles once per
distinct length. By default (``bucket="auto"``) :func:`sequence_padding` therefore pads to the
next of a few bucket lengths (8, 12, 16, 24, 32, 48, 64, 96, 128, 192, ...: at most 1.5 times
the longest, two sizes per octave) on those backends, and to the longest on torch,
whose eager steps need no compilation. Padding is masked by kexue's models, so the outputs at
real positions are the same; ``bucket=False`` (or an explicit ``length``) pads exactly as
bert4keras did.

An axis is bucketed only where the inputs differ in length (a batch of sequences whose
lengths all agree keeps that length), so axes of fixed size (labels of length 1, a number of
entity types) are never changed, and arrays built from the same samples (token ids, segment
ids, per-token labels) always get the same padded length.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["bucket_length", "compiles_per_shape", "sequence_padding", "truncate_sequences"]


def bucket_length(n: int) -> int:
    """The bucket length for a longest sequence of ``n``: the smallest of 8, 12, 16, 24, 32,
    48, 64, ... (``2**k`` and ``1.5 * 2**k``) that is at least ``n``.

    >>> [bucket_length(n) for n in (0, 3, 9, 17, 33, 100, 129, 500)]
    [8, 8, 12, 24, 48, 128, 192, 512]
    """
    if n <= 8:
        return 8
    power = 1 << (int(n) - 1).bit_length()  # smallest power of two >= n
    return power * 3 // 4 if power * 3 // 4 >= n else power


def compiles_per_shape() -> bool:
    """Whether the Keras backend compiles a step per input shape (JAX, TensorFlow: True;
    torch: False). Reads the backend Keras was imported with, else the one it will choose
    (``KERAS_BACKEND``, ``~/.keras/keras.json``, kexue's default JAX)."""
    keras = sys.modules.get("keras")
    name = None
    if keras is not None and hasattr(keras, "backend"):
        name = keras.backend.backend()
    if name is None:
        from kexue._default_backend import _config_backend

        name = os.environ.get("KERAS_BACKEND") or _config_backend(os.environ) or "jax"
    return name != "torch"


def _bucketing(bucket) -> bool:
    if bucket == "auto":
        return compiles_per_shape()
    if not isinstance(bucket, bool):
        raise ValueError(f'bucket must be "auto", True or False, got {bucket!r}')
    return bucket


def sequence_padding(
    inputs: Sequence[Any],
    length: int | Sequence[int] | None = None,
    value: Any = 0,
    seq_dims: int = 1,
    mode: str = "post",
    dtype: Any = None,
    bucket: bool | str = "auto",
) -> np.ndarray:
    """Stack variable-length sequences into one array, padding with ``value``.

    The first ``seq_dims`` axes of every input are sequence axes: each is padded to ``length``
    (an int for all of them, one int per axis, or ``None`` for the longest input, rounded up
    to a bucket length when ``bucket`` says so: see the module docstring) and inputs longer
    than ``length`` keep their head. ``mode="post"`` pads at the end, ``"pre"`` at the
    beginning. The remaining axes must agree across inputs. The dtype is that of the
    (non-empty) inputs unless ``dtype`` is given.

    >>> sequence_padding([[1, 2, 3], [4]], bucket=False)
    array([[1, 2, 3],
           [4, 0, 0]])
    >>> sequence_padding([[1, 2, 3], [4]], bucket=True).shape
    (2, 8)
    >>> sequence_padding([[1, 2, 3], [4]], length=2, mode="pre", value=-1)
    array([[ 1,  2],
           [-1,  4]])
    >>> sequence_padding([np.ones((2, 1)), np.ones((1, 3))], seq_dims=2, bucket=False).shape
    (2, 2, 3)
    """
    if mode not in ("post", "pre"):
        raise ValueError(f'mode must be "post" or "pre", got {mode!r}')
    if isinstance(seq_dims, bool) or not isinstance(seq_dims, int) or seq_dims < 1:
        raise ValueError(f"seq_dims must be a positive int, got {seq_dims!r}")
    if isinstance(inputs, (str, bytes)) or not hasattr(inputs, "__iter__"):
        raise TypeError(f"inputs must be a list of sequences, got {type(inputs).__name__}")
    arrays = [_as_array(x, n) for n, x in enumerate(inputs)]
    if not arrays:
        raise ValueError("sequence_padding needs at least one sequence")
    for n, x in enumerate(arrays):
        if x.ndim < seq_dims:
            hint = " (one sequence? wrap it in a list: [seq])" if x.ndim == 0 else ""
            raise ValueError(
                f"inputs[{n}] has {x.ndim} axes but seq_dims={seq_dims}; every input needs "
                f"at least seq_dims axes{hint}"
            )
    tails = {x.shape[seq_dims:] for x in arrays if x.size or x.ndim > seq_dims}
    if len(tails) > 1:
        raise ValueError(
            f"the non-sequence axes differ between inputs: {sorted(tails)}; only the first "
            f"{seq_dims} axes may vary in length"
        )
    tail = tails.pop() if tails else arrays[0].shape[seq_dims:]
    if length is None:
        target = tuple(max(x.shape[i] for x in arrays) for i in range(seq_dims))
        if _bucketing(bucket):
            varies = [len({x.shape[i] for x in arrays}) > 1 for i in range(seq_dims)]
            target = tuple(bucket_length(n) if v else n for n, v in zip(target, varies))
    elif _is_int(length):
        target = (int(length),) * seq_dims
    else:
        if not isinstance(length, (list, tuple)) or not all(_is_int(n) for n in length):
            raise TypeError(f"length must be an int, a list of ints (one per axis) or None, got {length!r}")
        target = tuple(int(n) for n in length)
        if len(target) != seq_dims:
            raise ValueError(f"length has {len(target)} entries but seq_dims={seq_dims}")
    if min(target, default=0) < 0:
        raise ValueError(f"length must be non-negative, got {target}")
    if dtype is None:
        typed = [x.dtype for x, given in zip(arrays, inputs) if x.size or isinstance(given, np.ndarray)]
        dtype = np.result_type(*typed) if typed else np.asarray(value).dtype
    output = np.full((len(arrays), *target, *tail), _fill_value(value, dtype), dtype=dtype)
    for n, x in enumerate(arrays):
        head = tuple(slice(0, min(x.shape[i], target[i])) for i in range(seq_dims))
        x = x[head]
        if mode == "post":
            where = tuple(slice(0, x.shape[i]) for i in range(seq_dims))
        else:
            where = tuple(slice(target[i] - x.shape[i], target[i]) for i in range(seq_dims))
        output[(n, *where)] = x
    return output


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _as_array(x, n: int) -> np.ndarray:
    try:
        array = np.asarray(x)
    except ValueError:
        array = np.asarray(x, dtype=object)
    if array.dtype == object:
        raise ValueError(
            f"inputs[{n}] is ragged or not numeric (its inner sequences differ in length, or it "
            "holds None); pad inner axes with seq_dims=2, or clean the data"
        )
    return array


def _fill_value(value, dtype):
    """``value`` if ``dtype`` holds it exactly (no silent 0.5 -> 0, NaN -> int, overflow)."""
    dtype = np.dtype(dtype)
    if dtype.kind in "iub":
        number = np.asarray(value)
        if number.dtype.kind == "f" and not (np.isfinite(number).all() and (number == np.round(number)).all()):
            raise ValueError(f"padding value {value!r} does not fit the integer dtype {dtype}; pass an integer value or dtype=float")
        if number.dtype.kind in "iuf" and dtype.kind in "iu":
            info = np.iinfo(dtype)
            if not (info.min <= number).all() or not (number <= info.max).all():
                raise ValueError(f"padding value {value!r} is outside the range of dtype {dtype}")
    return value


def truncate_sequences(maxlen: int, indices: int | Sequence[int], *sequences: list) -> list[list]:
    """Pop items in place until the sequences' total length is at most ``maxlen``.

    Each step removes one item from the currently longest sequence (the earliest one on ties) at
    position ``indices`` (one position for all, or one per sequence; ``-2`` keeps a final
    ``[SEP]``). Empty or ``None`` sequences are left out. Returns the remaining sequences.

    >>> a, b = [1, 2, 3, 4, 9], [5, 6, 9]
    >>> truncate_sequences(6, -2, a, b)
    [[1, 2, 9], [5, 6, 9]]
    """
    seqs = [s for s in sequences if s]
    if isinstance(indices, (list, tuple)):
        if len(indices) == len(sequences):
            index_list = [i for i, s in zip(indices, sequences) if s]
        elif len(indices) == len(seqs):  # bert4keras: one index per non-empty sequence
            index_list = list(indices)
        else:
            raise ValueError(
                f"got {len(indices)} indices for {len(sequences)} sequences "
                f"({len(seqs)} non-empty); give one index per sequence"
            )
    else:
        index_list = [indices] * len(seqs)
    lengths = [len(s) for s in seqs]
    total = sum(lengths)
    while total > maxlen:
        longest = lengths.index(max(lengths))
        seqs[longest].pop(index_list[longest])
        lengths[longest] -= 1
        total -= 1
    return seqs
