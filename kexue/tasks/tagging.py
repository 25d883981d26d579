"""Tag schemes of sequence labelling: BMES words (segmentation) and BIO / BIOES entities,
their conversions, and the transitions each scheme allows (for a constrained Viterbi).

A *span* is ``(start, end, type)`` over positions, ``end`` exclusive (a Python slice), so
``text[start:end]`` is the mention. Conversions go both ways and are exact:
``spans_from_tags(tags_from_spans(n, spans, s), s) == sorted(spans)`` for non-overlapping
spans, and :func:`words_from_bmes` inverts :func:`bmes_from_boundaries`.

BMES labels are ``S`` (single), ``B`` (begin), ``M`` (middle), ``E`` (end), in that order
(bert4keras's 0..3). Entity labels are ``O`` first, then ``B-T``, ``I-T`` (and ``E-T``,
``S-T`` under BIOES) per type ``T`` in sorted order.

Example:
    >>> tags = tags_from_spans(6, [(0, 2, "PER"), (3, 6, "LOC")], "BIO")
    >>> tags
    ['B-PER', 'I-PER', 'O', 'B-LOC', 'I-LOC', 'I-LOC']
    >>> spans_from_tags(tags, "BIO")
    [(0, 2, 'PER'), (3, 6, 'LOC')]
    >>> bmes_from_boundaries([(0, 2), (2, 3), (3, 6)])
    ['B', 'E', 'S', 'B', 'M', 'E']
    >>> valid_path(["B", "S"], "BMES")
    False
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

__all__ = [
    "BMES",
    "SCHEMES",
    "entity_labels",
    "tags_from_spans",
    "spans_from_tags",
    "bmes_from_boundaries",
    "words_from_bmes",
    "allowed_transitions",
    "allowed_starts",
    "allowed_ends",
    "valid_path",
    "constrained_transitions",
]

BMES = ("S", "B", "M", "E")
SCHEMES = ("BIO", "BIOES", "BMES")
Span = tuple[int, int, str]


def entity_labels(types: Sequence[str], scheme: str = "BIO") -> list[str]:
    """The labels of ``scheme`` over entity ``types``: ``O`` then each type's prefixes."""
    prefixes = {"BIO": "BI", "BIOES": "BIES"}.get(scheme)
    if prefixes is None:
        raise ValueError(f"entity tags use BIO or BIOES, not {scheme!r}.")
    return ["O"] + [f"{p}-{t}" for t in sorted(set(types)) for p in prefixes]


def _split(label: str) -> tuple[str, str]:
    if label == "O":
        return "O", ""
    prefix, _, kind = label.partition("-")
    return prefix, kind


def tags_from_spans(length: int, spans: Sequence[Span], scheme: str = "BIO") -> list[str]:
    """Tags of ``length`` positions carrying ``spans`` (which must not overlap)."""
    tags = ["O"] * length
    for start, end, kind in sorted(spans):
        if not 0 <= start < end <= length:
            raise ValueError(f"span ({start}, {end}, {kind!r}) is outside 0..{length}.")
        if any(t != "O" for t in tags[start:end]):
            raise ValueError(f"span ({start}, {end}, {kind!r}) overlaps another span.")
        if scheme == "BIOES" and end - start == 1:
            tags[start] = f"S-{kind}"
            continue
        tags[start] = f"B-{kind}"
        for i in range(start + 1, end):
            tags[i] = f"I-{kind}"
        if scheme == "BIOES":
            tags[end - 1] = f"E-{kind}"
    return tags


def spans_from_tags(tags: Sequence[str], scheme: str = "BIO") -> list[Span]:
    """The spans of a tag sequence. Ill-formed sequences are read leniently (an ``I-T`` after
    ``O`` or after another type starts a span, as conlleval does); a constrained Viterbi
    (:func:`constrained_transitions`) never produces them."""
    spans: list[Span] = []
    start, kind = None, ""
    for i, label in enumerate(list(tags) + ["O"]):
        prefix, this = _split(label)
        continues = prefix in ("I", "E") and start is not None and this == kind
        if start is not None and not continues:
            spans.append((start, i, kind))
            start = None
        if prefix in ("B", "S") or (prefix in ("I", "E") and start is None):
            start, kind = i, this
        if prefix in ("E", "S") and start is not None:
            spans.append((start, i + 1, kind))
            start = None
    return spans


