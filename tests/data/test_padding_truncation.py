"""sequence_padding, truncate_sequences and text_segmentate against independent references."""

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kexue.data import sequence_padding, text_segmentate, truncate_sequences

ragged = st.lists(st.lists(st.integers(-5, 5), max_size=7), min_size=1, max_size=6)


@settings(max_examples=80, deadline=None)
@given(seqs=ragged, length=st.one_of(st.none(), st.integers(0, 9)), mode=st.sampled_from(["post", "pre"]))
def test_one_sequence_axis_matches_keras_pad_sequences(seqs, length, mode):
    got = sequence_padding(seqs, length=length, value=-9, mode=mode, bucket=False)
    # Keras' own padder, truncating at the end as bert4keras does.
    expected = keras.utils.pad_sequences(seqs, maxlen=length, padding=mode, truncating="post", value=-9)
    np.testing.assert_array_equal(got, expected)


def test_pre_and_post_by_hand():
    np.testing.assert_array_equal(sequence_padding([[1, 2, 3], [4]], bucket=False), np.array([[1, 2, 3], [4, 0, 0]]))
    np.testing.assert_array_equal(sequence_padding([[1, 2, 3], [4]], mode="pre", bucket=False), np.array([[1, 2, 3], [0, 0, 4]]))
    np.testing.assert_array_equal(sequence_padding([[1, 2, 3], [4]], length=2), np.array([[1, 2], [4, 0]]))


@settings(max_examples=40, deadline=None)
@given(
    shapes=st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4)), min_size=1, max_size=4),
    mode=st.sampled_from(["post", "pre"]),
    length=st.one_of(st.none(), st.tuples(st.integers(0, 5), st.integers(0, 5))),
)
def test_two_sequence_axes_match_numpy_pad(shapes, mode, length):
    rng = np.random.default_rng(0)
    inputs = [rng.normal(size=(r, c, 2)).astype("float32") for r, c in shapes]
    got = sequence_padding(inputs, length=length, value=7.0, seq_dims=2, mode=mode, bucket=False)
    target = length or (max(r for r, _ in shapes), max(c for _, c in shapes))
    expected = []
    for x in inputs:
        x = x[: target[0], : target[1]]
        missing = [(0, target[i] - x.shape[i]) if mode == "post" else (target[i] - x.shape[i], 0) for i in range(2)]
        expected.append(np.pad(x, missing + [(0, 0)], constant_values=7.0))
    np.testing.assert_array_equal(got, np.stack(expected))
    assert got.dtype == np.float32 and got.shape == (len(inputs), *target, 2)


def test_padding_checks_and_dtypes():
    assert sequence_padding([[], [1, 2]]).dtype.kind == "i"  # an empty list does not make it float
    assert sequence_padding([[1.5], [2]]).dtype == np.float64
    assert sequence_padding([[1, 2]], length=4, dtype="int32").dtype == np.int32
    with pytest.raises(ValueError, match="at least one"):
        sequence_padding([])
    with pytest.raises(ValueError, match="post"):
        sequence_padding([[1]], mode="middle")
    with pytest.raises(ValueError, match="non-sequence axes differ"):
        sequence_padding([np.zeros((2, 3)), np.zeros((2, 4))])
    with pytest.raises(ValueError, match="seq_dims=2"):
        sequence_padding([[1, 2]], seq_dims=2)


@settings(max_examples=80, deadline=None)
@given(
    lengths=st.lists(st.integers(0, 8), min_size=1, max_size=4),
    maxlen=st.integers(0, 20),
    index=st.sampled_from([-1, 0]),
)
def test_truncate_sequences_pops_from_the_longest(lengths, maxlen, index):
    seqs = [list(range(100 * k, 100 * k + n)) for k, n in enumerate(lengths)]
    expected = [list(s) for s in seqs if s]
    while sum(map(len, expected)) > maxlen:
        longest = max(range(len(expected)), key=lambda i: (len(expected[i]), -i))
        expected[longest].pop(index)
    assert truncate_sequences(maxlen, index, *seqs) == expected
    assert [s for s, n in zip(seqs, lengths) if n] == expected  # popped in place


def test_truncate_sequences_per_sequence_indices():
    a, b = [1, 2, 3, 9], [5, 6, 7, 9]
    # 8 > 5: tie, so a loses its [-2]; then b (longer) its [0]; then a again on the tie.
    assert truncate_sequences(5, [-2, 0], a, b) == [[1, 9], [6, 7, 9]]
    c, d = [1, 2, 3, 9], [5, 6, 7, 9]
    assert truncate_sequences(5, [-2, 0], c, None, d) == [[1, 9], [6, 7, 9]] == truncate_sequences(5, [-2, 0, 0], [1, 2, 3, 9], [], [5, 6, 7, 9])
    with pytest.raises(ValueError, match="indices"):
        truncate_sequences(3, [0], [1, 2], [3, 4])


def test_text_segmentate_matches_bert4keras_examples():
    text = "第一句话。第二句，比较长的一句话！第三句？最后"
    assert text_segmentate(text, 8, "。！？，") == ["第一句话。", "第二句，", "比较长的一句话！", "第三句？最后"]
    assert text_segmentate("  short  ", 20) == ["short"]
    assert text_segmentate("aaaaaaaaaa", 3, "，") == ["aaaaaaaaaa"]
    with pytest.raises(ValueError, match="maxlen"):
        text_segmentate("x", 0)


@settings(max_examples=80, deadline=None)
@given(
    text=st.text(alphabet=st.sampled_from(list("ab中文 。，！\n")), max_size=80),
    maxlen=st.integers(1, 12),
)
def test_text_segmentate_keeps_the_text_and_respects_maxlen(text, maxlen):
    seps = "\n。！，"
    pieces = text_segmentate(text, maxlen, seps)
    # Nothing but white space at piece boundaries is lost, and order is kept.
    assert "".join(p.replace(" ", "").replace("\n", "") for p in pieces) == text.replace(" ", "").replace("\n", "")
    # bert4keras semantics: empty pieces (consecutive separators) never trigger a flush, so the
    # length bound is only promised for texts without runs of separators.
    if any(a in seps and b in seps for a, b in zip(text, text[1:])):
        return
    for piece in pieces:
        # A piece over maxlen has no separator left to cut at.
        assert len(piece) <= maxlen or not any(s in piece.rstrip(seps) for s in seps)


def test_text_segmentate_matches_bert4keras(b4k_snippets):
    texts = ["今天天气很好。我们去公园吧！好的，走。\n第二段很长很长很长，但是有逗号，所以能切开。", "a,b,c,d,e,f"]
    for text in texts:
        for maxlen in (3, 5, 8, 13, 100):
            assert text_segmentate(text, maxlen, "\n。！，,") == b4k_snippets.text_segmentate(text, maxlen, "\n。！，,")
