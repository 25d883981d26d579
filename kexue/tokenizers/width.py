"""Width folding: full-width ASCII forms (``１２ＡＢ％``, U+FF01–U+FF5E) and the ideographic space
(U+3000) as their ASCII counterparts.

Chinese text mixes both widths for the same digits and letters: People's Daily 1998 writes
``１９９８年``, the PKU test set of 2001 writes ``2001年``. A character vocabulary built from one
width meets the other as ``[UNK]``. Folding maps one character to one character, so offsets into
the folded text are offsets into the original.

Example:
    >>> fold_width("２０２６年ＡＢＣ，3％")
    '2026年ABC,3%'
"""

from __future__ import annotations

__all__ = ["WIDTH_FOLD", "fold_width"]

# 94 full-width forms U+FF01..U+FF5E are ASCII U+0021..U+007E shifted by 0xFEE0
WIDTH_FOLD = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
WIDTH_FOLD[0x3000] = 0x20


def fold_width(text: str) -> str:
    """``text`` with full-width ASCII forms as ASCII (same length, character by character)."""
    return text.translate(WIDTH_FOLD)
