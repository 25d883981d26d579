"""Unsupervised new-word discovery by cutting and de-redundancy (the nlp zero design).

1. Count units (characters, with numbers and Latin runs as atoms) and adjacent
   unit pairs over the whole corpus.
2. A pair is *strong* when its probability exceeds ``min_proba`` and its
   pointwise mutual information ``log p(ab) / (p(a) p(b))`` exceeds ``min_pmi``.
3. Cut the corpus between every two units that do not form a strong pair; the
   pieces are candidate words. Pieces longer than ``max_length`` are cut again
   at their weakest link (lowest PMI) until none is longer. Keep the pieces
   with probability above ``min_proba``.
4. De-redundancy, longest candidates first: a candidate is split back into the
   sub-words the current lexicon segments it into, unless
   ``log p(w) - Σ log p(sub)`` reaches ``split_margin * (len(w) - 1)``, or
   when it is longer than ``max_length`` units; its count then goes to its
   sub-words.

nlp zero 0.1.6 is ``min_proba=1e-5, min_pmi=1, split_margin=1,
max_length=None``. Our defaults (``1e-6, 0.5, 4, 4``) were chosen on lines
5,001-8,000 of People's Daily 1998-01 (see ``docs/text/new_words.md``): a
lower pair threshold lets more candidates through, and the stricter margin
splits the compounds ("国家主席", "的问候") that a unigram lexicon otherwise
keeps whole.

Both passes stream the corpus in chunks of coded text; counting and cutting are
NumPy sorts and lookups, only the (small) lexicon is handled in Python.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from kexue.text.corpus import Lines, as_lines
from kexue.text.counting import (
    SEPARATOR_CODE,
    PairCounter,
    PairSet,
    add_counts,
    count_fragments,
    pair_keys,
    split_long,
)
from kexue.text.dedup import _Deduplicator
from kexue.text.tokenizer import Tokenizer
from kexue.text.units import LATIN, NUMBER, chunks_of

Corpus = Lines | Sequence[str] | Callable[[], Iterable[str]] | Iterable[str]


def _progress(iterable, enabled: bool, desc: str):
    if not enabled:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, desc=desc, unit="chunk")


class WordDiscovery:
    """Find the words of a raw Chinese corpus without a dictionary.

    Args:
        min_proba: lowest probability of a strong pair and of a kept word.
        min_pmi: lowest pointwise mutual information (nats) of a strong pair.
        split_margin: nats per extra unit a word must gain over its split.
        max_length: longest word in units (``None``: no limit).
        min_count: fewest occurrences of a kept candidate.
        chunk_chars: characters coded and counted at once (bounds memory).
        progress: show a progress bar per pass (tqdm).

    Example:
        >>> lines = ["我爱北京天安门", "天安门上太阳升", "北京欢迎你", "我爱太阳"] * 50
        >>> finder = WordDiscovery(min_proba=1e-3, min_pmi=1.0, split_margin=1.0).fit(lines)
        >>> finder.tokenizer().tokenize("我爱天安门")
        ['我爱', '天安门']
    """

    def __init__(
        self,
        min_proba: float = 1e-6,
        min_pmi: float = 0.5,
        split_margin: float = 4.0,
        max_length: int | None = 4,
        min_count: int = 2,
        chunk_chars: int = 1 << 22,
        progress: bool = False,
    ) -> None:
        if not 0.0 < min_proba < 1.0:
            raise ValueError(f"min_proba must lie in (0, 1), got {min_proba}")
        if chunk_chars < 1:
            raise ValueError(f"chunk_chars must be positive, got {chunk_chars}")
        self.min_proba = float(min_proba)
        if max_length is not None and max_length < 1:
            raise ValueError(
                f"max_length must be at least 1 (or None), got {max_length}"
            )
        if not math.isfinite(min_pmi):
            raise ValueError(f"min_pmi must be a finite number of nats, got {min_pmi}")
        if not (math.isfinite(split_margin) and split_margin >= 0):
            raise ValueError(f"split_margin must be a finite number >= 0, got {split_margin}")
        if min_count < 1:
            raise ValueError(f"min_count must be at least 1, got {min_count}")
        self.min_pmi = float(min_pmi)
        self.split_margin = float(split_margin)
        self.max_length = max_length
        self.min_count = int(min_count)
        self.chunk_chars = int(chunk_chars)
        self.progress = progress
        self.counter = PairCounter()
        self.words: dict[str, int] = {}

    def fit(self, corpus: Corpus) -> WordDiscovery:
        """Learn the lexicon from ``corpus`` (read twice, streamed)."""
        lines = as_lines(corpus)
        self.count(lines)
        candidates = self.cut(lines, *self.strong_pairs())
        self.words = self.deduplicate(
            self.filter_rare(candidates), self.split_margin, self.max_length
        )
        return self

    def count(self, lines: Iterable[str]) -> PairCounter:
        """Pass 1: unit and pair counts."""
        self.counter = PairCounter()
        for codes in _progress(
            chunks_of(lines, self.chunk_chars), self.progress, "counting pairs"
        ):
            self.counter.update(codes)
        if not self.counter.counts.size:
            raise ValueError(
                "the corpus has no two adjacent Chinese characters to learn from"
            )
        return self.counter

    def strong_pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """Sorted keys of the pairs that pass both thresholds, and their PMI."""
        counter = self.counter
        log_units = np.log(np.maximum(counter.unit_counts, 1)) - math.log(
            counter.unit_counts.sum()
        )
        log_pairs = np.log(counter.counts) - math.log(counter.counts.sum())
        first, second = counter.pair_members()
        pmi = log_pairs - log_units[first] - log_units[second]
        keep = (log_pairs > math.log(self.min_proba)) & (pmi > self.min_pmi)
        return counter.keys[keep], pmi[keep]

    def cut(
        self, lines: Iterable[str], strong: np.ndarray, pmi: np.ndarray | None = None
    ) -> dict[str, int]:
        """Pass 2: cut between units that are not strong pairs (keys ``strong``,
        strengths ``pmi`` used to split long pieces); count the pieces."""
        candidates: dict[str, int] = {}
        pairs = PairSet(strong, pmi)
        for codes in _progress(
            chunks_of(lines, self.chunk_chars), self.progress, "cutting"
        ):
            keys, valid = pair_keys(codes)
            scores = pairs.lookup(keys)
            link = valid & (scores > -np.inf)
            if self.max_length is not None:
                link = split_long(
                    codes != SEPARATOR_CODE, link, scores.__getitem__, self.max_length
                )
            add_counts(candidates, count_fragments(codes, link))
        return candidates

    def filter_rare(self, candidates: dict[str, int]) -> dict[str, int]:
        """Keep candidates whose probability exceeds ``min_proba`` and that occur ``min_count`` times."""
        total = sum(candidates.values())
        least = max(self.min_proba * total, self.min_count - 0.5)
        return {word: count for word, count in candidates.items() if count > least}

    @staticmethod
    def deduplicate(
        words: dict[str, int], split_margin: float = 1.0, max_length: int | None = None
    ) -> dict[str, int]:
        """Split back, longest first, every word that does not beat its own
        segmentation by ``split_margin * (len - 1)`` nats or is too long.

        Example:
            >>> sorted(WordDiscovery.deduplicate({"ab": 2, "a": 50, "b": 50}).items())
            [('a', 52), ('b', 52)]
        """
        return _Deduplicator(words, split_margin, max_length).run()

    def tokenizer(self, unknown_score: float = -100.0) -> Tokenizer:
        """A :class:`Tokenizer` over the discovered lexicon."""
        if not self.words:
            raise RuntimeError("no lexicon yet: call fit(corpus) first")
        return Tokenizer(self.words, unknown_score=unknown_score)

    def most_common(
        self, n: int | None = None, min_length: int = 1
    ) -> list[tuple[str, int]]:
        """Discovered words (numbers and Latin runs shown as placeholders), most frequent first."""
        ranked = sorted(self.words.items(), key=lambda item: (-item[1], item[0]))
        ranked = [(w, c) for w, c in ranked if len(w) >= min_length]
        return ranked[:n] if n is not None else ranked


def discover_words(corpus: Corpus, progress: bool = False, **options) -> Tokenizer:
    """Learn a lexicon from ``corpus`` and return a tokenizer over it
    (``options`` are those of :class:`WordDiscovery`).

    Example:
        >>> tok = discover_words(["机器学习很有趣", "我爱机器学习", "学习机器"] * 30, split_margin=1.0)
        >>> "机器" in tok and "学习" in tok
        True
    """
    return WordDiscovery(progress=progress, **options).fit(corpus).tokenizer()


def is_pattern(word: str) -> bool:
    """True for lexicon entries holding a number or Latin placeholder."""
    return NUMBER in word or LATIN in word
