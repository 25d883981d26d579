"""The two-digit test's pieces: pairs of different digits side by side, top-2 scoring, both
heads take images of any size, the capsule head's scores are lengths in [0, 1)."""

import keras
import numpy as np
import pytest

from kexue.vision.two_digits import two_digit_accuracy, two_digit_model, two_digit_pairs

rng = np.random.default_rng(0)


def test_pairs_are_two_different_digits_side_by_side():
    x = rng.uniform(size=(40, 8, 8, 1)).astype("float32")
    y = rng.integers(0, 10, size=40)
    pairs, labels = two_digit_pairs(x, y, seed=3)
    partner = np.random.default_rng(3).permutation(40)
    keep = y != y[partner]
    np.testing.assert_array_equal(pairs[:, :, :8], x[keep])
    np.testing.assert_array_equal(pairs[:, :, 8:], x[partner][keep])
    np.testing.assert_array_equal(labels, np.sort(np.stack([y[keep], y[partner][keep]], 1), 1))
    assert np.all(labels[:, 0] != labels[:, 1])


def test_top_two_accuracy_by_hand():
    scores = np.array([[0.9, 0.6, 0.1], [0.9, 0.1, 0.3], [0.4, 0.45, 0.0]])
    labels = np.array([[1, 0], [0, 1], [0, 1]])
    assert two_digit_accuracy(scores, labels) == pytest.approx(2 / 3)
    assert two_digit_accuracy(scores, labels, threshold=0.5) == pytest.approx(1 / 3)


@pytest.mark.parametrize("head", ["capsule", "average"])
def test_models_take_single_digits_and_pairs(head):
    model = two_digit_model(head, width=4, capsule_dim=4)
    single = keras.ops.convert_to_numpy(model(np.ones((2, 8, 8, 1), "float32")))
    pair = keras.ops.convert_to_numpy(model(np.ones((2, 8, 16, 1), "float32")))
    assert single.shape == pair.shape == (2, 10)
    assert np.all((single >= 0) & (single < 1)) and np.all((pair >= 0) & (pair < 1))
    with pytest.raises(ValueError, match="head"):
        two_digit_model("attention")
