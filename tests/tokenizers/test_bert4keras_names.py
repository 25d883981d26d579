"""The tokenizer names bert4keras scripts reach for: the character classes under their private
names (checked against bert4keras 0.11.5 on the Basic Multilingual Plane and beyond) and
``encode``'s older ``first_length`` / ``second_length``."""

import pytest
from helpers import import_bert4keras

from kexue.tokenizers import Tokenizer

NAMES = ("_is_space", "_is_punctuation", "_is_cjk_character", "_is_control")


def test_character_classes_match_bert4keras():
    reference = import_bert4keras("tokenizers").Tokenizer
    characters = [chr(c) for c in list(range(0x20, 0x3400, 7)) + list(range(0x4E00, 0xFFFF, 97)) + [0x20001, 0x2F800]]
    for name in NAMES:
        ours, theirs = getattr(Tokenizer, name), getattr(reference, name)
        assert [ours(ch) for ch in characters] == [theirs(ch) for ch in characters], name
    assert set(Tokenizer._cjk_punctuation()) == set(reference._cjk_punctuation())
    for token in ("[CLS]", "[unused3]", "##的", "ab", "中", "##ing", "[x"):
        assert Tokenizer._is_special(token) == reference._is_special(token)
        assert Tokenizer._is_redundant(token) == bool(reference._is_redundant(token))
        assert Tokenizer.stem(token) == reference.stem(token)


@pytest.fixture
def small_tokenizer():
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "a", "b", "c", "d"]
    return Tokenizer({token: i for i, token in enumerate(vocab)})


def test_first_and_second_length_cut_or_pad_each_part(small_tokenizer):
    t = small_tokenizer
    assert t.encode("a b", "c") == ([2, 4, 5, 3, 6, 3], [0, 0, 0, 0, 1, 1])
    ids, segments = t.encode("a b", "c", first_length=6, second_length=3)
    assert ids == [2, 4, 5, 3, 0, 0, 6, 3, 0]
    assert segments == [0] * 6 + [1] * 3
    ids, segments = t.encode("a b c d", first_length=3)
    assert ids == [2, 4, 5] and segments == [0, 0, 0]
    ids, segments, offsets = t.encode("a b", "c", first_length=5, return_offsets=True)
    assert ids == [2, 4, 5, 3, 0, 6, 3] and len(offsets) == 7 and offsets[4] == (0, 0)
