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


def test_pair_set_matrix_and_search_agree():
    codes = encode("甲乙丙丁甲丙乙丁\n戊" + chr(0x10FFFF))  # codes beyond every pair's too
    keys, _ = pair_keys(codes)
    chosen = np.unique(keys[:7:2])
    values = np.arange(len(chosen), dtype=np.float64) - 1.5
    dense, sparse = PairSet(chosen, values), PairSet(chosen, values, max_matrix=0)
    assert dense.matrix is not None and sparse.matrix is None
    assert (
        dense.contains(keys).tolist()
        == sparse.contains(keys).tolist()
        == np.isin(keys, chosen).tolist()
    )
    expected = [values[np.searchsorted(chosen, k)] if k in chosen else -np.inf for k in keys]
    for pairs in (dense, sparse):
        assert pairs.lookup(keys).tolist() == expected
        assert pairs.between(codes).tolist() == expected


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
