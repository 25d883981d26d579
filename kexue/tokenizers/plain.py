"""A fast path for "plain" text: the exact BERT WordPiece result, computed with one regular
expression and a per-word cache instead of the general engine.

Most Chinese/English training text consists of ASCII, CJK ideographs and common CJK punctuation.
For those characters BERT's normaliser is trivial (no control characters, no accents, nothing that
decomposes, lower-casing maps one character to one), so a text is: split at white space, every
CJK ideograph and every punctuation mark on its own, the rest grouped into words, and each word
cut into WordPiece pieces. On such text the Hugging Face engine spends most of its time on
per-word bookkeeping, which this path avoids (``benchmarks/tokenizer.py`` measures both).

Texts with any other character go to the general engine. ``tests/tokenizers`` checks that both
give the same ids and offsets for every character of the plain set.
"""

from __future__ import annotations

import functools
import operator
import re
import unicodedata
from collections.abc import Mapping
from functools import partial

__all__ = ["PlainTextEncoder", "plain_characters"]

# Blocks the fast path accepts: printable ASCII and tab/newlines, the Latin-1 symbols (the
# middle dot of transliterated names, ×, ÷, ...), General Punctuation (up to U+205E, leaving out
# the line/paragraph separators and format characters), CJK Symbols and Punctuation, full-width
# ASCII variants, and the two main CJK ideograph blocks.
_BLOCKS = ((0x20, 0x7E), (0xA0, 0xBF), (0xD7, 0xD7), (0xF7, 0xF7), (0x2010, 0x2027), (0x2030, 0x205E), (0x3000, 0x303F), (0xFF01, 0xFF5E),
           (0x3400, 0x4DBF), (0x4E00, 0x9FFF))
_CJK = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF))


def _is_plain(ch: str) -> bool:
    category = unicodedata.category(ch)
    if category[0] in "CM" or category in ("Zl", "Zp"):
        return False  # deleted, combining or odd white space: the general engine handles these
    if unicodedata.normalize("NFD", ch) != ch:
        return False
    lower = ch.lower()
    return len(lower) == 1 and unicodedata.normalize("NFD", lower) == lower


def plain_characters() -> dict[str, str]:
    """The characters of the fast path, each mapped to its class: ``"space"``, ``"cjk"``
    (a token of its own), ``"punct"`` (a token of its own) or ``"word"``.

    >>> classes = plain_characters()
    >>> classes["中"], classes["，"], classes["a"], classes["\\u3000"], "é" in classes
    ('cjk', 'punct', 'word', 'space', False)
    """
    return dict(_plain_classes())


@functools.cache
def _plain_classes() -> dict[str, str]:
    """Computed once per process (about 30k characters to classify); callers copy it."""
    classes = {"\t": "space", "\n": "space", "\r": "space"}
    for low, high in _BLOCKS:
        for code in range(low, high + 1):
            ch = chr(code)
            if not _is_plain(ch):
                continue
            category = unicodedata.category(ch)
            if category == "Zs":
                classes[ch] = "space"
            elif any(a <= code <= b for a, b in _CJK):
                classes[ch] = "cjk"
            elif category[0] == "P" or (code < 128 and not ch.isalnum()):
                classes[ch] = "punct"
            else:
                classes[ch] = "word"
    return classes


def _char_class(chars: list[str]) -> str:
    """A regex character class matching exactly ``chars`` (as ranges where consecutive)."""
    codes = sorted(ord(c) for c in chars)
    parts, start, prev = [], codes[0], codes[0]
    for code in codes[1:] + [None]:
        if code is not None and code == prev + 1:
            prev = code
            continue
        parts.append(re.escape(chr(start)) + ("-" + re.escape(chr(prev)) if prev > start else ""))
        if code is not None:
            start = prev = code
    return "[" + "".join(parts) + "]"


_is_not_none = partial(operator.is_not, None)


