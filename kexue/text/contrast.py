"""Domain terms by corpus contrast, and term expansion from seed words.

A word is a domain term when it is much more frequent in the domain corpus
than in a general one. With counts ``c_d, c_g``, totals ``N_d, N_g`` and a
vocabulary of ``V`` words, the score is the log ratio of add-``α`` smoothed
relative frequencies (so corpora of different sizes compare fairly):

    score(w) = log((c_d + α) / (N_d + αV)) - log((c_g + α) / (N_g + αV)).

Seed expansion grows a term set over word vectors breadth first: a word found
at depth ``d`` must have cosine similarity at least
``min + (max - min)(1 - e^(-α·d))`` with the word it was reached from, a
threshold that rises with depth so the set cannot drift away from the seeds.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from kexue.text.vectors import WordVectors


@dataclass(frozen=True)
class Term:
    word: str
    score: float
    domain_count: int
    general_count: int


def count_words(sentences: Iterable[Sequence[str]]) -> Counter:
    """Word counts of tokenised sentences."""
    counts: Counter = Counter()
    for sentence in sentences:
        counts.update(sentence)
    return counts


def domain_terms(
    domain: Mapping[str, int],
    general: Mapping[str, int],
    smoothing: float = 1.0,
    min_count: int = 2,
    filter_fn=None,
) -> list[Term]:
    """Rank the words of ``domain`` by their smoothed frequency ratio against ``general``.

    Args:
        domain, general: word counts of the two corpora.
        smoothing: α, added to every count (α > 0 keeps words absent from one corpus finite).
        min_count: fewest domain occurrences of a ranked word.
        filter_fn: optional predicate on words (e.g. "two or more Chinese characters").

    Example:
        >>> terms = domain_terms({"卷积": 30, "的": 500, "网络": 40}, {"的": 5000, "网络": 20, "卷积": 0})
        >>> [t.word for t in terms]
        ['卷积', '网络', '的']
    """
    if smoothing <= 0:
        raise ValueError(f"smoothing must be positive, got {smoothing}")
    vocabulary = set(domain) | set(general)
    n_domain, n_general = sum(domain.values()), sum(general.values())
    if n_domain == 0 or n_general == 0:
        raise ValueError("both corpora need at least one counted word")
    log_dom = math.log(n_domain + smoothing * len(vocabulary))
    log_gen = math.log(n_general + smoothing * len(vocabulary))
    terms = []
    for word, count in domain.items():
        if count < min_count or (filter_fn is not None and not filter_fn(word)):
            continue
        other = general.get(word, 0)
        score = (
            math.log(count + smoothing)
            - log_dom
            - math.log(other + smoothing)
            + log_gen
        )
        terms.append(Term(word, score, int(count), int(other)))
    terms.sort(key=lambda t: (-t.score, -t.domain_count, t.word))
    return terms


def depth_threshold(
    depth: int, min_similarity: float, max_similarity: float, alpha: float
) -> float:
    """``min + (max - min)(1 - e^(-α·depth))``.

    Example:
        >>> depth_threshold(0, 0.5, 0.9, 1.0), round(depth_threshold(50, 0.5, 0.9, 1.0), 6)
        (0.5, 0.9)
    """
    return min_similarity + (max_similarity - min_similarity) * (
        1.0 - math.exp(-alpha * depth)
    )


def expand_seeds(
    seeds: Sequence[str],
    vectors: WordVectors,
    min_similarity: float = 0.5,
    max_similarity: float = 0.9,
    alpha: float = 0.5,
    max_depth: int = 5,
    topn: int = 20,
    max_terms: int | None = None,
) -> dict[str, int]:
    """Grow a term set from ``seeds`` over word vectors; returns ``{word: depth}``.

    Each word at depth ``d - 1`` proposes its ``topn`` nearest neighbours; a
    neighbour joins at depth ``d`` when its cosine similarity reaches
    ``depth_threshold(d, ...)``.

    Example:
        >>> import numpy as np
        >>> wv = WordVectors(list("abcd"), np.array([[1, 0], [0.95, 0.3], [0.5, 0.87], [-0.5, 0.87]]))
        >>> expand_seeds(["a"], wv, min_similarity=0.6, max_similarity=0.95, alpha=0.2)
        {'a': 0, 'b': 1, 'c': 2}
    """
    if not seeds:
        raise ValueError("give at least one seed word")
    if not -1 <= min_similarity <= max_similarity <= 1:
        raise ValueError(
            f"need -1 <= min_similarity <= max_similarity <= 1, got {min_similarity}, {max_similarity}"
        )
    missing = [s for s in seeds if s not in vectors]
    if missing:
        raise KeyError(f"seed words not in the vocabulary: {missing}")
    found = {seed: 0 for seed in seeds}
    frontier = list(dict.fromkeys(seeds))
    for depth in range(1, max_depth + 1):
        threshold = depth_threshold(depth, min_similarity, max_similarity, alpha)
        next_frontier = []
        for word in frontier:
            for neighbour, similarity in vectors.most_similar(word, topn):
                if similarity < threshold:
                    break
                if neighbour not in found:
                    found[neighbour] = depth
                    next_frontier.append(neighbour)
                    if max_terms is not None and len(found) >= max_terms:
                        return found
        if not next_frontier:
            break
        frontier = next_frontier
    return found
