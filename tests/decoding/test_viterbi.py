"""Viterbi decoding (NumPy and in-graph) against brute-force enumeration of every label path."""

import doctest
import itertools

import keras
import numpy as np
import pytest

import kexue.decoding.viterbi as viterbi_module
from kexue.backend import jit as compiled  # jax.jit on JAX: one compile, not one per op
from kexue.decoding.viterbi import ViterbiDecoder, viterbi_decode


def brute_force_best(nodes, trans, starts=None, ends=None):
    """(score, path) of the best path by scoring all K^n label sequences."""
    length, num_labels = nodes.shape
    best = (-np.inf, ())
    for path in itertools.product(range(num_labels), repeat=length):
        if (starts is not None and path[0] not in starts) or (
            ends is not None and path[-1] not in ends
        ):
            continue
        score = nodes[np.arange(length), path].sum() + sum(
            trans[a, b] for a, b in itertools.pairwise(path)
        )
        best = max(best, (score, path))
    return best


def random_mask(rng, batch, length):
    """Right padding, left padding, interior holes, a full row and an empty row."""
    mask = rng.random((batch, length)) > 0.35
    mask[0] = np.arange(length) < length - 2
    mask[1] = np.arange(length) >= 2
    mask[2] = True
    mask[3] = False
    return mask


@pytest.mark.parametrize("length", [1, 2, 5])
def test_numpy_decoder_matches_brute_force(length):
    rng = np.random.default_rng(length)
    for _ in range(5):
        nodes, trans = rng.normal(size=(length, 3)), rng.normal(size=(3, 3))
        original = nodes.copy()
        path = ViterbiDecoder(trans).decode(nodes)
        assert tuple(path) == brute_force_best(nodes, trans)[1]
        np.testing.assert_array_equal(
            nodes, original
        )  # the caller's array is not modified


def test_numpy_decoder_starts_and_ends():
    rng = np.random.default_rng(7)
    for _ in range(5):
        nodes, trans = rng.normal(size=(4, 4)), rng.normal(size=(4, 4))
        path = ViterbiDecoder(trans, starts=[0, 2], ends=[1]).decode(nodes)
        assert tuple(path) == brute_force_best(nodes, trans, starts={0, 2}, ends={1})[1]


def test_in_graph_matches_brute_force_with_masks():
    rng = np.random.default_rng(0)
    batch, length, num_labels = 8, 5, 3
    potentials = rng.normal(size=(batch, length, num_labels)).astype("float32")
    trans = rng.normal(size=(num_labels, num_labels)).astype("float32")
    mask = random_mask(rng, batch, length)
    potentials[~mask] = -np.inf  # padding may hold anything, even -inf
    tags, scores = compiled(viterbi_decode)(potentials, trans, mask)
    tags, scores = keras.ops.convert_to_numpy(tags), keras.ops.convert_to_numpy(scores)
    for b in range(batch):
        valid = np.flatnonzero(mask[b])
        assert (tags[b, ~mask[b]] == 0).all()
        if valid.size == 0:
            assert scores[b] == 0
            continue
        best_score, best_path = brute_force_best(potentials[b, valid], trans)
        assert tuple(tags[b, valid]) == best_path
        np.testing.assert_allclose(scores[b], best_score, rtol=1e-5, atol=1e-5)


def test_in_graph_compiled():
    """Inside a Keras model (XLA-compiled on JAX, graph-free on torch)."""
    rng = np.random.default_rng(1)
    potentials = rng.normal(size=(4, 6, 3)).astype("float32")
    trans = rng.normal(size=(3, 3)).astype("float32")
    mask = random_mask(rng, 4, 6)
    inputs = keras.Input((None, 3)), keras.Input((None,), dtype="bool")
    layer = keras.layers.Lambda(lambda t: viterbi_decode(t[0], trans, t[1])[0])
    model = keras.Model(inputs, layer(list(inputs)))
    model.compile(
        jit_compile=keras.backend.backend() == "jax"
    )  # torch.compile is slow to start
    expected = model.predict([potentials, mask], verbose=0)
    for b in range(4):
        valid = np.flatnonzero(mask[b])
        if valid.size:
            assert (
                tuple(expected[b, valid])
                == brute_force_best(potentials[b, valid], trans)[1]
            )


def test_in_graph_agrees_with_numpy_decoder_on_longer_sequences():
    rng = np.random.default_rng(2)
    potentials = rng.normal(size=(3, 40, 5)).astype("float32")
    trans = rng.normal(size=(5, 5)).astype("float32")
    tags = keras.ops.convert_to_numpy(compiled(viterbi_decode)(potentials, trans)[0])
    decoder = ViterbiDecoder(trans)
    for b in range(3):
        np.testing.assert_array_equal(tags[b], decoder.decode(potentials[b]))


def test_bad_input_is_rejected():
    with pytest.raises(ValueError, match="square"):
        ViterbiDecoder(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="starts"):
        ViterbiDecoder(np.zeros((2, 2)), starts=[5])
    with pytest.raises(ValueError, match="nodes"):
        ViterbiDecoder(np.zeros((2, 2))).decode(np.zeros((3, 4)))
    with pytest.raises(ValueError, match="trans"):
        viterbi_decode(np.zeros((1, 3, 2), "float32"), np.zeros((3, 3), "float32"))
    with pytest.raises(ValueError, match="potentials"):
        viterbi_decode(np.zeros((3, 2), "float32"), np.zeros((2, 2), "float32"))


def test_docstring_examples():
    assert doctest.testmod(viterbi_module).failed == 0
