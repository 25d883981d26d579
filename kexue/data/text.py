"""Cutting long texts into pieces that fit a model's length."""

from __future__ import annotations

__all__ = ["text_segmentate"]


def text_segmentate(
    text: str, maxlen: int, seps: str = "\n", strips: str | None = None
) -> list[str]:
    """Split ``text`` into pieces of at most ``maxlen`` characters where possible.

    ``seps`` lists separator characters from coarsest to finest (e.g. ``"\\n。！？；，"``). A text
    longer than ``maxlen`` is split at the first separator (which stays at the end of its piece),
    consecutive pieces are merged while they fit, and each merged chunk that is still too long
    is split again with the remaining separators. Every piece is stripped of whitespace and
    then of the characters in ``strips``. A piece with no separator left stays whole, however
    long.

    >>> text_segmentate("今天天气很好。我们去公园吧！好的", 8, seps="。！")
    ['今天天气很好。', '我们去公园吧！', '好的']
    >>> text_segmentate("a,b,c,d", 4, seps=",")
    ['a,b,', 'c,d']
    """
    if maxlen < 1:
        raise ValueError(f"maxlen must be at least 1, got {maxlen}")
    text = text.strip().strip(strips)
    if not seps or len(text) <= maxlen:
        return [text]
    sep, finer = seps[0], seps[1:]
    pieces = text.split(sep)
    result: list[str] = []
    chunk = ""
    for position, piece in enumerate(pieces):
        # Flush the chunk when this piece would push it past maxlen (counting the separator).
        if chunk and piece and len(chunk) + len(piece) + 1 > maxlen:
            result += text_segmentate(chunk, maxlen, finer, strips)
            chunk = ""
        chunk += piece if position == len(pieces) - 1 else piece + sep
    if chunk:
        result += text_segmentate(chunk, maxlen, finer, strips)
    return result
