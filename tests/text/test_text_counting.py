"""Vectorised counting agrees with collections.Counter."""

import itertools
from collections import Counter

import numpy as np
import pytest

from kexue.text.counting import (
    PairCounter,
    PairSet,
    count_fragments,
    count_rows,
    merge_counts,
    pair_keys,
    split_long,
)
from kexue.text.units import chunks_of, encode

LINES = ["中国人民站起来了", "人民日报，中国人民", "我们的人民", "abc中国"] * 3


def test_pair_counts_match_counter():
    counter = PairCounter()
    for codes in chunks_of(LINES, chunk_chars=20):  # several chunks
        counter.update(codes)
    text = "\n".join(LINES)
    expected = Counter(
        a + b
        for line in text.split("\n")
        for seg in line.split("，")
        for a, b in itertools.pairwise(seg)
    )
    for pair, count in expected.items():
        pair = pair.replace("a", "\ue001").replace("b", "\ue001").replace("c", "\ue001")
        if "\ue001\ue001" in pair:
            continue
        assert counter.pair_count(pair) == count, pair
    assert int(counter.unit_counts[ord("人")]) == text.count("人")


def test_pair_counts_beyond_16_bits_match_counter():
    text = "\n甲\U00020000乙甲\U00020000\n\U00020000乙\n"
    counter = PairCounter()
    counter.update(encode(text))
    expected = Counter(a + b for line in text.split("\n") for a, b in itertools.pairwise(line))
    assert {p: counter.pair_count(p) for p in expected} == dict(expected)
    assert len(counter.keys) == len(expected)


def test_count_rows_long_and_short():
    rows = encode("中国人民北京天安中国人民北京天安").reshape(2, 8)
    assert count_rows(rows) == {"中国人民北京天安": 2}
    rows = encode("甲乙甲乙丙丁").reshape(3, 2)
    assert count_rows(rows) == {"甲乙": 2, "丙丁": 1}


@pytest.mark.parametrize("alphabet", ["甲乙丙丁\n", "甲\U00020000乙\U0002A6D6\n"])
def test_fragments_match_python_cutting(alphabet):
    # the second alphabet has codes beyond 16 bits: the packed-word sort, not the radix sort
    rng = np.random.default_rng(0)
    text = "\n" + "".join(rng.choice(list(alphabet), 400)) + "\n"
    codes = encode(text)
    keys, valid = pair_keys(codes)
    link = valid & (rng.random(len(keys)) < 0.6)
    expected = Counter()
    word = ""
    for i, ch in enumerate(text):
        if ch == "\n":
            if word:
                expected[word] += 1
            word = ""
            continue
        word += ch
        if i == len(text) - 1 or not link[i]:
            expected[word] += 1
            word = ""
    assert count_fragments(codes, link) == dict(expected)


def test_pair_set_bit_table_and_search_agree():
    codes = encode("甲乙丙丁甲丙乙丁\n戊" + chr(0x10FFFF))  # codes beyond every pair's too
    keys, _ = pair_keys(codes)
    chosen = np.unique(keys[:7:2])
    values = np.arange(len(chosen), dtype=np.float64) - 1.5 + 1e-9  # not float16-exact
    dense, sparse = PairSet(chosen, values), PairSet(chosen, values, max_bits=0)
    assert dense.words is not None and sparse.words is None
    member = np.isin(keys, chosen).tolist()
    assert dense.contains(keys).tolist() == sparse.contains(keys).tolist() == member
    assert dense.linked(codes).tolist() == sparse.linked(codes).tolist() == member
    expected = [values[np.searchsorted(chosen, k)] if k in chosen else -np.inf for k in keys]
    every = np.arange(len(keys))
    for pairs in (dense, sparse):
        assert pairs.lookup(keys).tolist() == expected
        assert pairs.between(codes, every).tolist() == expected
        assert pairs.between(codes, every[::-2]).tolist() == expected[::-2]


def test_pair_set_bits_of_many_pairs_match_a_set():
    rng = np.random.default_rng(0)
    codes = rng.integers(0x4E00, 0x4E00 + 300, size=20_000).astype(np.uint16)
    keys, _ = pair_keys(codes)
    chosen = np.unique(rng.choice(keys, 3_000))
    values = rng.normal(size=len(chosen))
    pairs, sparse = PairSet(chosen, values), PairSet(chosen, values, max_bits=0)
    assert pairs.words is not None
    assert pairs.linked(codes).tolist() == np.isin(keys, chosen).tolist()
    every = np.arange(len(keys))
    assert pairs.between(codes, every).tolist() == sparse.between(codes, every).tolist()
    assert pairs.lookup(chosen).tolist() == values.tolist()
    assert not PairSet(chosen[:0]).linked(codes).any()
    with pytest.raises(ValueError, match="max_bits"):
        PairSet(chosen, max_bits=1 << 31)


def test_split_long_cuts_weakest_links_until_short():
    scores = np.array([5.0, 1.0, 4.0, 3.0, 2.0, 6.0])
    link = split_long(
        np.ones(7, dtype=bool), np.ones(6, dtype=bool), lambda p: scores[p], 3
    )
    assert link.tolist() == [True, False, True, True, False, True]


def test_merge_counts():
    k, c = merge_counts(
        np.array([3]), np.array([1]), np.array([1, 3]), np.array([2, 2])
    )
    assert k.tolist() == [1, 3] and c.tolist() == [2, 3]
