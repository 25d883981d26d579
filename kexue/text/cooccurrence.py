"""Windowed co-occurrence counts and PMI of tokenised text (NumPy, no Keras).

Example:
    >>> vocab, counts = cooccurrence([["a", "b", "a"], ["b", "c"]], window=1)
    >>> vocab
    ['a', 'b', 'c']
    >>> counts.pairs.tolist(), counts.counts.tolist()
    ([[0, 1], [1, 0], [1, 2], [2, 1]], [2.0, 2.0, 1.0, 1.0])
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np


@dataclass
class Cooccurrence:
    """Sparse symmetric co-occurrence counts: ``counts[k]`` for the id pair ``pairs[k]``."""

    pairs: np.ndarray  # (n, 2) int64
    counts: np.ndarray  # (n,) float64
    vocab_size: int

    def marginals(self) -> np.ndarray:
        """Row sums ``X_i = Σ_j X_ij``."""
        return np.bincount(
            self.pairs[:, 0], weights=self.counts, minlength=self.vocab_size
        )

    def pmi(self) -> np.ndarray:
        """``log(X_ij · N / (X_i X_j))`` with ``N = Σ X_ij``, for every stored pair."""
        marginal = self.marginals()
        total = self.counts.sum()
        i, j = self.pairs[:, 0], self.pairs[:, 1]
        return (
            np.log(self.counts)
            + np.log(total)
            - np.log(marginal[i])
            - np.log(marginal[j])
        )


def cooccurrence(
    sentences: Iterable[list[str]],
    window: int = 5,
    vocab_size: int | None = None,
    min_count: int = 1,
    distance_weighting: bool = False,
) -> tuple[list[str], Cooccurrence]:
    """Count how often two vocabulary words occur within ``window`` tokens.

    The vocabulary is the ``vocab_size`` most frequent words seen at least
    ``min_count`` times (ties broken alphabetically); other words are dropped
    before windowing is applied to the remaining ids' original positions.
    Counts are symmetric; with ``distance_weighting`` a pair at distance ``d``
    adds ``1/d`` (GloVe's choice) instead of 1.
    """
    if window < 1:
        raise ValueError(f"window must be at least 1, got {window}")
    sentences = [list(s) for s in sentences]
    frequency = Counter(w for s in sentences for w in s)
    ranked = sorted(
        (w for w, c in frequency.items() if c >= min_count),
        key=lambda w: (-frequency[w], w),
    )
    vocab = ranked[:vocab_size] if vocab_size is not None else ranked
    if len(vocab) < 2:
        raise ValueError(
            "fewer than two vocabulary words: lower min_count or give more text"
        )
    index = {w: i for i, w in enumerate(vocab)}
    ids, sentence_of = [], []
    for number, sentence in enumerate(sentences):
        for word in sentence:
            ids.append(index.get(word, -1))
            sentence_of.append(number)
    ids_arr = np.asarray(ids, dtype=np.int64)
    sent_arr = np.asarray(sentence_of, dtype=np.int64)
    v = len(vocab)
    keys, weights = [], []
    for d in range(1, window + 1):
        a, b = ids_arr[:-d], ids_arr[d:]
        ok = (sent_arr[:-d] == sent_arr[d:]) & (a >= 0) & (b >= 0)
        key = np.concatenate([a[ok] * v + b[ok], b[ok] * v + a[ok]])
        keys.append(key)
        weights.append(np.full(key.size, 1.0 / d if distance_weighting else 1.0))
    all_keys = np.concatenate(keys)
    unique, inverse = np.unique(all_keys, return_inverse=True)
    counts = np.bincount(
        inverse, weights=np.concatenate(weights), minlength=len(unique)
    )
    pairs = np.stack([unique // v, unique % v], axis=1)
    return vocab, Cooccurrence(pairs, counts, v)
