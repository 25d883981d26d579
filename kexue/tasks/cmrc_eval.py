"""The official CMRC 2018 evaluation (``cmrc2018_evaluate.py`` v5): exact match and F1 of
predicted answers against the reference answers, per question the best over the references.

Both sides are lower-cased and stripped. **EM** compares them after deleting the evaluation's
punctuation list (``- : _ * ^ / \\ ~ ` + =`` and ``，。：？！“”；’《》·、「」（）－～『』``; note
that half-width ``, . ? !`` and the left quote ``‘`` are *not* in it). **F1** cuts each side
into segments, every CJK ideograph (U+4E00..U+9FA5) alone and every other run of characters
by the Penn Treebank word rules (the official script calls ``nltk.word_tokenize``; here
:func:`treebank_words` implements those rules, minus NLTK's sentence splitting of long runs),
with the punctuation list deleted first; the longest common *contiguous* run of segments gives
precision and recall. Scores are fractions (the official script prints percentages).

Example:
    >>> em("“北京”。", ["北京"]), round(f1("北京大学", ["北京"]), 4)
    (1, 0.6667)
    >>> mixed_segmentation("2018年的Apple Inc.")
    ['2018', '年', '的', 'apple', 'inc', '.']
"""

from __future__ import annotations

import re
from typing import Iterable, Sequence

__all__ = ["PUNCTUATION", "mixed_segmentation", "remove_punctuation", "treebank_words",
           "longest_common_run", "em", "f1", "evaluate"]

PUNCTUATION = frozenset(["-", ":", "_", "*", "^", "/", "\\", "~", "`", "+", "=",
                         "，", "。", "：", "？", "！", "“", "”", "；", "’", "《", "》", "……", "·",
                         "、", "「", "」", "（", "）", "－", "～", "『", "』"])

# the Penn Treebank rules (as NLTK's word tokenizer applies them), in order
_BEFORE = [(re.compile(r"([«“‘„]|`+)"), r" \1 "), (re.compile(r'^"'), "``"),
           (re.compile(r"(``)"), r" \1 "), (re.compile(r"([ (\[{<])(\"|'{2})"), r"\1 `` "),
           (re.compile(r"(?i)(?<!\w)(')(?!(?:re|ve|ll|m|t|s|d|n)\b)(?=\w)"), r"\1 ")]
_PUNCT = [(re.compile(r"([^.])(\.)([\])}>\"'»”’ ]*)\s*$"), r"\1 \2 \3 "),
          (re.compile(r"([:,])([^\d])"), r" \1 \2"), (re.compile(r"([:,])$"), r" \1 "),
          (re.compile(r"\.{2,}"), r" \g<0> "), (re.compile(r"[;@#$%&]"), r" \g<0> "),
          (re.compile(r"[\u2012-\u2015]"), r" \g<0> "),
          (re.compile(r"([^.])(\.)([\])}>\"']*)\s*$"), r"\1 \2\3 "),
          (re.compile(r"[?!]"), r" \g<0> "), (re.compile(r"([^'])' "), r"\1 ' "),
          (re.compile(r"[*]"), r" \g<0> "), (re.compile(r"[\][(){}<>]"), r" \g<0> "),
          (re.compile(r"--"), r" -- ")]
_AFTER = [(re.compile(r"([»”’])"), r" \1 "), (re.compile(r"''"), " '' "), (re.compile(r'"'), " '' "),
          (re.compile(r"\s+"), " "), (re.compile(r"([^' ])('[sS]|'[mM]|'[dD]|') "), r"\1 \2 "),
          (re.compile(r"([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) "), r"\1 \2 ")]
_SPLIT_WORDS = [re.compile(p) for p in (
    r"(?i)\b(can)(not)\b", r"(?i)\b(d)('ye)\b", r"(?i)\b(gim)(me)\b", r"(?i)\b(gon)(na)\b",
    r"(?i)\b(got)(ta)\b", r"(?i)\b(lem)(me)\b", r"(?i)\b(more)('n)\b", r"(?i)\b(wan)(na)(?=\s)",
    r"(?i) ('t)(is)\b", r"(?i) ('t)(was)\b")]
_CJK = re.compile(r"[\u4e00-\u9fa5]")


def treebank_words(text: str) -> list[str]:
    """Penn Treebank words of a (non-Chinese) run of text.

    >>> treebank_words('He said "2,000 (approx.)" isn\\'t $5.')
    ['He', 'said', '``', '2,000', '(', 'approx.', ')', "''", 'is', "n't", '$', '5', '.']
    """
    for rules in (_BEFORE, _PUNCT):
        for pattern, replacement in rules:
            text = pattern.sub(replacement, text)
    text = f" {text} "
    for pattern, replacement in _AFTER:
        text = pattern.sub(replacement, text)
    for pattern in _SPLIT_WORDS:
        text = pattern.sub(r" \1 \2 ", text)
    return text.split()


def mixed_segmentation(text: str, remove_punct: bool = False) -> list[str]:
    """Lower-cased segments: CJK ideographs and punctuation-list characters alone, other runs
    by :func:`treebank_words`; ``remove_punct`` drops the punctuation list first."""
    segments, run = [], ""
    for char in str(text).lower().strip():
        if remove_punct and char in PUNCTUATION:
            continue
        if _CJK.match(char) or char in PUNCTUATION:
            if run:
                segments += treebank_words(run)
                run = ""
            segments.append(char)
        else:
            run += char
    if run:
        segments += treebank_words(run)
    return segments


def remove_punctuation(text: str) -> str:
    """The lower-cased, stripped text without the punctuation list."""
    return "".join(c for c in str(text).lower().strip() if c not in PUNCTUATION)


def longest_common_run(a: Sequence, b: Sequence) -> int:
    """The length of the longest common contiguous run of two sequences."""
    best, previous = 0, [0] * (len(b) + 1)
    for x in a:
        current = [0] * (len(b) + 1)
        for j, y in enumerate(b):
            if x == y:
                current[j + 1] = previous[j] + 1
                best = max(best, current[j + 1])
        previous = current
    return best


def em(prediction: str, answers: Iterable[str]) -> int:
    """1 when the prediction equals a reference answer up to case, outer space and punctuation."""
    ours = remove_punctuation(prediction)
    return int(any(remove_punctuation(answer) == ours for answer in answers))


def f1(prediction: str, answers: Iterable[str]) -> float:
    """The best F1 over the references of the longest common run of segments."""
    ours = mixed_segmentation(prediction, remove_punct=True)
    best = 0.0
    for answer in answers:
        theirs = mixed_segmentation(answer, remove_punct=True)
        common = longest_common_run(theirs, ours)
        if common:
            precision, recall = common / len(ours), common / len(theirs)
            best = max(best, 2 * precision * recall / (precision + recall))
    return best


def evaluate(predictions: Sequence[str], references: Sequence[Sequence[str]]) -> dict:
    """``{"em", "f1", "average", "count"}`` over questions (fractions, not percentages); a
    missing answer is an empty string and scores 0."""
    if len(predictions) != len(references):
        raise ValueError(f"{len(predictions)} predictions for {len(references)} questions.")
    if not references:
        raise ValueError("no questions to evaluate.")
    exact = sum(em(p, r) for p, r in zip(predictions, references)) / len(references)
    overlap = sum(f1(p, r) for p, r in zip(predictions, references)) / len(references)
    return {"em": exact, "f1": overlap, "average": (exact + overlap) / 2, "count": len(references)}
