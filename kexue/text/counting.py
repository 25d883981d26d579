"""Vectorised counting of units, adjacent pairs and fragments on coded text.

Text is handled as code-point arrays (:func:`kexue.text.units.code_units` makes
``uint16`` ones from raw text, :func:`kexue.text.units.encode` ``uint32`` ones; ``10``
separates words). A pair of adjacent units is one ``int64`` key ``(a << 21) | b``;
counting is sorting (a radix sort of 16-bit digits,
:func:`kexue.text.candidates.unique_counts`), so a chunk of millions of characters is
counted in a fraction of a second and memory stays proportional to the chunk
and to the number of distinct pairs.

Example:
    >>> counts = PairCounter()
    >>> counts.update(encode("\\nabab\\nab\\n"))
    >>> int(counts.unit_counts[ord("a")]), counts.pair_count("ab"), counts.pair_count("ba")
    (3, 3, 1)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from kexue.text.candidates import Candidates, unique_counts
from kexue.text.units import encode

SEPARATOR_CODE = 10


def pair_keys(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Keys of all adjacent pairs in ``codes`` and whether both members are units.

    Example:
        >>> keys, valid = pair_keys(encode("ab\\nc"))
        >>> valid.tolist(), int(keys[0]) == (ord("a") << 21) | ord("b")
        ([True, False, False], True)
    """
    codes = codes.astype(np.int64)
    keys = (codes[:-1] << 21) | codes[1:]
    valid = (codes[:-1] != SEPARATOR_CODE) & (codes[1:] != SEPARATOR_CODE)
    return keys, valid


