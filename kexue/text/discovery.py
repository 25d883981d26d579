"""Unsupervised new-word discovery by cutting and de-redundancy (the nlp zero design).

1. Count units (characters, with numbers and Latin runs as atoms) and adjacent
   unit pairs over the whole corpus.
2. A pair is *strong* when it occurs at least ``min_count`` times, its
   probability exceeds ``min_proba`` and its pointwise mutual information
   ``log p(ab) / (p(a) p(b))`` exceeds ``min_pmi``.
3. Cut the corpus between every two units that do not form a strong pair; the
   pieces are candidate words. Pieces longer than ``max_length + 2`` are cut
   again at their weakest link (lowest PMI) until none is longer. Keep the
   pieces seen ``min_count`` times with probability above ``min_proba``.
4. De-redundancy, longest candidates first: a candidate is split back into the
   sub-words the current lexicon segments it into, unless
   ``log p(w) - Σ log p(sub)`` reaches ``margin * (len(w) - 1)``, or when it is
   longer than ``max_length`` units; its count then goes to its sub-words.

The margin is derived from the corpus (:mod:`kexue.text.cohesion`):
``margin_scale`` times the cohesion of its two-character candidates, so a
genre whose characters bind loosely (classical and vernacular novels) is not
held to the standard of one whose characters bind tightly (news). Give
``split_margin`` to fix it instead. nlp zero 0.1.6 is ``min_proba=1e-5,
min_pmi=1, split_margin=1, max_length=None, min_count=1``. See
``docs/text/new_words.md`` for how the defaults were chosen, on news, web
reviews and two novels.

Both passes stream the corpus in chunks of coded text (kept in memory between
the passes when the corpus is small); counting and cutting are NumPy sorts and
lookups, only the lexicon is handled in Python.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable, Sequence
from functools import partial

import numpy as np

from kexue.text.cohesion import MIN_PAIRS, cohesion
from kexue.text.corpus import Lines, as_lines
from kexue.text.candidates import Candidates
from kexue.text.counting import (
    SEPARATOR_CODE,
    PairCounter,
    PairSet,
    fragments,
    split_long,
)
from kexue.text.dedup import deduplicate, deduplicate_candidates
from kexue.text.segmenter import WordSegmenter
from kexue.text.units import LATIN, NUMBER, chunks_of

Corpus = Lines | Sequence[str] | Callable[[], Iterable[str]] | Iterable[str]
MARGIN_SCALE = 0.69
DEFAULT_COHESION = 5.8  # People's Daily's: used when a corpus has too few two-character candidates
KEEP_CODES = 1 << 25  # coded units kept in memory between the two passes (128 MiB)


def _progress(iterable, enabled: bool, desc: str):
    if not enabled:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, desc=desc, unit="chunk")


class _CodedPasses:
    """The corpus as coded chunks, iterable twice: the first pass keeps the chunks in memory
    when they total at most ``keep`` units, so the second pass does not read and code again."""

    def __init__(self, lines: Lines, chunk_chars: int, keep: int = KEEP_CODES) -> None:
        self.lines, self.chunk_chars, self.keep = lines, chunk_chars, keep
        self.kept: list[np.ndarray] | None = None

    def __iter__(self):
        if self.kept is not None:
            yield from self.kept
            return
        kept, size = [], 0
        for codes in chunks_of(self.lines.blocks(), self.chunk_chars):  # no per-line work
            size += codes.size
            if size <= self.keep:
                kept.append(codes)
            yield codes
        if size <= self.keep:
            self.kept = kept


class WordDiscovery:
    """Find the words of a raw Chinese corpus without a dictionary.

    Args:
        min_proba: lowest probability of a strong pair and of a kept word.
        min_pmi: lowest pointwise mutual information (nats) of a strong pair.
        split_margin: nats per extra unit a word must gain over its split
            (``None``: ``margin_scale`` times the corpus's cohesion, see
            :mod:`kexue.text.cohesion`; the value used is ``margin_`` after ``fit``).
        max_length: longest word in units (``None``: no limit).
        min_count: fewest occurrences of a strong pair and of a kept candidate.
        margin_scale: the derived margin in units of the corpus's cohesion.
        chunk_chars: characters coded and counted at once (bounds memory).
        progress: show a progress bar per pass (tqdm).

    Example: random text made of twelve words gives back exactly those words.

        >>> import random
        >>> rng = random.Random(0)
        >>> vocabulary = ["天安门", "北京", "我们", "喜欢", "太阳", "人民", "广场", "上午",
        ...               "看见", "红旗", "的", "在"]
        >>> lines = ["".join(rng.choices(vocabulary, k=8)) for _ in range(500)]
        >>> finder = WordDiscovery().fit(lines)
        >>> sorted(finder.words) == sorted(vocabulary)
        True
        >>> finder.segmenter().tokenize("我们在北京看见天安门")
        ['我们', '在', '北京', '看见', '天安门']
    """

    def __init__(
        self,
        min_proba: float = 1e-6,
        min_pmi: float = 0.5,
        split_margin: float | None = None,
        max_length: int | None = 4,
        min_count: int = 2,
        margin_scale: float = MARGIN_SCALE,
        chunk_chars: int = 1 << 22,
        progress: bool = False,
    ) -> None:
        if not 0.0 < min_proba < 1.0:
            raise ValueError(f"min_proba must lie in (0, 1), got {min_proba}")
        if chunk_chars < 1:
            raise ValueError(f"chunk_chars must be positive, got {chunk_chars}")
        if max_length is not None and max_length < 1:
            raise ValueError(
                f"max_length must be at least 1 (or None), got {max_length}"
            )
        if not math.isfinite(min_pmi):
            raise ValueError(f"min_pmi must be a finite number of nats, got {min_pmi}")
        if split_margin is not None and not (math.isfinite(split_margin) and split_margin >= 0):
            raise ValueError(f"split_margin must be a finite number >= 0 (or None), got {split_margin}")
        if not (math.isfinite(margin_scale) and margin_scale > 0):
            raise ValueError(f"margin_scale must be a positive number, got {margin_scale}")
        if min_count < 1:
            raise ValueError(f"min_count must be at least 1, got {min_count}")
        self.min_proba = float(min_proba)
        self.min_pmi = float(min_pmi)
        self.split_margin = None if split_margin is None else float(split_margin)
        self.max_length = max_length
        self.min_count = int(min_count)
        self.margin_scale = float(margin_scale)
        self.chunk_chars = int(chunk_chars)
        self.progress = progress
        self.counter = PairCounter()
        self.words: dict[str, int] = {}
        self.cohesion_: float | None = None
        self.margin_: float | None = None

    def fit(self, corpus: Corpus) -> WordDiscovery:
        """Learn the lexicon from ``corpus`` (read twice, streamed)."""
        passes = _CodedPasses(as_lines(corpus), self.chunk_chars)
        self.count(passes)
        candidates = self.filter_rare(self.cut(passes, *self.strong_pairs()))
        self.margin_ = self.margin(candidates)
        self.words = deduplicate_candidates(candidates, self.margin_, self.max_length).to_dict()
        return self

    def margin(self, candidates: Candidates) -> float:
        """The de-redundancy margin for these candidates: ``split_margin`` when given, else
        ``margin_scale`` times their cohesion (also stored as ``cohesion_``)."""
        if self.split_margin is not None:
            return self.split_margin
        measured = cohesion(candidates, min_pairs=MIN_PAIRS)
        self.cohesion_ = DEFAULT_COHESION if measured is None else max(measured, 0.0)
        return self.margin_scale * self.cohesion_

    def count(self, lines: Iterable[str] | _CodedPasses) -> PairCounter:
        """Pass 1: unit and pair counts."""
        self.counter = PairCounter()
        chunks = lines if isinstance(lines, _CodedPasses) else chunks_of(lines, self.chunk_chars)
        for codes in _progress(chunks, self.progress, "counting pairs"):
            self.counter.update(codes)
        if not self.counter.counts.size:
            raise ValueError(
                "the corpus has no two adjacent Chinese characters to learn from"
            )
        return self.counter

    def strong_pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """Sorted keys of the pairs that pass the three thresholds, and their PMI."""
        counter = self.counter
        log_units = np.log(np.maximum(counter.unit_counts, 1)) - math.log(
            counter.unit_counts.sum()
        )
        log_pairs = np.log(counter.counts) - math.log(counter.counts.sum())
        first, second = counter.pair_members()
        pmi = log_pairs - log_units[first] - log_units[second]
        keep = ((counter.counts >= self.min_count) & (log_pairs > math.log(self.min_proba))
                & (pmi > self.min_pmi))
        return counter.keys[keep], pmi[keep]

    def cut(
        self, lines: Iterable[str] | _CodedPasses, strong: np.ndarray,
        pmi: np.ndarray | None = None
    ) -> Candidates:
        """Pass 2: cut between units that are not strong pairs (keys ``strong``,
        strengths ``pmi`` used to split pieces longer than ``max_length + 2``); count
        the pieces."""
        candidates = Candidates()
        pairs = PairSet(strong, pmi)
        longest = None if self.max_length is None else self.max_length + 2
        chunks = lines if isinstance(lines, _CodedPasses) else chunks_of(lines, self.chunk_chars)
        for codes in _progress(chunks, self.progress, "cutting"):
            is_unit = codes != SEPARATOR_CODE
            link = pairs.linked(codes)
            link &= is_unit[:-1]
            link &= is_unit[1:]
            if longest is not None:
                link = split_long(is_unit, link, partial(pairs.between, codes), longest)
            candidates.merge(fragments(codes, link))
        return candidates

    def filter_rare(self, candidates: Candidates) -> Candidates:
        """Keep candidates whose probability exceeds ``min_proba`` and that occur ``min_count`` times."""
        least = max(self.min_proba * candidates.total(), self.min_count - 0.5)
        return candidates.filtered(least)

    @staticmethod
    def deduplicate(
        words: dict[str, int], split_margin: float = 1.0, max_length: int | None = None
    ) -> dict[str, int]:
        """Split back, longest first, every word that does not beat its own
        segmentation by ``split_margin * (len - 1)`` nats or is too long
        (:func:`kexue.text.dedup.deduplicate`).

        Example:
            >>> sorted(WordDiscovery.deduplicate({"ab": 2, "a": 50, "b": 50}).items())
            [('a', 52), ('b', 52)]
        """
        return deduplicate(words, split_margin, max_length)

    def segmenter(self, unknown_score: float = -100.0) -> WordSegmenter:
        """A :class:`WordSegmenter` over the discovered lexicon."""
        if not self.words:
            raise RuntimeError("no lexicon yet: call fit(corpus) first")
        return WordSegmenter(self.words, unknown_score=unknown_score)

    def tokenizer(self, unknown_score: float = -100.0) -> WordSegmenter:
        """Deprecated name of :meth:`segmenter` (kexue 0.1); it warns and goes in kexue 0.3."""
        warnings.warn("WordDiscovery.tokenizer() is now segmenter(); the old name goes in "
                      "kexue 0.3.", FutureWarning, stacklevel=2)
        return self.segmenter(unknown_score)

    def most_common(
        self, n: int | None = None, min_length: int = 1
    ) -> list[tuple[str, int]]:
        """Discovered words (numbers and Latin runs shown as placeholders), most frequent first."""
        ranked = sorted(self.words.items(), key=lambda item: (-item[1], item[0]))
        ranked = [(w, c) for w, c in ranked if len(w) >= min_length]
        return ranked[:n] if n is not None else ranked


def discover_words(corpus: Corpus, progress: bool = False, **options) -> WordSegmenter:
    """Learn a lexicon from ``corpus`` and return a segmenter over it
    (``options`` are those of :class:`WordDiscovery`).

    Example:
        >>> import random
        >>> rng = random.Random(1)
        >>> lines = ["".join(rng.choices(["机器", "学习", "很", "有趣", "我们"], k=6))
        ...          for _ in range(300)]
        >>> tokenizer = discover_words(lines)
        >>> tokenizer.tokenize("我们学习机器学习")
        ['我们', '学习', '机器', '学习']
    """
    return WordDiscovery(progress=progress, **options).fit(corpus).segmenter()


def is_pattern(word: str) -> bool:
    """True for lexicon entries holding a number or Latin placeholder."""
    return NUMBER in word or LATIN in word
