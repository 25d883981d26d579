"""A synthetic order-sensitive task: does token A come before token B?

Each sequence holds ``length`` random filler tokens with exactly one ``A`` (id 1) and one
``B`` (id 2) at two distinct random positions; the label is 1 when A comes first. The same
multiset of tokens appears in both orders, so any model that ignores positions, such as
attention with global average pooling and no position embedding, which is a function of the
set of tokens, is at chance (50%) by construction, and a model that uses them can be exact.
Id 0 is left free for padding.

Example:
    >>> from kexue.data.order_task import order_task
    >>> ids, labels = order_task(4, length=6, vocab=10, seed=0)
    >>> ids.shape, bool(((ids == 1).sum(1) == 1).all()), set(labels.tolist()) <= {0, 1}
    ((4, 6), True, True)
"""

from __future__ import annotations

import numpy as np

A, B = 1, 2


def order_task(n: int, length: int = 16, vocab: int = 20, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` sequences ``(n, length)`` of int32 ids in ``[1, vocab)`` and int32 labels
    (1 = A before B; balanced in expectation)."""
    if length < 2:
        raise ValueError(f"length must be >= 2 (room for A and B), got {length}.")
    if vocab < 4:
        raise ValueError(f"vocab must be >= 4 (padding, A, B and a filler), got {vocab}.")
    rng = np.random.default_rng(seed)
    ids = rng.integers(B + 1, vocab, size=(n, length)).astype("int32")
    positions = np.argsort(rng.uniform(size=(n, length)), axis=1)[:, :2]  # two distinct places
    rows = np.arange(n)
    ids[rows, positions[:, 0]] = A
    ids[rows, positions[:, 1]] = B
    return ids, (positions[:, 0] < positions[:, 1]).astype("int32")
