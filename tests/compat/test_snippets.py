"""kexue.snippets: bert4keras' helpers under their names (the data and decoding ones have their
own tests in tests/data and tests/decoding)."""

import unicodedata
import warnings

import numpy as np
import pytest
from helpers import backend

import kexue.snippets as snippets
from kexue.data.sequences import bucket_length


def test_every_bert4keras_name_is_here():
    for name in ("open", "to_array", "parallel_apply", "parallel_apply_generator", "text_segmentate",
                 "sequence_padding", "truncate_sequences", "DataGenerator", "AutoRegressiveDecoder",
                 "ViterbiDecoder", "set_gelu", "is_string", "strQ2B"):
        assert callable(getattr(snippets, name)), name


def test_to_array_pads_sentences_to_a_bucket_for_prediction():
    token_ids, segment_ids = snippets.to_array([[2, 7, 9, 3]], [[0, 0, 0, 0]])
    expected = 8 if backend() != "torch" else 4
    assert token_ids.shape == segment_ids.shape == (1, expected)
    np.testing.assert_array_equal(token_ids[0, :4], [2, 7, 9, 3])
    assert snippets.to_array([[1] * 20], bucket=True).shape == (1, bucket_length(20))
    assert snippets.to_array([[1] * 20], bucket=False).shape == (1, 20)
    assert snippets.to_array([1, 2, 3]).tolist() == [1, 2, 3]  # not a batch of sequences
    np.testing.assert_array_equal(snippets.to_array([[5, 6]], bucket=True, value=1)[0, 2:], 1)


def test_strQ2B_matches_unicode_compatibility_forms():
    """Full-width ASCII forms and the ideographic space become their NFKC (half-width) forms;
    everything else is left alone."""
    text = "".join(chr(c) for c in range(0xFF01, 0xFF5F)) + "\u3000中文。，"
    expected = "".join(
        unicodedata.normalize("NFKC", ch) if 0xFF01 <= ord(ch) <= 0xFF5E or ch == "\u3000" else ch for ch in text
    )
    assert snippets.strQ2B(text) == expected


@pytest.mark.parametrize("dummy", [True, False])
def test_parallel_apply(dummy):
    items = list(range(40))
    ordered = snippets.parallel_apply(lambda x: x * x, items, 3, 8, dummy=dummy, unordered=False)
    assert ordered == [x * x for x in items]
    unordered = snippets.parallel_apply(lambda x: x + 1, items, 2, 4, dummy=dummy)
    assert sorted(unordered) == [x + 1 for x in items]
    seen = []
    assert snippets.parallel_apply(str, items[:5], 2, 4, callback=seen.append, dummy=dummy) is None
    assert sorted(seen) == sorted(map(str, items[:5]))


def test_parallel_apply_reports_a_failing_item():
    def fail_on_three(x):
        if x == 3:
            raise ValueError("three")
        return x

    with pytest.raises(RuntimeError, match="(?s)item 3.*three"):
        snippets.parallel_apply(fail_on_three, range(6), 2, 4, dummy=True)


def test_open_reads_indexes_and_writes_atomically(tmp_path):
    path = tmp_path / "lines.txt"
    with snippets.open(path, "w", encoding="utf-8") as f:
        f.write("第一行\nsecond\n")
        assert not path.exists()  # appears complete when closed
    f = snippets.open(path, encoding="utf-8", indexable=str(tmp_path / "index.json"))
    assert len(f) == 2 and f[1] == "second\n" and f[0] == "第一行\n"
    assert list(snippets.open(path, encoding="utf-8")) == ["第一行\n", "second\n"]
    again = snippets.open(path, encoding="utf-8", indexable=str(tmp_path / "index.json"))
    assert again.offsets == f.offsets
    with pytest.raises(ValueError, match="atomically"):
        snippets.open(path, "a")


def test_set_gelu_has_no_global_effect_and_says_what_to_pass():
    with pytest.warns(UserWarning, match="hidden_act='gelu_tanh'"):
        assert snippets.set_gelu("tanh") == "gelu_tanh"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert snippets.set_gelu("erf") == "gelu"
    with pytest.raises(ValueError, match="erf"):
        snippets.set_gelu("relu")


def test_viterbi_decoder_drops_rows_marked_as_padding():
    trans = np.array([[0.0, -3.0], [-3.0, 0.0]])
    nodes = np.array([[1.0, 0.0], [0.0, 2.0], [-1e12, -1e12], [-1e12, -1e12]])
    assert snippets.ViterbiDecoder(trans).decode(nodes).tolist() == [1, 1]
    assert snippets.ViterbiDecoder(trans).decode(nodes[:2]).tolist() == [1, 1]
