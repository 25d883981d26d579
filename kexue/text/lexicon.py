"""Lexicon files: UTF-8 lines ``word<TAB>count``, most frequent first.

Numbers and Latin runs inside pattern words are written as ``<NUM>`` and
``<LATIN>`` (e.g. ``<NUM>年``) and read back into placeholders.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from operator import itemgetter

from kexue.files import atomic_open
from kexue.text.reading import check_input_file, file_lines
from kexue.text.units import LATIN, NUMBER

_SHOWN = {NUMBER: "<NUM>", LATIN: "<LATIN>"}


def show_word(word: str) -> str:
    """A lexicon word with placeholders spelled out.

    Example:
        >>> show_word("\\ue000年")
        '<NUM>年'
    """
    for unit, shown in _SHOWN.items():
        word = word.replace(unit, shown)
    return word


def parse_word(text: str) -> str:
    """Inverse of :func:`show_word`."""
    for unit, shown in _SHOWN.items():
        text = text.replace(shown, unit)
    return text


def write_lexicon(
    words: Mapping[str, int] | Iterable[tuple[str, int]],
    path: str | os.PathLike,
    inputs: Iterable[str | os.PathLike] = (),
) -> int:
    """Write ``word<TAB>count`` lines, most frequent first; returns the number of words.

    The file is replaced atomically (:mod:`kexue.files`) and never when it is one of ``inputs``.

    Example:
        >>> import tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "lex.tsv")
        >>> write_lexicon({"中国": 3, "\\ue000年": 5}, path)
        2
        >>> open(path, encoding="utf-8").read()
        '<NUM>年\\t5\\n中国\\t3\\n'
        >>> read_lexicon(path) == {"中国": 3, "\\ue000年": 5}
        True
    """
    items = words.items() if isinstance(words, Mapping) else words
    # by word, then (stable) by count, most first: the order of the key (-count, word),
    # with cheaper comparisons
    ranked = sorted(items, key=itemgetter(0))
    ranked.sort(key=itemgetter(1), reverse=True)
    text = "".join([f"{word}\t{int(count)}\n" for word, count in ranked])
    with atomic_open(path, inputs=inputs) as handle:
        handle.write(show_word(text))
    return len(ranked)


def read_lexicon(path: str | os.PathLike) -> dict[str, int]:
    """Read a ``word<TAB>count`` file (blank lines ignored).

    Raises ``ValueError`` naming the line when a count is missing or not a
    positive integer.
    """
    words: dict[str, int] = {}
    for number, line in enumerate(file_lines(check_input_file(path, "lexicon file")), 1):
        if not line.strip():
            continue
        word, sep, count = line.rpartition("\t")
        if not sep or not word or not count.strip().isdigit() or int(count) <= 0:
            raise ValueError(
                f"{path}:{number}: expected 'word<TAB>positive count', got {line!r}"
            )
        words[parse_word(word)] = words.get(parse_word(word), 0) + int(count)
    return words
