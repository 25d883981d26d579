"""The plain-text fast path gives exactly what the Hugging Face engine gives."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kexue.tokenizers import Tokenizer
from kexue.tokenizers.plain import plain_characters

CLASSES = plain_characters()
NON_CJK = sorted(c for c, k in CLASSES.items() if k != "cjk")
CJK = sorted(c for c, k in CLASSES.items() if k == "cjk")


@pytest.fixture(scope="module", params=[True, False], ids=["uncased", "cased"])
def pair(request, minilm_vocab):
    lower = request.param
    return Tokenizer(minilm_vocab, do_lower_case=lower), Tokenizer(minilm_vocab, do_lower_case=lower, fast_path=False)


def _same(fast, engine, texts):
    assert all(fast._plain.is_plain(t) for t in texts)
    got = fast._content_batch(texts, True)
    expected = engine._content_batch(texts, True)
    for text, (ids, offsets), (want_ids, want_offsets) in zip(texts, got, expected):
        assert (ids, offsets) == (list(want_ids), list(want_offsets)), repr(text)


def test_every_non_cjk_plain_character_in_context(pair):
    fast, engine = pair
    texts = [t for c in NON_CJK for t in (c, f"ab{c}cd", f"{c}{c}x", f"中{c}A", f"word{c}")]
    _same(fast, engine, texts)


def test_every_cjk_ideograph(pair):
    fast, engine = pair
    texts = ["x" + "".join(CJK[i : i + 400]) + "Yz" for i in range(0, len(CJK), 400)]
    _same(fast, engine, texts)


def test_plain_set_covers_what_chinese_text_needs():
    assert len(CJK) == (0x9FFF - 0x4E00 + 1) + (0x4DBF - 0x3400 + 1)
    for c in "，。！？、；：“”‘’（）《》【】…—·～ \t\n\u3000ＡＢｃ１２":
        assert c in CLASSES, repr(c)
    for c in "é\u0301\x00\x07\u200b\ufffd😀\u2028가あ":
        assert c not in CLASSES, repr(c)


plain_text = st.text(
    alphabet=st.one_of(
        st.sampled_from(NON_CJK),
        st.sampled_from(CJK[:50] + ["中", "文", "的", "是"]),
        st.sampled_from(list("aaaaeeeetttsss    ")),
    ),
    max_size=80,
)


@settings(max_examples=120, deadline=None)
@given(texts=st.lists(plain_text, min_size=1, max_size=4))
def test_random_plain_text(pair, texts):
    fast, engine = pair
    _same(fast, engine, texts)
    assert fast.encode_batch(texts) == engine.encode_batch(texts)


def test_long_words_and_mixed_batches(pair):
    fast, engine = pair
    texts = ["a" * 100, "a" * 101, "x" * 300 + " ok", "mixé with plain", "plain only", "中文😀"]
    assert fast.encode_batch(texts, return_offsets=True) == engine.encode_batch(texts, return_offsets=True)
    assert fast.encode_batch(texts, maxlen=5) == engine.encode_batch(texts, maxlen=5)
