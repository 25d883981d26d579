"""Reading ``source -> target`` generation data, with errors naming ``file:line``.

Formats (by file name, as :mod:`kexue.tasks.data`):

* TSV without a header: ``source<TAB>target``, or three columns ``task<TAB>source<TAB>target``
  (the CSL benchmark's ``to title<TAB>abstract<TAB>title``; the first column is ignored). Every
  row of a file has the same number of columns.
* JSON lines with a source field (``source``/``src``/``input``/``abstract``/``content``/``text``)
  and a target field (``target``/``tgt``/``output``/``title``/``summary``).

``predict`` reads one source per line.

Example:
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "pairs.tsv")
    >>> _ = open(path, "w", encoding="utf-8").write("to title\\t摘要一\\t标题一\\n")
    >>> [(e.source, e.target) for e in read_source_target(path)]
    [('摘要一', '标题一')]
    >>> _ = open(path, "w", encoding="utf-8").write("上联\\t下联\\n只有一列\\n")
    >>> try:
    ...     read_source_target(path)
    ... except DataError as error:
    ...     print(str(error).replace(path, "pairs.tsv"))
    pairs.tsv:2: expected 2 tab-separated fields like the first row (source, target), found 1; fix or remove that row.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from kexue.tasks.data import DataError, _json_rows, _open_text, read_input_lines

__all__ = ["SourceTarget", "read_source_target", "read_sources", "DataError"]

SOURCE_FIELDS = ("source", "src", "input", "abstract", "content", "text")
TARGET_FIELDS = ("target", "tgt", "output", "title", "summary")


@dataclass(frozen=True)
class SourceTarget:
    """A source text and its target (``None`` when unknown); ``where`` is ``file:line``."""

    source: str
    target: str | None
    where: str = ""


def _check(where: str, text: str, what: str) -> str:
    if not text.strip():
        raise DataError(f"{where}: the {what} is empty; remove that row or fill it in.")
    return text


def _tsv(path: Path):
    columns = None
    for number, line in _open_text(path):
        if not line.strip():
            continue
        where, fields = f"{path}:{number}", line.split("\t")
        if columns is None:
            if len(fields) not in (2, 3):
                raise DataError(f"{where}: expected source<TAB>target (or task<TAB>source<TAB>target), "
                                f"found {len(fields)} tab-separated field(s).")
            columns = len(fields)
        if len(fields) != columns:
            raise DataError(f"{where}: expected {columns} tab-separated fields like the first row "
                            f"(source, target), found {len(fields)}; fix or remove that row.")
        yield where, fields[-2], fields[-1]


def read_source_target(path: str | os.PathLike, labelled: bool = True) -> list[SourceTarget]:
    """The examples of a TSV or JSON-lines file (see the module docstring)."""
    path = Path(path)
    if path.suffix.lower() in (".json", ".jsonl", ".ndjson"):
        rows = ((where, *values) for where, values in
                _json_rows(path, ["source", "target"], [SOURCE_FIELDS, TARGET_FIELDS]))
    else:
        rows = _tsv(path)
    out = [SourceTarget(_check(where, source, "source"), _check(where, target, "target"), where)
           for where, source, target in rows]
    if not out:
        raise DataError(f"{path} is empty: it holds no examples.")
    return out


def read_sources(path) -> list[SourceTarget]:
    """``predict``'s input: one source per line (a file, or ``-`` for standard input)."""
    return [SourceTarget(e.text, None, e.where) for e in read_input_lines(path)]
