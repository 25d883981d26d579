"""WordSegmenter: the DP finds the same best segmentation as brute-force enumeration."""

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kexue.text.segmenter import WordSegmenter

LEXICON = {
    "ab": 5,
    "abc": 2,
    "bc": 4,
    "a": 6,
    "b": 3,
    "c": 7,
    "cd": 1,
    "d": 2,
    "bcd": 3,
}


def brute_force(tok: WordSegmenter, text: str) -> float:
    best = -math.inf
    for cuts in itertools.product((False, True), repeat=len(text) - 1):
        bounds = [0] + [i + 1 for i, cut in enumerate(cuts) if cut] + [len(text)]
        parts = [text[a:b] for a, b in itertools.pairwise(bounds)]
        if any(len(p) > 1 and p not in tok for p in parts):
            continue
        best = max(best, sum(tok.log_proba(p) for p in parts))
    return best


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet="abcde", min_size=1, max_size=9))
def test_dp_matches_brute_force(text):
    tok = WordSegmenter(LEXICON, unknown_score=-20.0)
    ends = tok.segment_units(text)
    parts = [text[a:b] for a, b in zip([0] + ends[:-1], ends)]
    assert "".join(parts) == text
    assert sum(tok.log_proba(p) for p in parts) == pytest.approx(brute_force(tok, text))


def test_add_remove_keeps_totals_and_lookup():
    tok = WordSegmenter({"中国": 3, "中": 1})
    tok.add("中国人", 2)
    assert tok.total == 6 and tok.tokenize("中国人") == ["中国人"]
    assert tok.remove("中国人") == 2 and tok.total == 4
    assert tok.tokenize("中国人") == ["中国", "人"]
    assert tok.remove("没有") == 0


def test_punctuation_and_numbers_are_kept():
    tok = WordSegmenter({"\ue000年": 5, "新年": 3})
    assert tok.tokenize("１９９８年新年，好！") == [
        "１９９８年",
        "新年",
        "，",
        "好",
        "！",
    ]


@pytest.mark.parametrize("word, count", [("", 1), ("a\nb", 1), ("ab", 0)])
def test_bad_lexicon_entries(word, count):
    with pytest.raises(ValueError):
        WordSegmenter({word: count})


def test_old_names_still_work_and_warn():
    import kexue.text
    from kexue.text import WordDiscovery

    with pytest.warns(FutureWarning, match="WordSegmenter"):
        old = kexue.text.Tokenizer({"中国": 3, "人民": 2})
    assert isinstance(old, WordSegmenter) and old.tokenize("中国人民") == ["中国", "人民"]
    finder = WordDiscovery(split_margin=1.0)
    finder.words = {"中国": 3, "中": 1}
    with pytest.warns(FutureWarning, match="segmenter"):
        assert finder.tokenizer().tokenize("中国") == ["中国"]
