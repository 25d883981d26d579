"""Counted strings of units as arrays: the candidate words between cutting and de-redundancy.

Strings are grouped by length. A group holds the code rows (``n × length``, ``uint16`` or
``uint32``), one sortable key per row (the codes packed three to a big-endian ``uint64``,
viewed as one fixed-width byte string, so byte order is lexicographic order) and the counts,
sorted by key. Merging, filtering and looking strings up are sorts (radix sorts of 16-bit
digits, :func:`radix_order`) and binary searches; strings are built in Python only at the end
(:meth:`Candidates.to_dict`).

Example:
    >>> from kexue.text.units import encode
    >>> found = Candidates.from_rows(encode("中国人民中国").reshape(3, 2))
    >>> found.to_dict()
    {'中国': 2, '人民': 1}
    >>> found.count_of(encode("中国").reshape(1, 2)).tolist()
    [2]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kexue.text.units import decode_rows, encode


def radix_order(digits: list[np.ndarray]) -> np.ndarray:
    """The stable permutation that sorts by ``digits`` (``uint16`` arrays of one length, the most
    significant first): a least-significant-digit radix sort. A stable sort of 16-bit integers
    is a counting sort in NumPy, several times faster than sorting 32- or 64-bit integers.

    >>> radix_order([np.array([1, 0, 1], np.uint16), np.array([5, 9, 2], np.uint16)]).tolist()
    [1, 2, 0]
    """
    order = np.argsort(digits[-1], kind="stable")
    for digit in digits[-2::-1]:
        order = order[np.argsort(digit[order], kind="stable")]
    return order


def unique_counts(values: np.ndarray, high_bit: int):
    """Sorted distinct ``values`` (non-negative integers below ``2**high_bit``) and how often
    each occurs: a radix sort, 16 bits a pass, that moves the values themselves (their digits
    are views of them, so a pass makes only its permutation and the moved values).

    >>> keys, counts = unique_counts(np.array([70000, 3, 70000, 65539, 3, 3]), 17)
    >>> keys.tolist(), counts.tolist()
    ([3, 65539, 70000], [3, 1, 2])
    """
    values = np.ascontiguousarray(values)
    lanes = values.itemsize // 2  # 16-bit digits per value, least significant first
    for digit in range(-(-high_bit // 16)):
        lane = digit if np.little_endian else lanes - 1 - digit
        values = values[np.argsort(values.view(np.uint16)[lane::lanes], kind="stable")]
    new = np.empty(len(values), dtype=bool)
    new[:1] = True
    new[1:] = values[1:] != values[:-1]
    starts = np.flatnonzero(new)
    return values[starts], np.diff(starts, append=len(values))


def pack(rows: np.ndarray) -> np.ndarray:
    """One sortable key per row of codes (< 2**21), three codes per ``uint64``: the integer
    itself for rows of up to three codes, else the big-endian words viewed as one byte string
    (byte order is then lexicographic order).

    >>> a, b = pack(encode("丙丁甲乙").reshape(2, 2))
    >>> bool(a < b)
    True
    """
    words = _words(rows)
    if words.shape[1] == 1:
        return words[:, 0]
    return np.ascontiguousarray(words.astype(">u8")).view(f"V{8 * words.shape[1]}").reshape(-1)


def _words(rows: np.ndarray) -> np.ndarray:
    n, length = rows.shape
    width = max(1, -(-length // 3))
    padded = np.zeros((n, width * 3), dtype=np.uint64)
    padded[:, :length] = rows
    padded = padded.reshape(n, width, 3)
    return (padded[:, :, 0] << np.uint64(42)) | (padded[:, :, 1] << np.uint64(21)) | padded[:, :, 2]


def _unique(columns: list[np.ndarray], counts: np.ndarray | None):
    """Sorted distinct strings given as columns of codes (column ``k``: the ``k``-th code of
    every string): their rows, keys and summed counts (``counts=None``: each counts once).
    Codes below 2**16 (always, for coded text) are radix-sorted a column a pass; others are
    sorted by their packed words (byte-string sorts are slow)."""
    if all(c.dtype == np.uint16 or not c.size or c.max() < 1 << 16 for c in columns):
        order = radix_order([c.astype(np.uint16, copy=False) for c in columns])
    else:
        words = _words(np.stack(columns, axis=1))
        order = np.argsort(words[:, 0]) if words.shape[1] == 1 else np.lexsort(words.T[::-1])
    columns = [c[order] for c in columns]
    new = np.ones(len(order), dtype=bool)
    new[1:] = columns[0][1:] != columns[0][:-1]
    for column in columns[1:]:
        new[1:] |= column[1:] != column[:-1]
    starts = np.flatnonzero(new)
    if counts is None:
        totals = np.diff(starts, append=len(order))
    else:
        totals = np.add.reduceat(counts[order], starts) if len(starts) else counts[:0]
    rows = np.stack([c[starts] for c in columns], axis=1)
    return rows, pack(rows), totals.astype(np.int64)


@dataclass
class Group:
    """The strings of one length: ``rows`` sorted by ``keys``, with their ``counts``."""

    rows: np.ndarray
    keys: np.ndarray
    counts: np.ndarray

    @classmethod
    def of(cls, rows: np.ndarray, counts: np.ndarray | None = None) -> Group:
        """Sum the counts of equal rows (``None``: one each) and sort them."""
        return cls.of_columns([rows[:, k] for k in range(rows.shape[1])], counts)

    @classmethod
    def of_columns(cls, columns: list[np.ndarray], counts: np.ndarray | None = None) -> Group:
        """:meth:`of` the rows whose ``k``-th codes are ``columns[k]`` (no rows built first)."""
        return cls(*_unique(columns, None if counts is None else np.asarray(counts, dtype=np.int64)))

    def find(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Index of each key in this group and whether it is there."""
        if not len(self.keys):
            return np.zeros(len(keys), dtype=np.intp), np.zeros(len(keys), dtype=bool)
        index = np.searchsorted(self.keys, keys).clip(max=len(self.keys) - 1)
        return index, self.keys[index] == keys


