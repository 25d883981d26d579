"""Offsets and ``rematch`` map tokens back to the original string; ``decode`` reads well."""

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tokenizer_strategies import mixed_text


def bert_normalize(text: str) -> str:
    """BERT's normalisation for an uncased model, written from its definition: delete NUL,
    U+FFFD and "other" characters (category C*; tab and newlines are spaces), NFD, drop non-spacing
    marks, lower-case; white space removed since tokens never contain it."""
    kept = [
        c for c in text
        if c not in "\x00\ufffd" and (c in "\t\n\r" or not unicodedata.category(c).startswith("C"))
    ]
    decomposed = unicodedata.normalize("NFD", "".join(kept))
    stripped = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return "".join(c.lower() for c in stripped if not (c.isspace() or unicodedata.category(c) == "Zs"))


def stem(token: str) -> str:
    return token.removeprefix("##")


@settings(max_examples=100, deadline=None)
@given(text=mixed_text)
def test_offsets_point_at_the_characters_of_each_token(tokenizer, text):
    ids, _, offsets = tokenizer.encode(text, return_offsets=True)
    tokens = tokenizer.ids_to_tokens(ids)
    assert len(offsets) == len(ids)
    assert offsets[0] == offsets[-1] == (0, 0)
    previous = (0, 0)
    for token, (start, end) in zip(tokens[1:-1], offsets[1:-1]):
        # Spans move left to right; pieces of one decomposed character share its span.
        assert 0 <= start < end <= len(text)
        assert start >= previous[1] or (start, end) == previous
        previous = (start, end)
        # A character can decompose into several (Hangul syllables into jamo), each its own
        # piece: the token's text then lies inside the span's normalised text.
        if token == "[UNK]":
            assert bert_normalize(text[start:end])
        else:
            assert stem(token) in bert_normalize(text[start:end])


@settings(max_examples=100, deadline=None)
@given(text=mixed_text)
def test_rematch_maps_every_token_into_the_text(tokenizer, text):
    tokens = tokenizer.tokenize(text)
    mapping = tokenizer.rematch(text, tokens)
    assert len(mapping) == len(tokens)
    assert mapping[0] == mapping[-1] == []
    _, _, offsets = tokenizer.encode(text, return_offsets=True)
    for token, indices, (start, end) in zip(tokens, mapping, offsets):
        if token in ("[CLS]", "[SEP]"):
            assert indices == []
            continue
        assert indices == sorted(set(indices)) and indices
        assert start <= indices[0] and indices[-1] < end  # inside the engine's span
        if token != "[UNK]":
            assert stem(token) in "".join(bert_normalize(text[i]) for i in indices)


@settings(max_examples=100, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list("abcXYZ019 .,!?'中文测试你好，。éü\t")), max_size=40))
def test_offsets_and_rematch_are_exact_on_plain_text(tokenizer, text):
    ids, _, offsets = tokenizer.encode(text, return_offsets=True)
    tokens = tokenizer.ids_to_tokens(ids)
    for token, (start, end), indices in zip(tokens, offsets, tokenizer.rematch(text, tokens)):
        if token not in ("[CLS]", "[SEP]", "[UNK]"):
            assert bert_normalize(text[start:end]) == stem(token)
            assert indices == list(range(start, end))


def test_rematch_on_a_known_example(tokenizer):
    text = "Héllo 世大!"
    tokens = tokenizer.tokenize(text)
    assert tokens == ["[CLS]", "hello", "世", "大", "!", "[SEP]"]
    assert tokenizer.rematch(text, tokens) == [[], [0, 1, 2, 3, 4], [6], [7], [8], []]
    assert tokenizer.encode_with_offsets(text)[2] == [(0, 0), (0, 5), (6, 7), (7, 8), (8, 9), (0, 0)]


def test_rematch_matches_bert4keras(tokenizer, b4k_tokenizer):
    for text in ["Héllo wörld, I'm here!", "我是中国人 and 3.5 apples", "tab\there\x07bell"]:
        tokens = tokenizer.tokenize(text)
        ours, theirs = tokenizer.rematch(text, tokens), b4k_tokenizer.rematch(text, tokens)
        # bert4keras maps [UNK] to []; we map it to the characters it replaced.
        assert [m for t, m in zip(tokens, ours) if t != "[UNK]"] == [m for t, m in zip(tokens, theirs) if t != "[UNK]"]
        assert [m for t, m in zip(tokens, ours) if t == "[UNK]"] == ([[1]] if text.startswith("我是") else [])


def test_rematch_maps_unknown_tokens_and_searches_foreign_token_lists(tokenizer):
    text = "0¸ 0 a\x07b"
    tokens = tokenizer.tokenize(text)
    assert tokens == ["[CLS]", "[UNK]", "0", "ab", "[SEP]"]
    assert tokenizer.rematch(text, tokens) == [[], [0, 1], [3], [5, 7], []]
    # A token list the tokenizer would not make is matched by search, bert4keras style.
    assert tokenizer.rematch("Hello world", ["[CLS]", "hel", "##lo", "wo", "##rld"]) == [[], [0, 1, 2], [3, 4], [6, 7], [8, 9, 10]]


def test_rematch_rejects_tokens_from_another_text(tokenizer):
    with pytest.raises(ValueError, match="does not occur"):
        tokenizer.rematch("hello", ["[CLS]", "world", "[SEP]"])


def test_pair_offsets_are_relative_to_each_text(tokenizer):
    ids, _, offsets = tokenizer.encode("ab cd", "世大", return_offsets=True)
    assert tokenizer.ids_to_tokens(ids) == ["[CLS]", "ab", "cd", "[SEP]", "世", "大", "[SEP]"]
    assert offsets == [(0, 0), (0, 2), (3, 5), (0, 0), (0, 1), (1, 2), (0, 0)]
    batch = tokenizer.encode_batch([("ab cd", "世大"), "ab cd"], maxlen=5, return_offsets=True)
    assert batch[2][0] == [(0, 0), (0, 2), (0, 0), (0, 1), (0, 0)]
    assert batch[2][1] == [(0, 0), (0, 2), (3, 5), (0, 0)]


def test_decode_chinese_has_no_spaces(tokenizer):
    # (this English vocabulary has only the commoner Chinese characters)
    text = "中文，我的世上大天安北京人。"
    assert tokenizer.decode(tokenizer.encode(text)[0]) == text
    assert tokenizer.decode(tokenizer.encode("北京 in 上大")[0]) == "北京in上大"


def test_decode_english(tokenizer):
    ids = tokenizer.encode("Unbelievably, it's 3.14 today (roughly)!")[0]
    # bert4keras' spacing rules: a space after each punctuation mark, then contractions and
    # decimals rejoined and no space after an opening bracket.
    assert tokenizer.decode(ids) == "unbelievably, it's 3.14 today(roughly) !"
    assert tokenizer.decode([], tokens=["[CLS]", "play", "##ing", "[SEP]"]) == "playing"


@settings(max_examples=100, deadline=None)
@given(ids=st.lists(st.integers(999, 30521), max_size=30))
def test_decode_matches_bert4keras(tokenizer, b4k_tokenizer, ids):
    tokens = tokenizer.ids_to_tokens(ids)
    try:
        expected = b4k_tokenizer.decode(ids)
    except IndexError:  # bert4keras fails when a "##" piece leaves its text empty
        return
    assert tokenizer.decode(ids) == expected
    assert tokenizer.decode([], tokens=tokens) == expected
