"""Character spans of a text and token spans of its encoding, through the tokenizer's offsets.

The tokenizer gives each token the ``(start, end)`` characters of the original text it covers
(``(0, 0)`` for ``[CLS]``/``[SEP]``); white space belongs to no token. A character span maps to
the tokens it overlaps, and a token span maps back to the characters from its first token's
start to its last token's end, so a prediction always slices the original text exactly, even
when the tokenizer lower-cases, strips accents or splits a Latin word into pieces.

:func:`pieces` cuts a long text into consecutive character ranges at sentence punctuation, so
that each piece fits the model (predictions are made per piece and shifted back).

Example:
    >>> offsets = [(0, 0), (0, 1), (1, 2), (3, 8), (8, 10), (0, 0)]   # [CLS] 我 在 Keras 好 [SEP]
    >>> token_span(offsets, 3, 10)
    (3, 4)
    >>> char_span(offsets, 3, 4)
    (3, 10)
    >>> pieces("一二。三四五。六", 4)
    [(0, 3), (3, 7), (7, 8)]
"""

from __future__ import annotations

from typing import Sequence

__all__ = ["token_span", "char_span", "pieces", "SENTENCE_ENDS", "CLAUSE_ENDS"]

SENTENCE_ENDS = "。！？!?；;\n"
CLAUSE_ENDS = "，,、：:"


def token_span(offsets: Sequence[tuple[int, int]], start: int, end: int) -> tuple[int, int] | None:
    """The tokens ``(first, last)`` (inclusive) overlapping characters ``start:end``, or
    ``None`` when no token does (the span is white space, or was cut off by ``maxlen``)."""
    hits = [i for i, (a, b) in enumerate(offsets) if b > a and a < end and b > start]
    if not hits:
        return None
    return hits[0], hits[-1]


def char_span(offsets: Sequence[tuple[int, int]], first: int, last: int) -> tuple[int, int]:
    """The characters ``(start, end)`` covered by tokens ``first..last`` (inclusive)."""
    return offsets[first][0], offsets[last][1]


def pieces(text: str, limit: int, ends: str = SENTENCE_ENDS, fallback: str = CLAUSE_ENDS,
           cuts: Sequence[int] | None = None) -> list[tuple[int, int]]:
    """Consecutive ranges covering ``text``, each at most ``limit`` characters, cut after a
    character of ``ends`` where possible, else of ``fallback``, else anywhere. ``cuts``
    restricts the places a cut may fall (e.g. word boundaries); positions are cut points
    ``0 < c < len(text)``."""
    if limit < 1:
        raise ValueError(f"limit must be positive, got {limit}.")
    allowed = None if cuts is None else set(cuts)
    out, start, n = [], 0, len(text)
    while n - start > limit:
        window = range(start + limit, start, -1)
        choice = None
        for marks in (ends, fallback, None):
            for c in window:
                if allowed is not None and c not in allowed:
                    continue
                if marks is None or text[c - 1] in marks:
                    choice = c
                    break
            if choice is not None:
                break
        if choice is None:  # no allowed cut inside the window: the first one after it
            later = sorted(c for c in (allowed or ()) if c > start + limit)
            choice = later[0] if later else n
        out.append((start, choice))
        start = choice
    if start < n or not out:
        out.append((start, n))
    return out