class Candidates:
    """Counted strings of units, grouped by length (see the module docstring)."""

    def __init__(self, groups: dict[int, Group] | None = None) -> None:
        self.groups: dict[int, Group] = groups or {}

    @classmethod
    def from_rows(cls, rows: np.ndarray, counts: np.ndarray | None = None) -> Candidates:
        """Count the rows of one length (``counts``: one weight per row, default 1)."""
        return cls({rows.shape[1]: Group.of(rows, counts)} if len(rows) else {})

    @classmethod
    def from_columns(cls, columns: list[np.ndarray], counts: np.ndarray | None = None) -> Candidates:
        """:meth:`from_rows` for the rows whose ``k``-th codes are ``columns[k]``."""
        return cls({len(columns): Group.of_columns(columns, counts)} if len(columns[0]) else {})

    @classmethod
    def from_dict(cls, words: dict[str, int]) -> Candidates:
        """The same strings as a ``{string: count}`` mapping."""
        by_length: dict[int, list[tuple[str, int]]] = {}
        for word, count in words.items():
            by_length.setdefault(len(word), []).append((word, count))
        groups = {}
        for length, items in by_length.items():
            rows = encode("".join(w for w, _ in items)).reshape(len(items), length)
            groups[length] = Group.of(rows, np.array([c for _, c in items], dtype=np.int64))
        return cls(groups)

    def merge(self, other: Candidates) -> None:
        """Add the counts of ``other`` (in place)."""
        for length, group in other.groups.items():
            mine = self.groups.get(length)
            if mine is None:
                self.groups[length] = group
            else:
                self.groups[length] = Group.of(np.concatenate([mine.rows, group.rows]),
                                               np.concatenate([mine.counts, group.counts]))

    def filtered(self, least: float) -> Candidates:
        """The strings counted more than ``least`` times."""
        kept = {}
        for length, group in self.groups.items():
            mask = group.counts > least
            if mask.any():
                kept[length] = Group(group.rows[mask], group.keys[mask], group.counts[mask])
        return Candidates(kept)

    def total(self) -> int:
        return int(sum(int(group.counts.sum()) for group in self.groups.values()))

    def __len__(self) -> int:
        return sum(len(group.keys) for group in self.groups.values())

    def count_of(self, rows: np.ndarray) -> np.ndarray:
        """The count of each row of codes (0 when absent)."""
        group = self.groups.get(rows.shape[1])
        if group is None or not len(rows):
            return np.zeros(len(rows), dtype=np.int64)
        index, found = group.find(pack(rows))
        return np.where(found, group.counts[index], 0)

    def to_dict(self) -> dict[str, int]:
        """``{string: count}`` for every string with a positive count."""
        result: dict[str, int] = {}
        for length in sorted(self.groups):
            group = self.groups[length]
            alive = group.counts > 0
            strings = decode_rows(group.rows[alive].astype(np.uint32))
            result.update(zip(strings, group.counts[alive].tolist()))
        return result
