"""Batches for the runner: a deterministic, length-grouped order and bucketed padding.

* :func:`batch_order` is a function of ``(seed, epoch)`` only (so a resumed run sees the very
  batches an uninterrupted one saw). It shuffles the examples, cuts the order into pools of
  ``pool`` batches, sorts each pool by length, cuts it into batches and shuffles the batches:
  every batch holds texts of similar length, which saves most of the padding.
* :func:`bucket_length` pads a batch to a few fixed lengths (16, 32, 64, ... up to ``maxlen``),
  so a compiled (JAX) step is traced once per bucket rather than once per batch.
* :func:`pad_batch` is the default collation: inputs padded to the bucket, scalar targets
  stacked, per-token targets padded.

Example:
    >>> [bucket_length(n, 128) for n in (3, 17, 64, 65, 128)]
    [16, 32, 64, 128, 128]
    >>> batches = batch_order([5, 9, 2, 7, 3, 8], batch_size=2, seed=0, epoch=0)
    >>> sorted(int(i) for b in batches for i in b)
    [0, 1, 2, 3, 4, 5]
    >>> x, y = pad_batch([(([2, 7, 3], [0, 0, 0]), 1), (([2, 3], [0, 0]), 0)], 16)
    >>> x[0].shape, y.tolist()
    ((2, 16), [1, 0])
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from kexue.data.sequences import sequence_padding
from kexue.training.resumable import epoch_order

__all__ = ["bucket_length", "batch_order", "pad_batch", "pad_field"]


def bucket_length(length: int, maxlen: int, smallest: int = 16) -> int:
    """The padded length of a batch whose longest row has ``length`` tokens: the smallest
    power of two times ``smallest`` that holds it, capped at ``maxlen`` (a row longer than
    ``maxlen`` keeps its own length)."""
    if length > maxlen:
        return length
    bucket = smallest
    while bucket < length:
        bucket *= 2
    return min(bucket, maxlen)


def batch_order(lengths: Sequence[int], batch_size: int, seed: int, epoch: int,
                shuffle: bool = True, pool: int = 50) -> list[np.ndarray]:
    """Index arrays of the batches of ``epoch`` (see the module docstring). With
    ``shuffle=False`` the examples keep their order (evaluation)."""
    n = len(lengths)
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}.")
    if not shuffle:
        return [np.arange(i, min(i + batch_size, n)) for i in range(0, n, batch_size)]
    order = epoch_order(n, seed, epoch)
    lengths = np.asarray(lengths)
    batches = []
    span = batch_size * pool
    for start in range(0, n, span):
        chunk = order[start : start + span]
        chunk = chunk[np.argsort(-lengths[chunk], kind="stable")]
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    shuffled = np.random.default_rng([seed, epoch, 1]).permutation(len(batches))
    return [batches[i] for i in shuffled]


def pad_field(values: list, length: int, value=0) -> np.ndarray:
    """Stack one field of a batch: scalars as they are, sequences padded (or cut) to
    ``length`` along their first axis."""
    first = np.asarray(values[0])
    if first.ndim == 0:
        return np.asarray(values)
    return sequence_padding(values, length=length, value=value)


def pad_batch(items: list, length: int, pad_id: int = 0):
    """Default collation of ``(inputs, target)`` items: every input padded to ``length``
    (the first, the token ids, with ``pad_id``; the others with 0), targets stacked or padded
    with 0. Returns ``(x, y)``; ``y`` is ``None`` when the items have no target."""
    inputs = [item[0] for item in items]
    x = [pad_field([row[k] for row in inputs], length, pad_id if k == 0 else 0)
         for k in range(len(inputs[0]))]
    targets = [item[1] for item in items]
    y = None if targets[0] is None else pad_field(targets, length)
    return x, y
