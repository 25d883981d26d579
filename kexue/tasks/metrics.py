"""Scores the recipes report, in NumPy: accuracy, macro-F1, Spearman and Pearson correlation,
top-1 retrieval accuracy.

Example:
    >>> accuracy([0, 1, 1, 2], [0, 1, 2, 2])
    0.75
    >>> round(macro_f1([0, 1, 1, 2], [0, 1, 2, 2]), 4)
    0.7778
    >>> spearman([1, 2, 3, 4], [10, 20, 40, 30])
    0.8
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

__all__ = ["accuracy", "macro_f1", "spearman", "pearson", "rank", "top1_retrieval"]


def accuracy(predicted: Sequence, gold: Sequence) -> float:
    """The fraction of predictions equal to the answer."""
    predicted, gold = np.asarray(predicted), np.asarray(gold)
    if predicted.shape != gold.shape or predicted.size == 0:
        raise ValueError(f"need as many predictions as answers (got {predicted.size} and {gold.size}).")
    return float(np.mean(predicted == gold))


def macro_f1(predicted: Sequence, gold: Sequence, labels: Sequence | None = None) -> float:
    """The mean over classes of F1 (``labels``: the classes to average over; default every
    class seen in ``gold`` or ``predicted``). A class never predicted and never gold is left out."""
    predicted, gold = np.asarray(predicted), np.asarray(gold)
    classes = np.unique(np.concatenate([predicted, gold])) if labels is None else np.asarray(labels)
    scores = []
    for c in classes:
        tp = np.sum((predicted == c) & (gold == c))
        fp = np.sum((predicted == c) & (gold != c))
        fn = np.sum((predicted != c) & (gold == c))
        if tp + fp + fn == 0:
            continue
        scores.append(2 * tp / (2 * tp + fp + fn))
    return float(np.mean(scores)) if scores else 0.0


def rank(values: Sequence[float]) -> np.ndarray:
    """Ranks from 1, ties sharing their mean rank (as ``scipy.stats.rankdata``)."""
    values = np.asarray(values, dtype="float64")
    order = np.argsort(values, kind="stable")
    ranks = np.empty(len(values))
    sorted_values = values[order]
    start = 0
    for end in range(1, len(values) + 1):
        if end == len(values) or sorted_values[end] != sorted_values[start]:
            ranks[order[start:end]] = (start + end + 1) / 2
            start = end
    return ranks


def pearson(x: Sequence[float], y: Sequence[float]) -> float:
    """Pearson correlation (NaN when either side is constant)."""
    x, y = np.asarray(x, "float64"), np.asarray(y, "float64")
    x, y = x - x.mean(), y - y.mean()
    denominator = np.sqrt((x * x).sum() * (y * y).sum())
    return float((x * y).sum() / denominator) if denominator > 0 else float("nan")


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman rank correlation: Pearson of the ranks."""
    return pearson(rank(x), rank(y))


def top1_retrieval(vectors: np.ndarray, groups: Sequence) -> float:
    """Leave-one-out top-1 retrieval: for each vector, is its most cosine-similar *other*
    vector in the same group? Vectors alone in their group are not queried.

    >>> v = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]])
    >>> top1_retrieval(v, ["a", "a", "b", "b"])
    1.0
    """
    vectors = np.asarray(vectors, "float64")
    groups = np.asarray(groups)
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    hits, queries = 0, 0
    for start in range(0, len(unit), 1024):
        block = unit[start : start + 1024] @ unit.T
        for row, scores in enumerate(block):
            i = start + row
            if np.sum(groups == groups[i]) < 2:
                continue
            scores[i] = -np.inf
            hits += groups[int(np.argmax(scores))] == groups[i]
            queries += 1
    if queries == 0:
        raise ValueError("no group holds two vectors: nothing to retrieve.")
    return hits / queries
