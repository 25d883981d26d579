"""Vocabulary files and the character classes BERT's basic tokenizer uses.

A BERT ``vocab.txt`` has one token per line; the line number is the id. ``load_vocab`` reads it
into a ``{token: id}`` dict and can also *simplify* it: drop the tokens a BERT tokenizer can
never produce from Chinese text (multi-character pieces that contain a CJK character or a
punctuation mark, ``[unusedN]`` slots, ...), which shrinks a Chinese BERT's 21k vocabulary to
about 13k. ``keep_tokens`` then says which rows of the checkpoint's embedding matrix to keep.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Iterable, Mapping

from kexue.files import atomic_open

__all__ = [
    "cjk_punctuation",
    "is_cjk_character",
    "is_control",
    "is_control_or_format",
    "is_punctuation",
    "is_redundant_token",
    "is_space",
    "is_special_token",
    "load_vocab",
    "save_vocab",
    "token_stem",
]

# Code-point ranges BERT treats as CJK ideographs: each one becomes a token of its own.
_CJK_RANGES = (
    (0x4E00, 0x9FFF),
    (0x3400, 0x4DBF),
    (0x20000, 0x2A6DF),
    (0x2A700, 0x2B73F),
    (0x2B740, 0x2B81F),
    (0x2B820, 0x2CEAF),
    (0xF900, 0xFAFF),
    (0x2F800, 0x2FA1F),
)


# Full-width and CJK punctuation (bert4keras' ``_cjk_punctuation``), as code-point ranges.
_CJK_PUNCTUATION_RANGES = (
    (0x00B7, 0x00B7), (0x2013, 0x2014), (0x2018, 0x2019), (0x201B, 0x201F), (0x2026, 0x2027),
    (0x3000, 0x3003), (0x3008, 0x3011), (0x3014, 0x301F), (0x3030, 0x3030), (0x303E, 0x303F),
    (0xFE4F, 0xFE4F), (0xFE51, 0xFE51), (0xFE54, 0xFE54), (0xFF01, 0xFF0D), (0xFF0F, 0xFF0F),
    (0xFF1A, 0xFF20), (0xFF3B, 0xFF40), (0xFF5B, 0xFF64),
)


def cjk_punctuation() -> str:
    """Full-width and CJK punctuation marks as one string (``ch in cjk_punctuation()``).

    >>> "，" in cjk_punctuation(), "。" in cjk_punctuation(), "," in cjk_punctuation()
    (True, True, False)
    """
    return "".join(chr(c) for lo, hi in _CJK_PUNCTUATION_RANGES for c in range(lo, hi + 1))


def is_cjk_character(ch: str) -> bool:
    """Whether ``ch`` lies in one of the CJK ideograph blocks BERT splits on.

    >>> is_cjk_character("中"), is_cjk_character("a"), is_cjk_character("。")
    (True, False, False)
    """
    code = ord(ch)
    return any(low <= code <= high for low, high in _CJK_RANGES)


def is_punctuation(ch: str) -> bool:
    """Whether ``ch`` is punctuation for BERT: every non-alphanumeric printable ASCII symbol, plus
    any character whose Unicode category starts with ``P`` (full-width marks included).

    >>> [is_punctuation(c) for c in "$,。a"]
    [True, True, True, False]
    """
    code = ord(ch)
    if code < 128:
        return 33 <= code <= 126 and not ch.isalnum()
    return unicodedata.category(ch).startswith("P")


def is_space(ch: str) -> bool:
    """Whether ``ch`` separates words: space, tab, newline, carriage return or category ``Zs``.

    >>> is_space("\\t"), is_space("\\u3000"), is_space("x")
    (True, True, False)
    """
    return ch in " \t\n\r" or unicodedata.category(ch) == "Zs"


def is_control_or_format(ch: str) -> bool:
    r"""Whether ``ch`` is a control or format character (category ``Cc`` or ``Cf``): bert4keras'
    ``Tokenizer._is_control``, narrower than :func:`is_control`.

    >>> is_control_or_format("\x00"), is_control_or_format("\u200b"), is_control_or_format("\u038b")
    (True, True, False)
    """
    return unicodedata.category(ch) in ("Cc", "Cf")


def is_control(ch: str) -> bool:
    r"""Whether BERT deletes ``ch``: any "other" character (control, format, private-use,
    surrogate, unassigned: category ``C*``) except tab and newlines, which count as spaces.

    >>> is_control("\x07"), is_control("\u200b"), is_control("\U000f0000"), is_control("\n")
    (True, True, True, False)
    """
    if ch in "\t\n\r":
        return False
    return unicodedata.category(ch).startswith("C")


def is_special_token(token: str) -> bool:
    """Whether ``token`` is a bracketed special token such as ``[CLS]`` or ``[unused3]``.

    >>> is_special_token("[SEP]"), is_special_token("[")
    (True, False)
    """
    return len(token) >= 2 and token[0] == "[" and token[-1] == "]"


def token_stem(token: str) -> str:
    """The text a WordPiece token stands for: ``"##ing"`` → ``"ing"``.

    >>> token_stem("##ing"), token_stem("run")
    ('ing', 'run')
    """
    return token.removeprefix("##")


def is_redundant_token(token: str) -> bool:
    """Whether a BERT tokenizer can never emit ``token`` from Chinese text: it has more than one
    character and its stem holds a CJK ideograph or a punctuation mark (``[unused7]``, ``##的``,
    ``...``, ``中国``).

    >>> [is_redundant_token(t) for t in ["中", "中国", "##的", "[unused1]", "the", "##s"]]
    [False, True, True, True, False, False]
    """
    if len(token) <= 1:
        return False
    return any(is_cjk_character(c) or is_punctuation(c) for c in token_stem(token))


def _read_tokens(dict_path: str | os.PathLike, encoding: str) -> list[str]:
    path = os.fspath(dict_path)
    if os.path.isdir(path):
        raise IsADirectoryError(
            f"vocabulary path {path!r} is a folder; pass the vocab.txt inside it "
            f"({os.path.join(path, 'vocab.txt')})"
        )
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"vocabulary file {path!r} does not exist: pass the path of a BERT vocab.txt "
            "(one token per line) or a {token: id} dict"
        )
    with open(path, "rb") as reader:
        raw = reader.read()
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise ValueError(
            f"vocabulary file {path}: not {encoding} text (byte {error.start}, line {line}); pass "
            "encoding=... or check that it is a vocab.txt"
        ) from None
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")  # as open() reads lines
    if lines[-1] == "":
        lines.pop()
    tokens = []
    for line in lines:
        fields = line.split()
        # "token<TAB>count" style files keep their first field; a token that is itself
        # whitespace (rare) keeps its line so that the ids stay aligned.
        tokens.append(fields[0] if len(fields) > 1 else line.strip() or line)
    if not tokens:
        raise ValueError(f"vocabulary file {path!r} is empty")
    return tokens


def load_vocab(
    dict_path: str | os.PathLike,
    encoding: str = "utf-8",
    simplified: bool = False,
    startswith: Iterable[str] | None = None,
) -> dict[str, int] | tuple[dict[str, int], list[int]]:
    """Read a BERT vocabulary file into ``{token: id}`` (the id is the line number).

    With ``simplified=True`` the redundant tokens (see :func:`is_redundant_token`) are dropped
    and ``(new_token_dict, keep_tokens)`` is returned: the tokens in ``startswith`` come first
    (usually ``["[PAD]", "[UNK]", "[CLS]", "[SEP]"]``), then the remaining kept tokens in file
    order, renumbered from 0; ``keep_tokens[new_id]`` is the old id, ready for
    ``build_transformer_model(..., keep_tokens=keep_tokens)``.

    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "vocab.txt")
    >>> _ = open(path, "w", encoding="utf-8").write("[PAD]\\n[UNK]\\n[unused1]\\n中\\n中国\\n##s\\n")
    >>> load_vocab(path)["中"]
    3
    >>> load_vocab(path, simplified=True, startswith=["[PAD]", "[UNK]"])
    ({'[PAD]': 0, '[UNK]': 1, '中': 2, '##s': 3}, [0, 1, 3, 5])
    """
    tokens = _read_tokens(dict_path, encoding)
    token_dict: dict[str, int] = {}
    for index, token in enumerate(tokens):
        token_dict[token] = index
    if not simplified:
        return token_dict
    return simplify_vocab(token_dict, startswith)


def simplify_vocab(
    token_dict: Mapping[str, int], startswith: Iterable[str] | None = None
) -> tuple[dict[str, int], list[int]]:
    """The ``simplified=True`` half of :func:`load_vocab`, for a dict already in memory.

    >>> simplify_vocab({"[CLS]": 0, "a": 1, "ab": 2, "a,": 3}, startswith=["[CLS]"])
    ({'[CLS]': 0, 'a': 1, 'ab': 2}, [0, 1, 2])
    """
    new_dict: dict[str, int] = {}
    keep_tokens: list[int] = []
    for token in startswith or ():
        if token not in token_dict:
            raise KeyError(
                f"startswith token {token!r} is not in the vocabulary; list only tokens the "
                "vocabulary has (e.g. ['[PAD]', '[UNK]', '[CLS]', '[SEP]'])"
            )
        if token not in new_dict:
            new_dict[token] = len(new_dict)
            keep_tokens.append(token_dict[token])
    for token, index in sorted(token_dict.items(), key=lambda item: item[1]):
        if token not in new_dict and not is_redundant_token(token):
            new_dict[token] = len(new_dict)
            keep_tokens.append(index)
    return new_dict, keep_tokens


def save_vocab(
    dict_path: str | os.PathLike, token_dict: Mapping[str, int], encoding: str = "utf-8"
) -> None:
    """Write ``token_dict`` as a vocabulary file, one token per line in id order (the inverse
    of :func:`load_vocab`, e.g. to store a simplified vocabulary).

    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "vocab.txt")
    >>> save_vocab(path, {"b": 1, "a": 0})
    >>> load_vocab(path)
    {'a': 0, 'b': 1}
    """
    ids = sorted(token_dict.values())
    if ids != list(range(len(ids))):
        raise ValueError(
            "save_vocab needs ids 0..n-1 without gaps so that line numbers equal ids; "
            "renumber the dict first (load_vocab(simplified=True) returns such a dict)"
        )
    with atomic_open(dict_path, "w", encoding=encoding) as writer:  # old file or new, never half
        for token, _ in sorted(token_dict.items(), key=lambda item: item[1]):
            writer.write(token + "\n")