class PlainTextEncoder:
    """WordPiece ids (and character offsets) of plain texts; ``None`` for other texts.

    Args:
        vocab: ``{token: id}``.
        unk_id: id of ``[UNK]``.
        lowercase: lower-case first (uncased models).
        max_input_chars_per_word: longer words become ``[UNK]``.
        cache_size: words whose pieces are remembered (the cache is emptied when full).

    >>> enc = PlainTextEncoder({"[UNK]": 0, "un": 1, "##able": 2, "中": 3, ",": 4}, 0, lowercase=True)
    >>> enc.encode("Unable, 中x")
    ([1, 2, 4, 3, 0], [(0, 2), (2, 6), (6, 7), (8, 9), (9, 10)])
    >>> enc.encode("café") is None
    True
    """

    def __init__(
        self,
        vocab: Mapping[str, int],
        unk_id: int,
        lowercase: bool,
        max_input_chars_per_word: int = 100,
        cache_size: int = 1 << 16,
    ):
        classes = _plain_classes()
        # One str.translate puts spaces around every character that is a token of its own
        # (and lower-cases); str.split then gives the words, as in BERT's reference code.
        self._table: dict[int, str] = {}
        for c, kind in classes.items():
            if kind in ("cjk", "punct"):
                self._table[ord(c)] = f" {c} "
            elif lowercase and kind == "word" and c.lower() != c:
                self._table[ord(c)] = c.lower()
        self._not_plain = re.compile("[^" + _char_class(list(classes))[1:])
        # Texts without any word character (most Chinese sentences) need no splitting at all:
        # each ideograph or mark is its own one-character word, white space is skipped.
        self._has_word = re.compile(_char_class([c for c, k in classes.items() if k == "word"]))
        self._char_ids: dict[str, int | None] = {
            c: (vocab.get(c, unk_id) if max_input_chars_per_word >= 1 else unk_id) if kind != "space" else None
            for c, kind in classes.items() if kind != "word"
        }
        self._vocab = vocab
        self._unk_id = unk_id
        self._lowercase = lowercase
        self._max_chars = max_input_chars_per_word
        self._cache: dict[str, tuple[list[int], list[int]]] = {}
        self._cache_size = cache_size
        # Words that are one piece, mapped straight to their id: every whole-word vocabulary
        # entry (WordPiece tries the whole word first), plus one-piece words met since
        # (unknown ones included), so that most words cost one C-level dict look-up.
        self._whole_words = {
            token: i for token, i in vocab.items()
            if not token.startswith("##") and len(token) <= max_input_chars_per_word
        }
        self._single = dict(self._whole_words)

    def is_plain(self, text: str) -> bool:
        """Whether ``text`` can take the fast path."""
        return self._not_plain.search(text) is None

    def _word(self, word: str) -> tuple[list[int], list[int]]:
        """Greedy longest-match-first WordPiece: ``(ids, piece lengths)``; one ``[UNK]`` for a
        word that is too long or cannot be pieced together."""
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        vocab, ids, lengths = self._vocab, [], []
        n, start = len(word), 0
        if n > self._max_chars:
            start = -1
        while 0 <= start < n:
            end = n
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in vocab:
                    ids.append(vocab[piece])
                    lengths.append(end - start)
                    break
                end -= 1
            start = end if end > start else -1
        result = (ids, lengths) if start == n else ([self._unk_id], [n])
        if len(self._cache) >= self._cache_size:
            self._cache.clear()
            self._single = dict(self._whole_words)
        self._cache[word] = result
        if len(result[0]) == 1:
            self._single[word] = result[0][0]
        return result

    def encode(self, text: str, offsets: bool = True):
        """``(ids, offsets)`` of a plain text (``offsets`` is ``None`` when not asked for), or
        ``None`` when ``text`` has a character outside the plain set."""
        if self._not_plain.search(text) is not None:
            return None
        if self._has_word.search(text) is None:
            char_ids = self._char_ids
            if not offsets:
                return list(filter(_is_not_none, map(char_ids.__getitem__, text))), None
            pairs = [(char_ids[c], (i, i + 1)) for i, c in enumerate(text) if char_ids[c] is not None]
            return [i for i, _ in pairs], [span for _, span in pairs]
        words = text.translate(self._table).split()
        cache, word_ids = self._cache, self._word
        if not offsets:
            ids = list(map(self._single.get, words))
            if None in ids:  # words of several pieces, or not seen yet
                ids = [i for word, one in zip(words, ids) for i in ((one,) if one is not None else word_ids(word)[0])]
            return ids, None
        ids = []
        # Words appear in order and only white space lies between them, so searching each from
        # the end of the previous one finds its position (lower-casing keeps lengths).
        source = text.lower() if self._lowercase else text
        spans: list[tuple[int, int]] = []
        position = 0
        find = source.find
        for word in words:
            position = find(word, position)
            piece_ids, lengths = cache.get(word) or word_ids(word)
            if len(piece_ids) == 1:  # most words: one piece (or one [UNK]) spanning the word
                ids.append(piece_ids[0])
                spans.append((position, position + len(word)))
                position += len(word)
                continue
            for piece_id, length in zip(piece_ids, lengths):
                ids.append(piece_id)
                spans.append((position, position + length))
                position += length
        return ids, spans
