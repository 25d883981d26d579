"""De-redundancy of candidate words (step 4 of :mod:`kexue.text.discovery`), vectorised.

Candidates are visited by length, longest first. All the words of one length are judged
together against the lexicon as it stands when that length is reached: each is segmented
(dynamic programming over its spans) by the unigram lexicon of all *other* current words, and
it survives when ``log p(w) - Σ log p(part)`` reaches ``split_margin * (len(w) - 1)`` (and it
is not longer than ``max_length``); otherwise it is deleted and its count is added to its
parts. A part of one character that is not a candidate scores ``UNKNOWN`` and becomes one.

Judging a whole length at once makes the result independent of the order of the words (the
one-at-a-time version of nlp zero depends on it through the counts its earlier splits add),
and turns the work into sorts and lookups: one binary search per span and word.

Example:
    >>> words = deduplicate({"ab": 2, "a": 50, "b": 50, "abc": 40, "c": 3}, split_margin=1.0)
    >>> sorted(words.items())
    [('a', 52), ('abc', 40), ('b', 52), ('c', 3)]
"""

from __future__ import annotations

import math

import numpy as np

from kexue.text.candidates import Candidates, Group, pack

UNKNOWN = -100.0


def _span_scores(lexicon: Candidates, rows: np.ndarray, log_total: float) -> dict:
    """``log p`` of every proper span ``(i, j)`` of the rows (``-inf`` when not a word,
    ``UNKNOWN`` for an unknown single unit); the spans of one width are looked up together."""
    n, length = rows.shape
    scores = {}
    for width in range(1, length):  # the word itself is excluded
        starts = range(length - width + 1)
        spans = np.concatenate([rows[:, i : i + width] for i in starts])
        counts = lexicon.count_of(spans).reshape(len(starts), n)
        score = np.full(counts.shape, UNKNOWN if width == 1 else -np.inf)
        present = counts > 0
        score[present] = np.log(counts[present]) - log_total
        scores.update(((i, i + width), score[i]) for i in starts)
    return scores


def best_splits(lexicon: Candidates, rows: np.ndarray, log_total: float):
    """Best segmentation of each row into lexicon words other than itself: the score
    (``Σ log p(part)``) and the back pointers (``back[:, j]`` = start of the part ending at j)."""
    n, length = rows.shape
    scores = _span_scores(lexicon, rows, log_total)
    best = np.full((n, length + 1), -np.inf)
    best[:, 0] = 0.0
    back = np.zeros((n, length + 1), dtype=np.intp)
    for j in range(1, length + 1):
        for i in range(j):
            if (i, j) not in scores:
                continue
            candidate = best[:, i] + scores[i, j]
            better = candidate > best[:, j]
            best[better, j] = candidate[better]
            back[better, j] = i
    return best[:, length], back


def _parts(rows: np.ndarray, back: np.ndarray) -> dict[int, list[tuple[np.ndarray, np.ndarray]]]:
    """The parts of each row along its back pointers: ``{length: [(row index, part rows)]}``."""
    n, length = rows.shape
    parts: dict[int, list] = {}
    end = np.full(n, length)
    owner = np.arange(n)
    while owner.size:
        start = back[owner, end]
        for size in np.flatnonzero(np.bincount(end - start)):
            pick = (end - start) == size
            columns = start[pick, None] + np.arange(size)
            parts.setdefault(int(size), []).append((owner[pick], rows[owner[pick, None], columns]))
        done = start == 0
        owner, end = owner[~done], start[~done]
    return parts


def _add(lexicon: Candidates, length: int, rows: np.ndarray, counts: np.ndarray) -> None:
    """Add ``counts`` to the words ``rows`` of one length, creating the missing ones."""
    group = lexicon.groups.get(length)
    if group is None:
        lexicon.groups[length] = Group.of(rows, counts)
        return
    index, found = group.find(pack(rows))
    np.add.at(group.counts, index[found], counts[found])
    if not found.all():
        lexicon.groups[length] = Group.of(np.concatenate([group.rows, rows[~found]]),
                                          np.concatenate([group.counts, counts[~found]]))


def deduplicate_candidates(lexicon: Candidates, split_margin: float,
                           max_length: int | None = None) -> Candidates:
    """De-redundancy in place on a :class:`~kexue.text.candidates.Candidates` (see the module
    docstring); returns it. Deleted words keep a count of 0."""
    longest = math.inf if max_length is None else max_length
    total = lexicon.total()
    for length in sorted((n for n in lexicon.groups if n > 1), reverse=True):
        group = lexicon.groups[length]
        alive = np.flatnonzero(group.counts > 0)
        if not alive.size:
            continue
        rows, counts = group.rows[alive], group.counts[alive]
        log_total = math.log(total)
        split_score, back = best_splits(lexicon, rows, log_total)
        gain = np.log(counts) - log_total - split_score
        keep = (gain >= split_margin * (length - 1)) if length <= longest else np.zeros(len(rows), bool)
        split = ~keep
        if not split.any():
            continue
        rows, counts, back = rows[split], counts[split], back[split]
        group.counts[alive[split]] = 0
        for size, pieces in _parts(rows, back).items():
            owners = np.concatenate([owner for owner, _ in pieces])
            _add(lexicon, size, np.concatenate([part for _, part in pieces]), counts[owners])
            total += int(counts[owners].sum())
        total -= int(counts.sum())
    return lexicon


def deduplicate(words: dict[str, int], split_margin: float = 1.0,
                max_length: int | None = None) -> dict[str, int]:
    """:func:`deduplicate_candidates` on a ``{word: positive count}`` mapping.

    >>> deduplicate({"ab": 2, "a": 50, "b": 50})
    {'a': 52, 'b': 52}
    """
    for word, count in words.items():
        if not word or count <= 0:
            raise ValueError(f"candidate words need a positive count, got {word!r}: {count}")
    return deduplicate_candidates(Candidates.from_dict(words), split_margin, max_length).to_dict()
