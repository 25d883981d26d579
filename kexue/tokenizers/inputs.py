"""Checks on what callers hand a tokenizer: texts, token lists, batches, ids and the
truncation options, each refused with a message that names the fix.

>>> int_ids([3, 4.0])
[3, 4]
>>> check_texts(("a", "b"))
['a', 'b']
"""

from __future__ import annotations

import math
import numbers
from typing import Any

__all__ = ["check_options", "check_text", "check_text_or_tokens", "check_texts", "int_ids"]

PATTERNS = ("S*E*E", "S*ES*E")


def check_text(text: Any, name: str) -> str:
    if not isinstance(text, str):
        hint = " (decode bytes first, e.g. text.decode('utf-8'))" if isinstance(text, bytes) else ""
        raise TypeError(f"{name} must be a string, got {type(text).__name__}{hint}")
    return text


def check_text_or_tokens(value: Any, name: str) -> None:
    """A text, or a token list as :meth:`TokenizerBase.tokenize` returns it."""
    if isinstance(value, str):
        return
    if isinstance(value, (list, tuple)):
        for n, token in enumerate(value):
            if not isinstance(token, str):
                raise TypeError(
                    f"{name} is a token list, so {name}[{n}] must be a string token, got "
                    f"{type(token).__name__} {token!r:.40}; pass a text or a list of tokens"
                )
        return
    if not isinstance(value, str):
        hint = " (decode bytes first, e.g. text.decode('utf-8'))" if isinstance(value, bytes) else ""
        raise TypeError(f"{name} must be a string or a list of tokens, got {type(value).__name__}{hint}")


def check_texts(texts: Any) -> list:
    """``texts`` of ``encode_batch`` as a list: a list (or any iterable) of texts or pairs,
    not a text."""
    if isinstance(texts, (str, bytes)):
        raise TypeError(
            f"texts must be a list of texts, got a single {type(texts).__name__}; "
            "wrap one text as [text] (or call encode)"
        )
    if not hasattr(texts, "__iter__"):
        raise TypeError(f"texts must be a list of texts or (first, second) pairs, got {type(texts).__name__}")
    return texts if isinstance(texts, list) else list(texts)


def int_ids(ids: Any) -> list[int]:
    """``ids`` as Python ints; a ``TypeError``/``ValueError`` for anything that is not a whole
    number (``decode([1.5])`` must not quietly decode id 1).

    >>> int_ids([3, 4.0])
    [3, 4]
    """
    if isinstance(ids, (str, bytes)) or not hasattr(ids, "__iter__"):
        raise TypeError(f"ids must be a sequence of integer ids, got {type(ids).__name__}")
    out = []
    for n, i in enumerate(ids):
        if type(i) is int:
            out.append(i)
            continue
        if isinstance(i, bool) or not isinstance(i, numbers.Real) or isinstance(i, (str, bytes)):
            raise TypeError(f"ids[{n}] must be an integer id, got {type(i).__name__} {i!r:.40}")
        if not math.isfinite(i) or int(i) != i:
            raise ValueError(f"ids[{n}] is {i!r}, not a whole number; ids are integers")
        out.append(int(i))
    return out


def check_options(pattern: str, truncate_from: str, maxlen: int | None) -> None:
    if pattern not in PATTERNS:
        raise ValueError(f"pattern must be one of {PATTERNS}, got {pattern!r}")
    if truncate_from not in ("right", "left"):
        raise ValueError(f"truncate_from must be 'right' or 'left', got {truncate_from!r}")
    if maxlen is not None and (not isinstance(maxlen, int) or isinstance(maxlen, bool)):
        raise TypeError(f"maxlen must be an int or None, got {maxlen!r}")
