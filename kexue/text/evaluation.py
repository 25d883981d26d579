"""Scores for word segmentation and discovered lexicons."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

_CHINESE_WORD = re.compile("[\u4e00-\u9fa5]{2,}")


@dataclass(frozen=True)
class SegmentationScore:
    precision: float
    recall: float
    f1: float


def word_spans(words: Iterable[str]) -> set[tuple[int, int]]:
    """The ``(start, end)`` character spans of consecutive words.

    Example:
        >>> sorted(word_spans(["中国", "人"]))
        [(0, 2), (2, 3)]
    """
    spans, start = set(), 0
    for word in words:
        spans.add((start, start + len(word)))
        start += len(word)
    return spans


def segmentation_f1(
    predicted: Iterable[list[str]], gold: Iterable[list[str]]
) -> SegmentationScore:
    """Word-span precision, recall and F1 over sentence pairs (micro-averaged).

    Each predicted sentence must join to the same text as its gold sentence.

    Example:
        >>> segmentation_f1([["中国", "人民"]], [["中国", "人", "民"]])
        SegmentationScore(precision=0.5, recall=0.3333333333333333, f1=0.4)
    """
    hits = n_predicted = n_gold = 0
    for number, (pred, ref) in enumerate(zip(predicted, gold, strict=True)):
        if "".join(pred) != "".join(ref):
            raise ValueError(
                f"sentence {number}: predicted words do not join to the gold text"
            )
        a, b = word_spans(pred), word_spans(ref)
        hits += len(a & b)
        n_predicted += len(a)
        n_gold += len(b)
    precision = hits / n_predicted if n_predicted else 0.0
    recall = hits / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if hits else 0.0
    return SegmentationScore(precision, recall, f1)


def top_word_precision(
    words: Mapping[str, int], vocabulary: set[str], n: int = 5000
) -> float:
    """Share of the ``n`` most frequent words of >= 2 Chinese characters found in ``vocabulary``.

    Example:
        >>> top_word_precision({"中国": 9, "国人": 5, "的": 20}, {"中国"}, n=2)
        0.5
    """
    ranked = sorted(
        ((c, w) for w, c in words.items() if _CHINESE_WORD.fullmatch(w)),
        key=lambda cw: (-cw[0], cw[1]),
    )
    top = [w for _, w in ranked[:n]]
    if not top:
        raise ValueError("no discovered word of two or more Chinese characters")
    return sum(w in vocabulary for w in top) / len(top)