def _unique_pairs(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct keys of the adjacent unit pairs of ``codes`` and their counts (sorted
    as 32-bit keys when every code is below 2**16, the usual case: two radix passes, not three)."""
    if codes.size and codes.max() < 1 << 16:
        valid = (codes[:-1] != SEPARATOR_CODE) & (codes[1:] != SEPARATOR_CODE)
        small = codes[:-1].astype(np.uint32)
        small <<= 16
        small |= codes[1:]
        keys, counts = unique_counts(small[valid], 32)
        keys = keys.astype(np.int64)
        return ((keys >> 16) << 21) | (keys & 0xFFFF), counts
    keys, valid = pair_keys(codes)
    return unique_counts(keys[valid], 42)


def merge_counts(
    keys: np.ndarray, counts: np.ndarray, new_keys: np.ndarray, new_counts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Add two sparse count vectors given as (sorted unique keys, counts).

    Example:
        >>> k, c = merge_counts(np.array([1, 5]), np.array([2, 1]), np.array([5, 7]), np.array([4, 1]))
        >>> k.tolist(), c.tolist()
        ([1, 5, 7], [2, 5, 1])
    """
    all_keys = np.concatenate([keys, new_keys])
    merged, inverse = np.unique(all_keys, return_inverse=True)
    total = np.bincount(
        inverse, weights=np.concatenate([counts, new_counts]), minlength=len(merged)
    )
    return merged, total.astype(np.int64)


class PairCounter:
    """Running counts of units and of adjacent unit pairs over coded chunks (``unit_counts``
    is indexed by code point and as long as the largest code seen needs)."""

    def __init__(self) -> None:
        self.unit_counts = np.zeros(0, dtype=np.int64)
        self.keys = np.zeros(0, dtype=np.int64)
        self.counts = np.zeros(0, dtype=np.int64)

    def update(self, codes: np.ndarray) -> None:
        """Count the units and unit pairs of one coded chunk."""
        units = np.bincount(codes)
        units[SEPARATOR_CODE : SEPARATOR_CODE + 1] = 0  # separators are not units
        if units.size > self.unit_counts.size:
            self.unit_counts = np.concatenate(
                [self.unit_counts, np.zeros(units.size - self.unit_counts.size, np.int64)])
        self.unit_counts[: units.size] += units
        new_keys, new_counts = _unique_pairs(codes)
        if not self.keys.size:
            self.keys, self.counts = new_keys, new_counts.astype(np.int64)
            return
        self.keys, self.counts = merge_counts(
            self.keys, self.counts, new_keys, new_counts
        )

    def pair_count(self, pair: str) -> int:
        """Count of one two-character pair (for inspection and tests)."""
        a, b = (ord(c) for c in pair)
        key = (a << 21) | b
        i = np.searchsorted(self.keys, key)
        return int(self.counts[i]) if i < len(self.keys) and self.keys[i] == key else 0

    def pair_members(self) -> tuple[np.ndarray, np.ndarray]:
        """First and second unit code of every counted pair."""
        return self.keys >> 21, self.keys & ((1 << 21) - 1)


def count_rows(rows: np.ndarray) -> dict[str, int]:
    """Count equal rows of an ``(n, length)`` code array; returns ``{string: count}``.

    Example:
        >>> count_rows(encode("abcdab").reshape(3, 2))
        {'ab': 2, 'cd': 1}
    """
    return Candidates.from_rows(rows).to_dict()


def fragment_bounds(
    is_unit: np.ndarray, link: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Starts and lengths of the runs of units joined by ``link``."""
    starts_mask = is_unit.copy()
    starts_mask[1:] &= ~link
    ends_mask = is_unit.copy()
    ends_mask[:-1] &= ~link
    starts = np.flatnonzero(starts_mask)
    return starts, np.flatnonzero(ends_mask) + 1 - starts


def _cut_weakest(link: np.ndarray, scores: np.ndarray, max_length: int) -> np.ndarray:
    """Rounds of cutting each too-long run of units at its lowest-scoring link
    (the first one on ties). Each round is O(n): runs are contiguous, so a
    ``minimum.reduceat`` finds every run's weakest link at once."""
    is_unit = np.ones(len(link) + 1, dtype=bool)
    link = link.copy()
    while True:
        starts, lengths = fragment_bounds(is_unit, link)
        long = lengths > max_length
        if not long.any():
            return link
        starts, n_links = (
            starts[long],
            lengths[long] - 1,
        )  # internal links of each long run
        owner = np.repeat(np.arange(len(starts)), n_links)
        position = (
            starts[owner]
            + np.arange(owner.size)
            - np.repeat(np.cumsum(n_links) - n_links, n_links)
        )
        values = scores[position]
        weakest = np.minimum.reduceat(values, np.cumsum(n_links) - n_links)
        hits = np.flatnonzero(values == weakest[owner])
        first = hits[np.r_[True, owner[hits][1:] != owner[hits][:-1]]]
        link[position[first]] = False


def split_long(
    is_unit: np.ndarray,
    link: np.ndarray,
    score_of: Callable[[np.ndarray], np.ndarray],
    max_length: int,
) -> np.ndarray:
    """Cut every fragment longer than ``max_length`` at its weakest link (lowest
    ``score_of(link positions)``), repeatedly, until none is longer. Returns the
    new link mask; only the long fragments are scored and revisited.

    Example:
        >>> scores = np.array([3.0, 1.0, 2.0, 4.0])
        >>> split_long(np.ones(5, dtype=bool), np.ones(4, dtype=bool), lambda p: scores[p], 2).tolist()
        [True, False, False, True]
    """
    starts, lengths = fragment_bounds(is_unit, link)
    long = lengths > max_length
    if not long.any():
        return link
    starts, n_links = starts[long], lengths[long] - 1
    owner = np.repeat(np.arange(len(starts)), n_links)
    position = (
        starts[owner]
        + np.arange(owner.size)
        - np.repeat(np.cumsum(n_links) - n_links, n_links)
    )
    compact = np.arange(owner.size) + owner  # one dead slot between fragments
    alive = np.zeros(owner.size + len(starts), dtype=bool)
    alive[compact] = True
    scores = np.full(alive.size, np.inf)
    scores[compact] = score_of(position)
    link = link.copy()
    link[position] = _cut_weakest(alive, scores, max_length)[compact]
    return link


def fragments(codes: np.ndarray, link: np.ndarray) -> Candidates:
    """Cut ``codes`` wherever ``link`` is False (or at a separator) and count the pieces.

    ``link[i]`` says whether units ``i`` and ``i + 1`` stay together.

    Example:
        >>> codes = encode("\\nabc\\nab\\n")
        >>> keys, valid = pair_keys(codes)
        >>> sorted(fragments(codes, valid & (keys != ((ord("b") << 21) | ord("c")))).to_dict().items())
        [('ab', 2), ('c', 1)]
    """
    is_unit = codes != SEPARATOR_CODE
    link = np.asarray(link, dtype=bool) & is_unit[:-1] & is_unit[1:]
    starts, lengths = fragment_bounds(is_unit, link)
    result = Candidates()
    # pieces of one unit, the most frequent, are counted without building rows
    singles = np.bincount(codes[starts[lengths == 1]])
    present = np.flatnonzero(singles)
    if present.size:
        result.merge(Candidates.from_columns([present.astype(codes.dtype)], singles[present]))
    longer = lengths > 1
    starts, lengths = starts[longer], lengths[longer]
    # grouped by length: a stable sort of 16-bit integers is a counting sort
    small = lengths.astype(np.uint16) if lengths.size and lengths.max() < 1 << 16 else lengths
    starts = starts[np.argsort(small, kind="stable")]
    sizes = np.bincount(lengths)
    ends = np.cumsum(sizes)
    for length in np.flatnonzero(sizes):
        at = starts[ends[length] - sizes[length] : ends[length]]
        result.merge(Candidates.from_columns([codes[at + k] for k in range(length)]))
    return result


def count_fragments(codes: np.ndarray, link: np.ndarray) -> dict[str, int]:
    """:func:`fragments` as ``{piece: count}``."""
    return fragments(codes, link).to_dict()


def _bit(index: np.ndarray) -> np.ndarray:
    """``1 << (index % 64)`` as ``uint64``."""
    return np.left_shift(np.uint64(1), (index & 63).astype(np.uint64))


class PairSet:
    """Fast lookup of a set of unit pairs (sorted pair keys), optionally with a value each.

    A bit table: the units that occur first in some pair get dense row ids, those that occur
    second dense column ids, and a pair's bit sits at ``row * width + column`` (strong pairs
    involve a few thousand characters, so the table is a few MiB at most and gathering from it
    stays in cache). A pair's value is at the rank of its bit (the number of bits set before
    it: a prefix count per 64-bit word plus one population count), so values stay exact
    ``float64`` at a bit per table entry. When the table would exceed ``max_bits`` bits, both
    are binary searches in the sorted keys.

    Example:
        >>> keys, valid = pair_keys(encode("abca"))
        >>> pairs = PairSet(np.sort(keys[:1]), np.array([2.5]))
        >>> pairs.contains(keys).tolist(), pairs.lookup(keys).tolist()
        ([True, False, False], [2.5, -inf, -inf])
        >>> codes = encode("abca")
        >>> pairs.linked(codes).tolist(), pairs.between(codes, np.array([0])).tolist()
        ([True, False, False], [2.5])
    """

    def __init__(
        self,
        keys: np.ndarray,
        values: np.ndarray | None = None,
        max_bits: int = 1 << 28,
    ) -> None:
        if not 0 <= max_bits < 1 << 31:
            raise ValueError(f"max_bits must lie in [0, 2**31), got {max_bits}")
        self.keys = np.asarray(keys, dtype=np.int64)
        self.values = (
            np.zeros(len(self.keys))
            if values is None
            else np.asarray(values, dtype=np.float64)
        )
        if self.values.shape != self.keys.shape:
            raise ValueError("need one value per pair key")
        first, second = self.keys >> 21, self.keys & ((1 << 21) - 1)
        # codes at or above ``limit`` are in no pair: they are clipped to ``limit``, id 0 (it is
        # at least 2**16, so that 16-bit codes, those of coded text, need no clipping)
        self.limit = max(int(max(first.max(initial=0), second.max(initial=0))) + 1, 1 << 16)
        self.words = None
        rows, columns = self._ids(first), self._ids(second)
        width = int(columns.max()) + 1
        size = (int(rows.max()) + 1) * width
        if size <= max_bits:
            self.row_starts = rows * width  # int32: max_bits is below 2**31
            self.columns = columns
            at = self.row_starts[first] + columns[second]
            order = np.argsort(at)
            at, self.ranked_values = at[order], self.values[order]
            self.words = np.zeros(-(-size // 64), dtype="<u8")  # byte order fixed: see _member
            np.bitwise_or.at(self.words, at >> 6, _bit(at))
            ones = np.bitwise_count(self.words)
            self.ranks = np.cumsum(ones, dtype=np.int32)
            self.ranks -= ones  # bits set in the words before each word

    def _ids(self, members: np.ndarray) -> np.ndarray:
        """Dense ids 1, 2, ... of the codes in ``members``, the code in most pairs first (the
        pairs looked up most then share cache lines), indexed by code; 0 for other codes."""
        pairs = np.bincount(members, minlength=self.limit + 1)
        present = np.flatnonzero(pairs)
        ranked = present[np.argsort(-pairs[present], kind="stable")]
        ids = np.zeros(self.limit + 1, dtype=np.int32)
        ids[ranked] = np.arange(1, len(ranked) + 1, dtype=np.int32)
        return ids

    def _table(self, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        """The place of each pair's bit in the bit table."""
        if self.limit <= np.iinfo(first.dtype).max:  # else no code can reach the limit
            first, second = np.minimum(first, self.limit), np.minimum(second, self.limit)
        index = self.row_starts[first]
        index += self.columns[second]
        return index

    def _member(self, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        if self.words is None:
            return self._position(first, second)[1]
        index = self._table(first, second)
        # the words are little-endian, so bit k of the table is bit k % 8 of byte k // 8
        found = self.words.view(np.uint8)[index >> 3]
        index &= 7
        np.right_shift(found, index, out=found, casting="unsafe")
        found &= 1
        return found.view(bool)

    def _position(self, first: np.ndarray, second: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Index of each pair in ``keys`` and whether it is there."""
        if not len(self.keys):
            return np.zeros(len(first), dtype=np.intp), np.zeros(len(first), dtype=bool)
        keys = (first.astype(np.int64) << 21) | second
        position = np.searchsorted(self.keys, keys).clip(max=len(self.keys) - 1)
        return position, self.keys[position] == keys

    def _value(self, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        if not len(self.keys):
            return np.full(len(first), -np.inf)
        if self.words is None:
            position, found = self._position(first, second)
        else:  # a pair's value is at its bit's rank: the bits set before it
            index = self._table(first, second)
            word, bit = index >> 6, _bit(index)
            bits = self.words[word]
            found = (bits & bit) != 0
            position = self.ranks[word] + np.bitwise_count(bits & (bit - np.uint64(1)))
            position = position.clip(max=len(self.keys) - 1)
            return np.where(found, self.ranked_values[position], -np.inf)
        return np.where(found, self.values[position], -np.inf)

    def lookup(self, keys: np.ndarray) -> np.ndarray:
        """The value of each of ``keys`` (``-inf`` for keys not in the set)."""
        keys = np.asarray(keys, dtype=np.int64)
        return self._value(keys >> 21, keys & ((1 << 21) - 1))

    def contains(self, keys: np.ndarray) -> np.ndarray:
        """Boolean mask: which of ``keys`` are in the set."""
        keys = np.asarray(keys, dtype=np.int64)
        return self._member(keys >> 21, keys & ((1 << 21) - 1))

    def linked(self, codes: np.ndarray) -> np.ndarray:
        """Whether each adjacent pair of ``codes`` is in the set (``contains`` of
        ``pair_keys(codes)[0]`` without building the 64-bit keys)."""
        return self._member(codes[:-1], codes[1:])

    def between(self, codes: np.ndarray, at: np.ndarray) -> np.ndarray:
        """The value of the pairs ``(codes[i], codes[i + 1])`` for ``i`` in ``at``
        (``-inf`` for pairs not in the set)."""
        return self._value(codes[at], codes[at + 1])


__all__ = [
    "PairCounter",
    "count_fragments",
    "fragments",
    "count_rows",
    "encode",
    "merge_counts",
    "pair_keys",
]