def bmes_from_boundaries(words: Sequence[tuple[int, int]]) -> list[str]:
    """BMES tags of positions ``0..n`` cut into consecutive ``(start, end)`` words."""
    tags: list[str] = []
    for start, end in words:
        if end - start == 1:
            tags.append("S")
        else:
            tags += ["B"] + ["M"] * (end - start - 2) + ["E"]
    return tags


def words_from_bmes(tags: Sequence[str]) -> list[tuple[int, int]]:
    """``(start, end)`` of the words a BMES sequence cuts; a word starts at ``S``/``B`` (or
    at the first position) and everything else continues it."""
    words: list[list[int]] = []
    for i, tag in enumerate(tags):
        if tag in ("S", "B") or not words:
            words.append([i, i + 1])
        else:
            words[-1][1] = i + 1
    return [(a, b) for a, b in words]


def _follows(previous: str, current: str, scheme: str) -> bool:
    if scheme == "BMES":
        return (previous in ("B", "M")) == (current in ("M", "E"))
    p, pk = _split(previous)
    c, ck = _split(current)
    inside = c in ("I", "E")
    if scheme == "BIO":
        return not inside or (p in ("B", "I") and pk == ck)
    open_before = p in ("B", "I")  # BIOES: a span is open after B or I
    if inside:
        return open_before and pk == ck
    return not open_before


def allowed_transitions(labels: Sequence[str], scheme: str) -> np.ndarray:
    """Boolean ``(n, n)`` matrix: may label ``i`` be followed by label ``j``?"""
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {SCHEMES}, got {scheme!r}.")
    return np.array([[_follows(a, b, scheme) for b in labels] for a in labels])


def allowed_starts(labels: Sequence[str], scheme: str) -> list[int]:
    """Labels a sequence may start with (not a continuation)."""
    if scheme == "BMES":
        return [i for i, t in enumerate(labels) if t in ("S", "B")]
    return [i for i, t in enumerate(labels) if _split(t)[0] not in ("I", "E")]


def allowed_ends(labels: Sequence[str], scheme: str) -> list[int]:
    """Labels a sequence may end with (nothing left open)."""
    if scheme == "BMES":
        return [i for i, t in enumerate(labels) if t in ("S", "E")]
    if scheme == "BIO":
        return list(range(len(labels)))
    return [i for i, t in enumerate(labels) if _split(t)[0] not in ("B", "I")]


def valid_path(tags: Sequence[str], scheme: str) -> bool:
    """Whether a tag sequence is well formed under ``scheme`` (start, transitions, end)."""
    if not tags:
        return True
    labels = sorted(set(tags))
    index = {t: i for i, t in enumerate(labels)}
    allowed = allowed_transitions(labels, scheme)
    if index[tags[0]] not in allowed_starts(labels, scheme):
        return False
    if index[tags[-1]] not in allowed_ends(labels, scheme):
        return False
    return all(allowed[index[a], index[b]] for a, b in zip(tags, tags[1:]))


def constrained_transitions(trans: np.ndarray, labels: Sequence[str], scheme: str,
                            penalty: float = 1e4) -> np.ndarray:
    """``trans`` with ``penalty`` subtracted from every move ``scheme`` forbids, so the best
    path is always well formed.

    >>> t = constrained_transitions(np.zeros((4, 4)), BMES, "BMES")
    >>> (t < 0).astype(int).tolist()  # rows: from S, B, M, E
    [[0, 0, 1, 1], [1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1]]
    """
    allowed = allowed_transitions(labels, scheme)
    return np.asarray(trans, dtype="float64") - penalty * (~allowed)
