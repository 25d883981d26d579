"""Reading task data: labelled texts and text pairs from TSV, CSV or JSON lines, with errors
that name the file and line.

Formats (chosen by the file name; anything that is not ``.csv``/``.json``/``.jsonl`` is TSV):

* TSV without a header: ``text<TAB>label`` (pairs: ``a<TAB>b<TAB>label_or_score``);
  a TSV whose first row names its columns (``sentence<TAB>label``) is read by those names;
* CSV with a header holding ``label`` and one of ``text``/``review``/``sentence``
  (pairs: ``text_a``/``sentence1``, ``text_b``/``sentence2`` and ``label``/``score``);
* JSON lines with ``text`` and ``label`` (pairs: the same names as CSV).

Blank lines are ignored; any other row that does not fit is an error (:class:`DataError`)
naming ``file:line`` and the fix. Every example keeps its ``where`` (``file:line``), so later
checks (a label the training data never had) can name it too.

Example:
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "train.tsv")
    >>> _ = open(path, "w", encoding="utf-8").write("好吃\\t1\\n太慢了\\t0\\n")
    >>> [(e.text, e.label) for e in read_labelled_texts(path)]
    [('好吃', '1'), ('太慢了', '0')]
    >>> _ = open(path, "w", encoding="utf-8").write("好吃\\t1\\n太慢了\\n")
    >>> try:
    ...     read_labelled_texts(path)
    ... except DataError as error:
    ...     print(str(error).replace(path, "train.tsv"))
    train.tsv:2: expected 2 tab-separated fields (text, label), found 1; fix or remove that row.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

__all__ = [
    "DataError",
    "LabelledText",
    "TextPair",
    "read_labelled_texts",
    "read_text_pairs",
    "read_input_lines",
    "file_digest",
]

TEXT_COLUMNS = ("text", "review", "sentence", "content")
FIRST_COLUMNS = ("text_a", "sentence1", "a", "first", "query")
SECOND_COLUMNS = ("text_b", "sentence2", "b", "second")
LABEL_COLUMNS = ("label", "score")


class DataError(ValueError):
    """A data file that cannot be read as the task's examples (the message names file:line)."""


@dataclass(frozen=True)
class LabelledText:
    """One text and its label (``None`` when unlabelled); ``where`` is ``file:line``."""

    text: str
    label: str | None
    where: str = ""


@dataclass(frozen=True)
class TextPair:
    """Two texts and their label or score (a string; ``None`` when unlabelled)."""

    first: str
    second: str
    label: str | None
    where: str = ""


def _open_text(path: Path) -> Iterator[tuple[int, str]]:
    """``(line number, line without its end)`` of a UTF-8 file, with a readable error otherwise."""
    if not path.exists():
        raise DataError(f"{path}: no such file; check the path.")
    if path.is_dir():
        raise DataError(f"{path} is a folder; give a data file.")
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            for number, line in enumerate(handle, 1):
                yield number, line.rstrip("\r\n")
    except UnicodeDecodeError as error:
        raise DataError(f"{path}: not UTF-8 text (byte {error.start}); convert it to UTF-8.") from None


def _kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".json", ".jsonl", ".ndjson"):
        return "jsonl"
    return "tsv"


def _pick(header: list[str], names: tuple[str, ...]) -> str | None:
    lowered = [h.strip().lower() for h in header]
    for name in names:
        if name in lowered:
            return header[lowered.index(name)]
    return None


def json_lines(path: Path) -> Iterator[tuple[str, object]]:
    """``(file:line, parsed value)`` for each non-blank line of a JSON-lines file; a line that
    is not JSON is a :class:`DataError` naming it."""
    for number, line in _open_text(path):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            yield where, json.loads(line)
        except json.JSONDecodeError as error:
            raise DataError(f"{where}: not a JSON object ({error.msg}); write one object per line.") from None


def json_text_records(path: Path) -> Iterator[tuple[str, dict]]:
    """``(file:line, object)`` for each line of a JSON-lines file whose objects carry a
    non-empty ``"text"`` (the extraction recipes' formats)."""
    for where, record in json_lines(path):
        if not isinstance(record, dict) or not isinstance(record.get("text"), str) or not record["text"]:
            raise DataError(f"{where}: expected an object with a non-empty \"text\".")
        yield where, record


