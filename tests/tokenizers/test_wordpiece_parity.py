"""Token ids of kexue's ``Tokenizer`` against transformers' fast BERT tokenizer and bert4keras."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tokenizer_strategies import mixed_text

CASES = [
    "Hello, World! I'm here.",
    "The quick brown fox jumps over the lazy dog; unbelievably, it's 3.14 o'clock.",
    "我爱北京天安门，天安门上太阳升。",
    "今天天气很好 today is a good day!! 2024年",
    "Café naïve résumé ÉCOLE Ångström Straße",
    "emoji 😀🚀 and symbols ™ © € ①",
    "control\x00chars\x07and\x1bzero\u200bwidth\ufeff here\ufffd",
    "tabs\tand\nnew\r\nlines\u3000ideographic\u00a0nbsp",
    "",
    "   ",
    "\x00\x07",
    "a" * 150,  # longer than max_input_chars_per_word: one [UNK]
    "ﬁnal İstanbul ΣΟΦΙΑ σοφία",
    "（全角）【括号】《书名》“引号”…",
]

@pytest.mark.parametrize("text", CASES)
def test_single_text_ids_match_transformers(tokenizer, hf_bert, text):
    expected = hf_bert(text)
    token_ids, segment_ids = tokenizer.encode(text)
    assert token_ids == expected["input_ids"]
    assert segment_ids == expected["token_type_ids"]
    assert tokenizer.tokenize(text) == hf_bert.convert_ids_to_tokens(expected["input_ids"])


@pytest.mark.parametrize("first,second", [(CASES[0], CASES[2]), (CASES[3], CASES[1]), ("", CASES[4]), (CASES[5], CASES[6])])
def test_pair_ids_match_transformers(tokenizer, hf_bert, first, second):
    expected = hf_bert(first, second)
    assert tokenizer.encode(first, second) == (expected["input_ids"], expected["token_type_ids"])


def test_encode_batch_matches_transformers_and_single_encode(tokenizer, hf_bert):
    pairs = list(zip(CASES, reversed(CASES)))
    items = CASES + pairs
    ids, segments = tokenizer.encode_batch(items)
    expected = hf_bert(CASES)["input_ids"] + hf_bert([p[0] for p in pairs], [p[1] for p in pairs])["input_ids"]
    assert ids == expected
    assert [tokenizer.encode(*(i if isinstance(i, tuple) else (i,))) for i in items] == list(zip(ids, segments))


@settings(max_examples=100, deadline=None)
@given(text=mixed_text)
def test_random_text_ids_match_transformers(tokenizer, hf_bert, text):
    assert tokenizer.encode(text)[0] == hf_bert(text)["input_ids"]


@settings(max_examples=40, deadline=None)
@given(first=mixed_text, second=mixed_text.filter(bool))
def test_random_pairs_match_transformers(tokenizer, hf_bert, first, second):
    expected = hf_bert(first, second)
    assert tokenizer.encode(first, second) == (expected["input_ids"], expected["token_type_ids"])


def _truncate_by_popping(first, second, maxlen, pattern):
    """The truncation rule written out naively: pop the content token before the final [SEP]
    of the longer tokenised text (the first on ties) until the output fits in maxlen."""
    first, second = list(first), list(second) if second is not None else None
    if second is None:
        while len(first) > maxlen:
            first.pop(-2)
        return first, [0] * len(first)
    drop = 1 if pattern == "S*E*E" else 0
    while len(first) + len(second) - drop > maxlen:
        (first if len(first) >= len(second) else second).pop(-2)
    tail = second[drop:]
    return first + tail, [0] * len(first) + [1] * len(tail)


@settings(max_examples=80, deadline=None)
@given(
    first=mixed_text,
    second=st.one_of(st.none(), mixed_text),
    maxlen=st.integers(4, 40),
    pattern=st.sampled_from(["S*E*E", "S*ES*E"]),
)
def test_truncation_follows_the_popping_rule(tokenizer, first, second, maxlen, pattern):
    full_first = tokenizer.encode(first)[0]
    full_second = tokenizer.encode(second)[0] if second is not None else None
    expected = _truncate_by_popping(full_first, full_second, maxlen, pattern)
    got = tokenizer.encode(first, second, maxlen=maxlen, pattern=pattern)
    assert got == expected
    assert len(got[0]) <= maxlen
    # The pre-tokenised path (bert4keras' list input) agrees with the text path.
    tokens_second = tokenizer.tokenize(second) if second is not None else None
    assert tokenizer.encode(tokenizer.tokenize(first), tokens_second, maxlen=maxlen, pattern=pattern) == got
    batch = tokenizer.encode_batch([first if second is None else (first, second)], maxlen=maxlen, pattern=pattern)
    assert (batch[0][0], batch[1][0]) == got


def test_single_truncation_matches_transformers(tokenizer, hf_bert):
    text = CASES[1] + CASES[2]
    for maxlen in (2, 5, 17):
        assert tokenizer.encode(text, maxlen=maxlen)[0] == hf_bert(text, truncation=True, max_length=maxlen)["input_ids"]
        assert tokenizer.tokenize(text, maxlen=maxlen) == hf_bert.convert_ids_to_tokens(
            hf_bert(text, truncation=True, max_length=maxlen)["input_ids"]
        )


def test_truncate_from_left_keeps_the_tail(tokenizer):
    ids = tokenizer.encode("one two three four five")[0]
    assert tokenizer.encode("one two three four five", maxlen=4, truncate_from="left")[0] == ids[:1] + ids[-3:]


def test_matches_bert4keras_on_mixed_sentences(tokenizer, b4k_tokenizer):
    # bert4keras lets words up to 200 characters through (we and BERT stop at 100), so the
    # comparison avoids longer words.
    for first in [c for c in CASES if len(max(c.split() or [""], key=len)) <= 100]:
        for second in (None, CASES[2], ""):  # transformers drops an empty second text; we keep it
            for maxlen in (None, 9):
                expected = b4k_tokenizer.encode(first, second, maxlen=maxlen)
                assert tokenizer.encode(first, second, maxlen=maxlen) == expected, (first, second, maxlen)


def test_special_ids_and_lookups(tokenizer, minilm_vocab):
    lines = minilm_vocab.read_text("utf-8").splitlines()
    assert tokenizer.vocab_size == len(lines) == 30522
    assert (tokenizer._token_start_id, tokenizer._token_end_id) == (lines.index("[CLS]"), lines.index("[SEP]"))
    assert (tokenizer._token_pad_id, tokenizer._token_unk_id, tokenizer._token_mask_id) == (0, 100, 103)
    assert tokenizer.token_to_id("hello") == lines.index("hello")
    assert tokenizer.token_to_id("no-such-token") == tokenizer._token_unk_id
    assert tokenizer.ids_to_tokens(tokenizer.tokens_to_ids(["[CLS]", "hello", "##s"])) == ["[CLS]", "hello", "##s"]
    with pytest.raises(KeyError, match="not in the vocabulary"):
        tokenizer.id_to_token(10**6)
