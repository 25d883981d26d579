"""Reading text input strictly: lines of a file or a stream, with errors that say where.

A byte sequence that is not valid in the expected encoding (a GBK file read as UTF-8, a binary
file given as a corpus) raises :class:`TextInputError` naming the input, the byte offset and the
line, and suggesting the fix, instead of a bare ``UnicodeDecodeError`` or, worse, mojibake passed
through. A NUL character marks a binary file. A UTF-8 byte-order mark is dropped.

Example:
    >>> import io
    >>> list(text_lines(io.BytesIO("第一行\\r\\n第二行".encode()), "memory"))
    ['第一行', '第二行']
    >>> try:
    ...     list(text_lines(io.BytesIO("hello\\n你好".encode("gbk")), "gbk.txt"))
    ... except TextInputError as error:
    ...     print(error)
    gbk.txt: not valid utf-8 at byte 6 (line 2): invalid continuation byte; convert it to UTF-8 or give its encoding (--encoding gbk, for example)
"""

from __future__ import annotations

import codecs
import os
from collections.abc import Iterator
from typing import BinaryIO


class TextInputError(ValueError):
    """Input text that cannot be read as the expected encoding (names the input and the byte)."""


def check_encoding(encoding: str) -> str:
    """The canonical name of ``encoding``; ``ValueError`` for a name Python does not know.

    >>> check_encoding("GBK")
    'gbk'
    """
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise ValueError(f"unknown text encoding {encoding!r}; use a Python codec name such as "
                         "utf-8, gbk, gb18030 or utf-16.") from None


def text_blocks(handle: BinaryIO, name: str, encoding: str = "utf-8",
                block_size: int = 1 << 20) -> Iterator[str]:
    """Decode ``handle`` (a binary file or stream) strictly and yield its text in blocks of
    whole lines: each block is one or more lines joined by ``\\n``, without the last newline
    (``\\r\\n`` read as ``\\n``). Reads at most ``block_size`` bytes at a time (``read1``
    where the stream has it, so a pipe is processed as it arrives). :func:`text_lines` splits
    these blocks; a reader that only needs the text (new-word discovery) takes them whole and
    skips the per-line work.

    Example:
        >>> import io
        >>> list(text_blocks(io.BytesIO("一\\r\\n二\\n三".encode()), "memory", block_size=4))
        ['一', '二', '三']
    """
    decoder = codecs.getincrementaldecoder(check_encoding(encoding))(errors="strict")
    read = getattr(handle, "read1", handle.read)
    offset = lines_before = 0  # bytes before this block; complete lines before ``rest``
    rest, first = "", True
    while True:
        block = read(block_size)
        start = offset - len(decoder.getstate()[0])  # byte offset of what this decode sees
        try:
            text = decoder.decode(block, final=not block)
        except UnicodeDecodeError as error:
            seen = error.object[: error.start].decode(encoding, "replace")
            raise TextInputError(
                f"{name}: not valid {encoding} at byte {start + error.start} (line "
                f"{lines_before + (rest + seen).count(chr(10)) + 1}): {error.reason}; convert it "
                "to UTF-8 or give its encoding (--encoding gbk, for example)"
            ) from None
        if first and text:
            text, first = text.removeprefix("\ufeff"), False
        nul = text.find("\x00")
        if nul >= 0:
            raise TextInputError(
                f"{name}: a NUL character at line "
                f"{lines_before + (rest + text[:nul]).count(chr(10)) + 1} (near byte "
                f"{start + len(text[:nul].encode(encoding, 'replace'))}): this looks like a binary "
                "file, not text (UTF-16 text needs --encoding utf-16)"
            )
        offset += len(block)
        text = rest + text
        end = text.rfind("\n")
        if end >= 0:
            whole, rest = text[:end], text[end + 1:]
            lines_before += whole.count("\n") + 1
            yield whole.replace("\r\n", "\n").removesuffix("\r")
        else:
            rest = text
        if not block:
            break
    if rest:
        yield rest.removesuffix("\r")


def text_lines(handle: BinaryIO, name: str, encoding: str = "utf-8",
               block_size: int = 1 << 20) -> Iterator[str]:
    """Decode ``handle`` (a binary file or stream) strictly and yield its lines without newlines.

    Lines end at ``\\n`` (a ``\\r`` before it is dropped); see :func:`text_blocks`.
    """
    for block in text_blocks(handle, name, encoding, block_size):
        yield from block.split("\n")


def check_input_file(path: str | os.PathLike, what: str = "text file") -> str:
    """``path`` as a string when it is a readable file, else ``FileNotFoundError``,
    ``IsADirectoryError`` or ``PermissionError`` with a message that says so.

    >>> try:
    ...     check_input_file("/")
    ... except IsADirectoryError as error:
    ...     print(error)
    / is a folder, not a text file; give the text files inside it
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        raise IsADirectoryError(f"{path} is a folder, not a {what}; give the text files inside it")
    if not os.path.exists(path):
        raise FileNotFoundError(f"{what} not found: {path}")
    if not os.access(path, os.R_OK):
        raise PermissionError(f"{path}: permission denied; cannot read this {what}")
    return path


def file_lines(path: str | os.PathLike, encoding: str = "utf-8") -> Iterator[str]:
    """The lines of the text file ``path`` (see :func:`text_lines`)."""
    with open(path, "rb") as handle:
        yield from text_lines(handle, os.fspath(path), encoding)


def file_blocks(path: str | os.PathLike, encoding: str = "utf-8") -> Iterator[str]:
    """The text file ``path`` in blocks of whole lines (see :func:`text_blocks`)."""
    with open(path, "rb") as handle:
        yield from text_blocks(handle, os.fspath(path), encoding)


def stdin_lines(encoding: str = "utf-8") -> Iterator[str]:
    """The lines of standard input, decoded strictly (its bytes, not the locale's text layer)."""
    import sys

    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is None:  # already text (a StringIO in tests, an embedding application)
        yield from (line.rstrip("\r\n") for line in sys.stdin)
    else:
        yield from text_lines(buffer, "standard input", encoding)
