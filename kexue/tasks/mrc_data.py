"""Reading-comprehension data for the ``mrc`` recipe: SQuAD-style questions (CMRC 2018), the
passage windows a long context is cut into, and the answer-must-be-a-substring decoding
constraint.

A context longer than a window is read as several overlapping windows (half a window apart),
the "passages" that the post's vote combines; an answer is the tokens of one window, so it
maps back to the context exactly through the tokenizer's offsets.

Example:
    >>> windows("一二三四五六七", 4)
    [(0, 4), (2, 6), (4, 7)]
    >>> next_tokens([5, 6, 5, 7], ())          # any passage token may start the answer
    {5, 6, 7}
    >>> next_tokens([5, 6, 5, 7], (5,))        # after 5 come 6 or 7
    {6, 7}
    >>> round(vote([0.9, 0.2]), 4), round(vote([0.6]), 4)    # (0.81 + 0.04) / 2.1, 0.36 / 1.6
    (0.4048, 0.225)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from kexue.tasks.data import DataError, _open_text

__all__ = ["Question", "read_questions", "windows", "next_tokens", "vote"]


@dataclass(frozen=True)
class Question:
    """A question about a context; ``answers`` are reference texts (``None``: unlabelled) and
    ``start`` the first answer's character offset in the context (``-1`` when unknown)."""

    qid: str
    question: str
    context: str
    answers: tuple | None
    start: int = -1
    where: str = ""


def _squad(path: Path, data, labelled: bool) -> list[Question]:
    out = []
    for article in data:
        for paragraph in article.get("paragraphs", []):
            context = paragraph.get("context")
            for qa in paragraph.get("qas", []):
                where = f"{path}: question {qa.get('id')!r}"
                if not isinstance(context, str) or not isinstance(qa.get("question"), str):
                    raise DataError(f"{where}: a paragraph needs a \"context\" and each qa a \"question\".")
                answers, start = None, -1
                if labelled:
                    listed = qa.get("answers") or []
                    answers = tuple(a["text"] for a in listed if isinstance(a, dict) and a.get("text"))
                    if not answers:
                        raise DataError(f"{where}: no answer text; give \"answers\": [{{\"text\", "
                                        "\"answer_start\"}].")
                    start = int(listed[0].get("answer_start", -1))
                    if context[start:start + len(answers[0])] != answers[0]:
                        start = context.find(answers[0])
                out.append(Question(str(qa.get("id", len(out))), qa["question"], context, answers,
                                    start, where))
    return out


def read_questions(path, labelled: bool = True) -> list[Question]:
    """SQuAD-style JSON (``{"data": [{"paragraphs": [{"context", "qas"}]}]}``) or JSON lines
    ``{"id", "question", "context", "answers": [text, ...]}``."""
    path = Path(path)
    lines = list(_open_text(path))
    text = "\n".join(line for _, line in lines)
    try:
        whole = json.loads(text)
    except json.JSONDecodeError:
        whole = None
    if isinstance(whole, dict) and isinstance(whole.get("data"), list):
        out = _squad(path, whole["data"], labelled)
    else:
        out = []
        for number, line in lines:
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise DataError(f"{where}: neither SQuAD-style JSON nor a JSON line ({error.msg}).") from None
            if not isinstance(record, dict) or not all(isinstance(record.get(k), str)
                                                       for k in ("question", "context")):
                raise DataError(f"{where}: expected {{\"question\", \"context\", \"answers\"}}.")
            answers = None
            if labelled:
                answers = tuple(a if isinstance(a, str) else a.get("text", "")
                                for a in record.get("answers") or [])
                if not answers or not all(answers):
                    raise DataError(f"{where}: \"answers\" must list the answer texts.")
            start = record["context"].find(answers[0]) if answers else -1
            out.append(Question(str(record.get("id", number)), record["question"], record["context"],
                                answers, start, where))
    if not out:
        raise DataError(f"{path} is empty: it holds no questions.")
    return out


def windows(context: str, size: int) -> list[tuple[int, int]]:
    """Character ranges of ``size`` starting every ``size // 2`` characters, covering the text."""
    step = max(size // 2, 1)
    out, start = [], 0
    while True:
        out.append((start, min(start + size, len(context))))
        if start + size >= len(context):
            return out
        start += step


def next_tokens(passage: Sequence[int], prefix: tuple) -> set[int]:
    """The tokens that may follow ``prefix`` so that it stays a contiguous run of ``passage``."""
    n = len(prefix)
    return {passage[i + n] for i in range(len(passage) - n) if tuple(passage[i:i + n]) == prefix}


def vote(scores: Sequence[float]) -> float:
    """The post's combination of one answer's scores across passages: Σs² / (Σs + 1)."""
    return sum(s * s for s in scores) / (sum(scores) + 1.0)
