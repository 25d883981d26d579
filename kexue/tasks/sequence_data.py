"""Reading sequence-labelling data: segmented sentences (word segmentation) and entity
annotations (NER), with errors that name ``file:line``.

* Segmented text: one sentence per line, words separated by spaces (any number of them, so
  the PKU gold file's two spaces and CRLF line ends read as they are). The example's ``text``
  is the sentence without spaces; ``words`` are ``(start, end)`` character ranges of it.
* Character-per-line tags (MSRA, Weibo, Resume): ``char<TAB>tag`` or ``char<SPACE>tag``, a
  blank line between sentences, BIO or BIOES tags (``B-PER``, ``I-PER``, ``E-``, ``S-``,
  ``O``). Weibo NER's ``char+digit`` form (``科0``: the digit is the character's position in
  its word) is recognised when every line's first field is one character plus a digit, and
  the digit is dropped.
* JSON lines ``{"text": ..., "entities": [[start, end, type], ...]}`` with ``end``
  exclusive (``text[start:end]`` is the mention; a fourth element, the mention, is checked).

Example:
    >>> import tempfile, os
    >>> folder = tempfile.mkdtemp()
    >>> path = os.path.join(folder, "pku.txt")
    >>> _ = open(path, "w", encoding="utf-8", newline="").write("共同  创造  美好\\r\\n")
    >>> [(e.text, e.words) for e in read_segmented(path)]
    [('共同创造美好', ((0, 2), (2, 4), (4, 6)))]
    >>> path = os.path.join(folder, "weibo.train")
    >>> _ = open(path, "w", encoding="utf-8").write("张0\\tB-PER.NAM\\n三1\\tI-PER.NAM\\n好0\\tO\\n")
    >>> [(e.text, e.entities) for e in read_char_tags(path)]
    [('张三好', ((0, 2, 'PER.NAM'),))]
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from kexue.tasks.data import DataError, _open_text, json_text_records
from kexue.tasks.tagging import spans_from_tags

__all__ = ["Segmented", "Annotated", "read_segmented", "read_char_tags", "read_entity_lines",
           "read_entities"]


@dataclass(frozen=True)
class Segmented:
    """A sentence and its words as ``(start, end)`` character ranges (``None`` unlabelled)."""

    text: str
    words: tuple | None
    where: str = ""


@dataclass(frozen=True)
class Annotated:
    """A text and its entities ``(start, end, type)`` (``None`` when unlabelled)."""

    text: str
    entities: tuple | None
    where: str = ""


def _empty(path: Path, rows: list) -> list:
    if not rows:
        raise DataError(f"{path} is empty: it holds no examples.")
    return rows


def read_segmented(path: str | os.PathLike, labelled: bool = True) -> list[Segmented]:
    """Sentences with words separated by spaces (see the module docstring)."""
    path = Path(path)
    rows = []
    for number, line in _open_text(path):
        words = line.split()
        if not words:
            continue
        spans, at = [], 0
        for word in words:
            spans.append((at, at + len(word)))
            at += len(word)
        rows.append(Segmented("".join(words), tuple(spans) if labelled else None, f"{path}:{number}"))
    return _empty(path, rows)


_PREFIXES = ("B", "I", "E", "S")


def _check_tag(where: str, tag: str) -> str:
    prefix, dash, kind = tag.partition("-")
    if tag != "O" and not (dash and prefix in _PREFIXES and kind):
        raise DataError(f"{where}: tag {tag!r} is not O or B-/I-/E-/S-TYPE; the format is "
                        "char<TAB>tag with BIO or BIOES tags.")
    return tag


def _split_line(where: str, line: str) -> tuple[str, str]:
    if "\t" in line:
        char, tag = line.rsplit("\t", 1)
    elif " " in line.strip(" "):
        char, tag = line.rstrip(" ").rsplit(" ", 1)
    else:
        raise DataError(f"{where}: expected char<TAB>tag (or char<SPACE>tag), found {line!r}.")
    if not char:
        raise DataError(f"{where}: the character field is empty.")
    return char, _check_tag(where, tag.strip())


def read_char_tags(path: str | os.PathLike) -> list[Annotated]:
    """Character-per-line BIO/BIOES sentences (see the module docstring)."""
    path = Path(path)
    sentences: list[tuple[str, list[tuple[str, str]]]] = []
    current: list[tuple[str, str]] = []
    start_where = ""
    for number, line in _open_text(path):
        where = f"{path}:{number}"
        if not line.strip():
            if current:
                sentences.append((start_where, current))
                current = []
            continue
        if not current:
            start_where = where
        current.append(_split_line(where, line))
    if current:
        sentences.append((start_where, current))
    fields = [char for _, rows in sentences for char, _ in rows]
    weibo = bool(fields) and all(len(c) >= 2 and c[-1].isdigit() for c in fields)
    out = []
    for where, rows in sentences:
        chars = [c[:-1] if weibo else c for c, _ in rows]
        # spans over rows, then over characters (a row may hold several code points)
        starts = [0]
        for c in chars:
            starts.append(starts[-1] + len(c))
        entities = tuple((starts[a], starts[b], kind)
                         for a, b, kind in spans_from_tags([t for _, t in rows], "BIOES"))
        out.append(Annotated("".join(chars), entities, where))
    return _empty(path, out)


def _entity(where: str, text: str, value) -> tuple[int, int, str]:
    if not isinstance(value, (list, tuple)) or len(value) not in (3, 4):
        raise DataError(f"{where}: each entity is [start, end, type] (end exclusive), got {value!r}.")
    start, end, kind = value[:3]
    if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)):
        raise DataError(f"{where}: entity {value!r} is not a span 0 <= start < end <= "
                        f"{len(text)} of its text (end is exclusive).")
    if not isinstance(kind, str) or not kind:
        raise DataError(f"{where}: entity {value!r} needs a type name.")
    if len(value) == 4 and value[3] != text[start:end]:
        raise DataError(f"{where}: entity {value!r} says {value[3]!r} but text[{start}:{end}] "
                        f"is {text[start:end]!r}.")
    return start, end, kind


def read_entity_lines(path: str | os.PathLike, labelled: bool = True) -> list[Annotated]:
    """JSON lines ``{"text", "entities"}`` (see the module docstring)."""
    path = Path(path)
    out = []
    for where, record in json_text_records(path):
        text = record["text"]
        entities = None
        if labelled:
            if not isinstance(record.get("entities"), list):
                raise DataError(f"{where}: the object has no \"entities\" list; give "
                                "\"entities\": [[start, end, type], ...] (may be empty).")
            entities = tuple(sorted(_entity(where, text, e) for e in record["entities"]))
        out.append(Annotated(text, entities, where))
    return _empty(path, out)


def read_entities(path: str | os.PathLike, labelled: bool = True) -> list[Annotated]:
    """Entity data in either form: JSON lines for ``.json``/``.jsonl``, else char-per-line."""
    if Path(path).suffix.lower() in (".json", ".jsonl", ".ndjson"):
        return read_entity_lines(path, labelled)
    examples = read_char_tags(path)
    return examples if labelled else [Annotated(e.text, None, e.where) for e in examples]
