"""Bucket lengths: few distinct shapes, never shorter than the data, fixed-size axes untouched,
and consistent lengths for arrays made from the same sentences."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from kexue.data import sequence_padding
from kexue.data.sequences import bucket_length, compiles_per_shape
from helpers import backend


def test_bucket_lengths_are_few_and_tight():
    buckets = {bucket_length(n) for n in range(0, 513)}
    assert sorted(buckets) == [8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512]
    for n in range(1, 2049):
        assert n <= bucket_length(n) <= max(8, 1.5 * n)
        assert bucket_length(n) <= bucket_length(n + 1)


@settings(max_examples=60, deadline=None)
@given(lengths=st.lists(st.integers(1, 70), min_size=1, max_size=6))
def test_bucketed_padding_keeps_the_data_and_agrees_across_arrays(lengths):
    rng = np.random.default_rng(len(lengths))
    tokens = [list(rng.integers(1, 100, n)) for n in lengths]
    tags = [list(rng.integers(0, 5, n)) for n in lengths]
    exact = sequence_padding(tokens, bucket=False)
    padded = sequence_padding(tokens, bucket=True)
    width = exact.shape[1]
    expected = bucket_length(width) if len(set(lengths)) > 1 else width
    assert padded.shape == (len(lengths), expected)
    np.testing.assert_array_equal(padded[:, :width], exact)
    assert not padded[:, width:].any()
    assert sequence_padding(tags, bucket=True).shape == padded.shape
    labels = sequence_padding([[int(n % 2)] for n in lengths], bucket=True)  # one label each
    assert labels.shape == (len(lengths), 1)


def test_fixed_axes_of_multi_axis_labels_keep_their_size():
    heads = 3  # GlobalPointer labels (heads, length, length): only the lengths are bucketed
    labels = [np.zeros((heads, n, n)) for n in (5, 9, 7)]
    assert sequence_padding(labels, seq_dims=3, bucket=True).shape == (3, heads, 12, 12)
    spans = [np.zeros((2, n, 2)) for n in (1, 4)]  # GPLinker's (2, spans, 2) with seq_dims=2
    assert sequence_padding(spans, seq_dims=2, bucket=True).shape == (2, 2, 8, 2)


def test_auto_buckets_where_shapes_compile():
    assert compiles_per_shape() == (backend() != "torch")
    auto = sequence_padding([[1, 2, 3], [4]])
    assert auto.shape == ((2, 8) if backend() != "torch" else (2, 3))
