"""Scores of generated text against references, on characters: ROUGE-1, ROUGE-2, ROUGE-L
(F1) and BLEU (corpus and smoothed sentence BLEU).

Why our own: ``rouge-score``'s default tokenizer keeps only ``[a-z0-9]`` runs, so a Chinese
title becomes an empty token list and scores 0; ``sacrebleu`` does split Chinese into
characters (``tokenize="zh"``) and our corpus BLEU equals its unsmoothed score on Chinese text
(tested), but it has no ROUGE and no NLTK-style smoothed sentence BLEU, which bert4keras's
title example reports. So the definitions are written out here, in a few lines each, and the
tests check them against hand-computed cases (and BLEU against sacrebleu):

* text is compared as characters: lower-cased, white space removed (a model trained on a
  lower-cased character vocabulary is not penalised for case);
* ROUGE-N (Lin, 2004): overlapping n-grams counted with clipping; recall over the
  reference's n-grams, precision over the candidate's, F1 of the two; averaged over examples
  (an empty candidate or reference scores 0);
* ROUGE-L: the longest common subsequence ``LCS``; recall ``LCS/len(ref)``, precision
  ``LCS/len(cand)``, F1 (β = 1, as ``rouge-score`` reports);
* corpus BLEU (Papineni et al., 2002): clipped n-gram matches and candidate n-gram counts
  summed over the corpus for n = 1..4, the geometric mean of the four precisions, times the
  brevity penalty ``exp(1 - r/c)`` when the total candidate length ``c`` is below the total
  reference length ``r``; 0 when any precision is 0;
* sentence BLEU: the same per example, with NLTK's ``method1`` smoothing (a zero count of
  matches becomes 0.1) as bert4keras's example uses, averaged over examples.

Example:
    >>> scores = generation_scores(["我爱北京天安门"], ["我爱北京的天安门"])
    >>> {k: round(v, 4) for k, v in scores.items()}  # doctest: +NORMALIZE_WHITESPACE
    {'rouge_1': 0.9333, 'rouge_2': 0.7692, 'rouge_l': 0.9333, 'bleu': 0.5154,
     'sentence_bleu': 0.5154, 'exact_match': 0.0}
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Sequence

__all__ = ["characters", "ngrams", "rouge_n", "rouge_l", "lcs_length", "corpus_bleu",
           "sentence_bleu", "generation_scores"]


def characters(text: str) -> list[str]:
    """The characters that are compared: lower-cased, white space removed.

    >>> characters("Deep 学习 ")
    ['d', 'e', 'e', 'p', '学', '习']
    """
    return [c for c in text.lower() if not c.isspace()]


def ngrams(tokens: Sequence[str], n: int) -> Counter:
    """The n-grams of ``tokens`` with their counts."""
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def _f1(overlap: float, candidate: int, reference: int) -> float:
    if overlap == 0 or candidate == 0 or reference == 0:
        return 0.0
    precision, recall = overlap / candidate, overlap / reference
    return 2 * precision * recall / (precision + recall)


def rouge_n(candidate: Sequence[str], reference: Sequence[str], n: int) -> float:
    """ROUGE-N F1 of one candidate token list against one reference."""
    cand, ref = ngrams(candidate, n), ngrams(reference, n)
    overlap = sum((cand & ref).values())
    return _f1(overlap, sum(cand.values()), sum(ref.values()))


def lcs_length(a: Sequence, b: Sequence) -> int:
    """Length of the longest common subsequence (dynamic programming, O(len(a)·len(b))).

    >>> lcs_length("ABCBDAB", "BDCABA")
    4
    """
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0]
        for j, y in enumerate(b):
            current.append(previous[j] + 1 if x == y else max(previous[j + 1], current[j]))
        previous = current
    return previous[-1]


def rouge_l(candidate: Sequence[str], reference: Sequence[str]) -> float:
    """ROUGE-L F1 (β = 1) of one candidate against one reference."""
    return _f1(lcs_length(candidate, reference), len(candidate), len(reference))


def _matches(candidate: Sequence[str], reference: Sequence[str], n: int) -> tuple[int, int]:
    """(clipped matches, candidate n-grams) of order ``n``."""
    cand = ngrams(candidate, n)
    return sum((cand & ngrams(reference, n)).values()), sum(cand.values())


def _bleu(matches: list[float], totals: list[int], cand_len: int, ref_len: int) -> float:
    if cand_len == 0 or any(t == 0 for t in totals) or any(m == 0 for m in matches):
        return 0.0
    log_precision = sum(math.log(m / t) for m, t in zip(matches, totals)) / len(totals)
    brevity = 1.0 if cand_len >= ref_len else math.exp(1 - ref_len / cand_len)
    return brevity * math.exp(log_precision)


def corpus_bleu(candidates: Sequence[Sequence[str]], references: Sequence[Sequence[str]],
                max_order: int = 4) -> float:
    """Corpus BLEU of token lists (one reference each), n-grams up to ``max_order``."""
    matches, totals = [0] * max_order, [0] * max_order
    cand_len = ref_len = 0
    for cand, ref in zip(candidates, references, strict=True):
        cand_len, ref_len = cand_len + len(cand), ref_len + len(ref)
        for n in range(1, max_order + 1):
            m, t = _matches(cand, ref, n)
            matches[n - 1] += m
            totals[n - 1] += t
    return _bleu(matches, totals, cand_len, ref_len)


def sentence_bleu(candidate: Sequence[str], reference: Sequence[str], max_order: int = 4,
                  epsilon: float = 0.1) -> float:
    """Sentence BLEU with NLTK's ``method1`` smoothing: an order with candidate n-grams but no
    match counts ``epsilon`` matches. A candidate shorter than ``max_order`` (an order without
    n-grams) scores 0, as in NLTK."""
    matches, totals = [], []
    for n in range(1, max_order + 1):
        m, t = _matches(candidate, reference, n)
        matches.append(m if m > 0 else epsilon)
        totals.append(t)
    return _bleu(matches, totals, len(candidate), len(reference))


def generation_scores(predictions: Sequence[str], references: Sequence[str]) -> dict[str, float]:
    """ROUGE-1/2/L and sentence BLEU averaged over examples, corpus BLEU, and the exact-match
    rate, all on characters (see the module docstring)."""
    if len(predictions) != len(references) or not references:
        raise ValueError(f"need as many predictions as references (got {len(predictions)} and "
                         f"{len(references)}), and at least one.")
    cands = [characters(p) for p in predictions]
    refs = [characters(r) for r in references]
    count = len(refs)
    return {
        "rouge_1": sum(rouge_n(c, r, 1) for c, r in zip(cands, refs)) / count,
        "rouge_2": sum(rouge_n(c, r, 2) for c, r in zip(cands, refs)) / count,
        "rouge_l": sum(rouge_l(c, r) for c, r in zip(cands, refs)) / count,
        "bleu": corpus_bleu(cands, refs),
        "sentence_bleu": sum(sentence_bleu(c, r) for c, r in zip(cands, refs)) / count,
        "exact_match": sum(c == r for c, r in zip(cands, refs)) / count,
    }
