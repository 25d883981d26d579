"""Text units: the atoms that word discovery counts and the tokenizer joins.

A unit is one Chinese character, one run of digits (ASCII or full-width, with
inner decimal points and separators such as ``3.5``, ``１２∶３０``), one run of
Latin letters, or a percent sign. Numbers and Latin words are atoms, so
discovery can learn patterns such as "<number>年" or "<number>％" once
instead of once per number. Everything else (punctuation, spaces) separates
units and never belongs to a word.

Numbers and Latin runs are replaced by one private-use placeholder character
each, so a unit is always a single Python character after :func:`to_units`.

Example:
    >>> units, pieces = split_units("１９９８年GDP增长８．８％。")
    >>> units == NUMBER + "年" + LATIN + "增长" + NUMBER + "％" + SEPARATOR
    True
    >>> pieces
    ['１９９８', '年', 'GDP', '增', '长', '８．８', '％', '。']
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator

import numpy as np

NUMBER = "\ue000"  # placeholder unit for a run of digits
LATIN = "\ue001"  # placeholder unit for a run of Latin letters
SEPARATOR = "\n"  # what every non-word character becomes in a coded chunk

_DIGITS = "0-9\uff10-\uff19"
_NUMBER_RE = f"[{_DIGITS}]+(?:[.\uff0e\u00b7\u2236:/\uff0f][{_DIGITS}]+)*"
_LATIN_RE = "[A-Za-z\uff21-\uff3a\uff41-\uff5a]+"
_CJK = "\u3007\u4e00-\u9fff"
_PERCENT = "%\uff05"
_WORD_CLASS = f"[{_CJK}{_PERCENT}{NUMBER}{LATIN}]"


@functools.cache
def _patterns() -> tuple[re.Pattern, re.Pattern, re.Pattern, re.Pattern]:
    """The compiled expressions (piece, number, Latin run, non-word run), compiled on first use:
    word discovery codes text without them, and compiling costs milliseconds at start-up."""
    return (
        re.compile(f"({_NUMBER_RE})|({_LATIN_RE})|([{_CJK}{_PERCENT}])|((.)\\5*)", re.DOTALL),
        re.compile(_NUMBER_RE),
        re.compile(_LATIN_RE),
        re.compile(f"[^{_CJK}{_PERCENT}{NUMBER}{LATIN}]+"),
    )


def is_word_unit(unit: str) -> bool:
    """True when ``unit`` (one character after :func:`to_units`) can be part of a word.

    Example:
        >>> is_word_unit("中"), is_word_unit(NUMBER), is_word_unit("，")
        (True, True, False)
    """
    return re.fullmatch(_WORD_CLASS, unit) is not None


def to_units(text: str) -> str:
    """Replace numbers and Latin runs by placeholders and every run of other
    non-word characters by one newline (bulk form used when counting).

    Example:
        >>> to_units("在１９９８年，GDP增长") == "在" + NUMBER + "年\\n" + LATIN + "增长"
        True
    """
    _, number, latin, non_word = _patterns()
    text = number.sub(NUMBER, text)
    text = latin.sub(LATIN, text)
    return non_word.sub(SEPARATOR, text)


def split_units(line: str) -> tuple[str, list[str]]:
    """Split ``line`` into pieces that cover it exactly, one piece per unit.

    Returns ``(units, pieces)``: ``units`` has one character per piece (the
    character itself, a placeholder for numbers and Latin runs, or the
    separator for a run of identical punctuation such as "——").

    Example:
        >>> units, pieces = split_units("ab，c——")
        >>> units == LATIN + "\\n" + LATIN + "\\n", pieces
        (True, ['ab', '，', 'c', '——'])
    """
    units: list[str] = []
    pieces: list[str] = []
    for match in _patterns()[0].finditer(line):
        number, latin, char = match.group(1, 2, 3)
        if number:
            units.append(NUMBER)
        elif latin:
            units.append(LATIN)
        elif char:
            units.append(char)
        else:
            units.append(SEPARATOR)
        pieces.append(match.group(0))
    return "".join(units), pieces


def encode(text: str) -> np.ndarray:
    """The code points of ``text`` as a ``uint32`` array (no copy of the characters).

    Example:
        >>> encode("ab").tolist()
        [97, 98]
    """
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)


def decode_rows(rows: np.ndarray) -> list[str]:
    """Turn an ``(n, length)`` array of code points into ``n`` strings.

    Example:
        >>> decode_rows(np.array([[97, 98], [99, 100]], dtype=np.uint32))
        ['ab', 'cd']
    """
    n, length = rows.shape
    if n == 0:
        return []
    rows = np.ascontiguousarray(rows, dtype=np.uint32)
    if rows[:, -1].all():  # NumPy strings are the codes as UCS-4 (without trailing NULs)
        return rows.view(f"<U{length}").reshape(-1).tolist()
    joined = rows.tobytes().decode("utf-32-le")
    return [joined[i : i + length] for i in range(0, n * length, length)]


_UNIT_TABLE: np.ndarray | None = None
_MARK = 0xE002  # private use: a mark that may join the digits of a number (3.5, 12:30)
# code_units tells the two placeholders from word characters with one shift: keep them a pair
# that differs in the last bit only
assert ord(NUMBER) >> 1 == ord(LATIN) >> 1 != _MARK >> 1 and ord(NUMBER) != ord(LATIN)


def _unit_table() -> np.ndarray:
    """The unit every UTF-16 code unit becomes: a word character itself, a digit ``NUMBER``, a
    Latin letter ``LATIN``, a mark ``_MARK`` (resolved by :func:`code_units`), anything else
    (surrogates included) the separator."""
    global _UNIT_TABLE  # a read-only lookup table built once
    if _UNIT_TABLE is None:
        table = np.full(0x10000, ord(SEPARATOR), dtype=np.uint16)
        table[0x4E00:0xA000] = np.arange(0x4E00, 0xA000)
        table[[0x3007, ord("%"), 0xFF05]] = [0x3007, ord("%"), 0xFF05]
        table[ord("0") : ord("9") + 1] = ord(NUMBER)
        table[0xFF10:0xFF1A] = ord(NUMBER)
        for first, last in (
            ("A", "Z"),
            ("a", "z"),
            ("\uff21", "\uff3a"),
            ("\uff41", "\uff5a"),
        ):
            table[ord(first) : ord(last) + 1] = ord(LATIN)
        table[[ord(c) for c in ".\uff0e\u00b7\u2236:/\uff0f"]] = _MARK
        table.setflags(write=False)
        _UNIT_TABLE = table
    return _UNIT_TABLE


def code_units(text: str) -> np.ndarray:
    """Vectorised :func:`to_units` that returns code points (``uint16``: every unit lies in the
    Basic Multilingual Plane; a character beyond it is a separator, like any non-word one).

    Example:
        >>> code_units("在１９９８年，GDP增长").tolist() == [ord(c) for c in to_units("在１９９８年，GDP增长")]
        True
    """
    # UTF-16 code units: a character beyond the plane is two surrogates, both separators
    # that collapse into one, as the character itself would
    codes = np.frombuffer(text.encode("utf-16-le"), dtype=np.uint16)
    if not codes.size:
        return codes.copy()
    out = _unit_table()[codes]  # (indexing, unlike take, converts no index array to intp)
    marks = np.flatnonzero(out == _MARK)  # a mark between two digits belongs to the number
    inner = marks[(marks > 0) & (marks < len(out) - 1)]
    inner = inner[(out[inner - 1] == ord(NUMBER)) & (out[inner + 1] == ord(NUMBER))]
    out[marks] = ord(SEPARATOR)
    out[inner] = ord(NUMBER)
    # a run of separators, of numbers or of Latin runs is one unit; word characters all stay
    word = out != ord(SEPARATOR)
    word &= (out >> 1) != ord(NUMBER) >> 1  # NUMBER and LATIN differ in the last bit only
    keep = np.empty(len(out), dtype=bool)
    keep[0] = True
    np.not_equal(out[1:], out[:-1], out=keep[1:])
    keep[1:] |= word[1:]
    return out[keep]


def chunks_of(lines: Iterable[str], chunk_chars: int = 1 << 22) -> Iterator[np.ndarray]:
    """Join lines (or blocks of lines, :meth:`kexue.text.corpus.Lines.blocks`) into coded
    chunks (:func:`code_units`) of about ``chunk_chars`` characters.

    Each chunk starts and ends with a separator, so no unit pair crosses a
    chunk or line boundary.

    Example:
        >>> [c.tolist() for c in chunks_of(["中文", "文本"], chunk_chars=3)] == [[10, 20013, 25991, 10], [10, 25991, 26412, 10]]
        True
    """
    if chunk_chars < 1:
        raise ValueError(f"chunk_chars must be positive, got {chunk_chars}")
    buffer: list[str] = [""]  # joined with newlines: one before the first line, one after the last
    size = 0
    for line in lines:
        if not isinstance(line, str):
            raise TypeError(f"expected lines of text (str), got {type(line).__name__}")
        buffer.append(line)
        size += len(line) + 1
        if size >= chunk_chars:
            buffer.append("")
            yield code_units("\n".join(buffer))
            buffer, size = [""], 0
    if len(buffer) > 1:
        buffer.append("")
        yield code_units("\n".join(buffer))