def _json_rows(path: Path, roles: list[str], wanted: list[tuple[str, ...]]) -> Iterator[tuple[str, list]]:
    for where, record in json_lines(path):
        if not isinstance(record, dict):
            raise DataError(f"{where}: expected a JSON object, found {type(record).__name__}.")
        values = []
        for names in wanted:
            key = next((n for n in names if n in record), None)
            if key is None:
                raise DataError(f"{where}: the object has no {' / '.join(names)} field; "
                                f"it has {sorted(record)}.")
            value = record[key]
            values.append(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
        yield where, values


def _table_rows(path: Path, kind: str) -> Iterator[tuple[str, list[str]]]:
    """``(file:line, fields)`` of every non-blank row of a TSV or CSV file."""
    if kind == "tsv":
        for number, line in _open_text(path):
            if line.strip():
                yield f"{path}:{number}", line.split("\t")
        return
    list(_open_text(path))  # existence and UTF-8 checks, with their messages
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        start = 1
        for fields in reader:
            if any(f.strip() for f in fields):
                yield f"{path}:{start}", fields
            start = reader.line_num + 1


def _rows(path: Path, columns: list[tuple[str, tuple[str, ...]]], labelled: bool) -> Iterator[tuple[str, list]]:
    """``(where, values)`` per row, values in the order of ``columns`` ((role, accepted names)).

    A TSV without a header is positional: the columns in order (the label last).
    """
    used = [(role, names) for role, names in columns if labelled or role != "label"]
    roles, wanted = [r for r, _ in used], [n for _, n in used]
    kind = _kind(path)
    rows = _json_rows(path, roles, wanted) if kind == "jsonl" else _table(path, kind, roles, wanted)
    count = 0
    for row in rows:
        count += 1
        yield row
    if count == 0:
        raise DataError(f"{path} is empty: it holds no examples.")


def _table(path: Path, kind: str, roles: list[str], wanted: list[tuple[str, ...]]):
    positions = None
    separator = "comma" if kind == "csv" else "tab"
    for index, (where, fields) in enumerate(_table_rows(path, kind)):
        if index == 0:
            names = [_pick(fields, n) for n in wanted]
            if all(names):  # a header row: read the columns by name
                positions = [fields.index(n) for n in names]
                continue
            if kind == "csv":
                raise DataError(f"{where}: a CSV file needs a header naming its columns "
                                f"({', '.join('/'.join(n) for n in wanted)}); found {fields}.")
        if positions is None and len(fields) != len(roles):
            raise DataError(f"{where}: expected {len(roles)} {separator}-separated fields "
                            f"({', '.join(roles)}), found {len(fields)}; fix or remove that row.")
        if positions is not None and len(fields) <= max(positions):
            raise DataError(f"{where}: the header names {max(positions) + 1} columns but this row "
                            f"has {len(fields)}; fix or remove that row.")
        yield where, [fields[p] for p in (positions or range(len(roles)))]


def _check_text(where: str, text: str, what: str = "text") -> str:
    if not text.strip():
        raise DataError(f"{where}: the {what} is empty; remove that row or fill it in.")
    return text


def _check_label(where: str, label: str) -> str:
    label = label.strip()
    if not label:
        raise DataError(f"{where}: the label is empty; every row needs one.")
    return label


def read_labelled_texts(path: str | os.PathLike, labelled: bool = True) -> list[LabelledText]:
    """Read ``text, label`` examples (see the module docstring for the formats).

    With ``labelled=False`` only the text is read (one column).
    """
    path = Path(path)
    columns = [("text", TEXT_COLUMNS), ("label", LABEL_COLUMNS)]
    out = []
    for where, values in _rows(path, columns, labelled):
        label = _check_label(where, values[1]) if labelled else None
        out.append(LabelledText(_check_text(where, values[0]), label, where))
    return out


def read_text_pairs(path: str | os.PathLike, labelled: bool = True) -> list[TextPair]:
    """Read ``first, second, label_or_score`` examples (see the module docstring)."""
    path = Path(path)
    columns = [("first", FIRST_COLUMNS), ("second", SECOND_COLUMNS), ("label", LABEL_COLUMNS)]
    out = []
    for where, values in _rows(path, columns, labelled):
        label = _check_label(where, values[2]) if labelled else None
        out.append(TextPair(_check_text(where, values[0], "first text"),
                            _check_text(where, values[1], "second text"), label, where))
    return out


def read_input_lines(path: str | os.PathLike | None, pair: bool = False) -> list[LabelledText | TextPair]:
    """Inputs for ``predict``: one text per line (``pair=True``: ``a<TAB>b``) from a file, or
    from standard input when ``path`` is ``None`` or ``"-"``. A line holding a tab where a
    single text is expected is an error (pass the text column only)."""
    if path is None or str(path) == "-":
        name, lines = "<stdin>", enumerate((line.rstrip("\r\n") for line in sys.stdin), 1)
    else:
        name, lines = str(path), _open_text(Path(path))
    out: list = []
    for number, line in lines:
        where = f"{name}:{number}"
        if not line.strip():
            continue
        fields = line.split("\t")
        if pair:
            if len(fields) != 2:
                raise DataError(f"{where}: expected two tab-separated texts (a<TAB>b), found "
                                f"{len(fields)} field(s).")
            out.append(TextPair(_check_text(where, fields[0], "first text"),
                                _check_text(where, fields[1], "second text"), None, where))
        else:
            if len(fields) != 1:
                raise DataError(f"{where}: predict reads one text per line, but this line has "
                                f"{len(fields)} tab-separated fields; pass the text column only "
                                "(e.g. cut -f1).")
            out.append(LabelledText(line, None, where))
    if not out:
        raise DataError(f"{name} is empty: no text to predict.")
    return out


def file_digest(path: str | os.PathLike) -> str:
    """SHA-256 of a file (hex), to check that a resumed run reads the same data.

    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "x.txt")
    >>> _ = open(path, "w").write("abc")
    >>> file_digest(path)[:12]
    'ba7816bf8f01'
    """
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
