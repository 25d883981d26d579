"""RNN input saliency: states equal the layer run on every prefix (brute force), the scores
telescope to ‖h_n − h_0‖ (≤ 1e-5), padding with a mask changes nothing, a model is read
through its RNN layer."""

import keras
import numpy as np
import pytest

from kexue.saliency import rnn_saliency, rnn_states

rng = np.random.default_rng(0)
X = rng.normal(size=(3, 6, 4)).astype("float32")


@pytest.mark.parametrize("kind", ["GRU", "LSTM"])
def test_states_are_prefix_outputs_and_scores_telescope(kind):
    layer = getattr(keras.layers, kind)(5)
    layer(X)  # build
    states = rnn_states(layer, X)
    assert states.shape == (3, 7, 5) and np.all(states[:, 0] == 0)
    for t in (2, 6):  # h_t is what the layer returns after reading t steps
        np.testing.assert_allclose(states[:, t], keras.ops.convert_to_numpy(layer(X[:, :t])),
                                   rtol=1e-5, atol=1e-6)
    scores = rnn_saliency(layer, X)
    total = np.linalg.norm(states[:, -1] - states[:, 0], axis=-1)
    np.testing.assert_allclose(scores.sum(axis=1), total, rtol=0, atol=1e-5)
    h_n = states[:, -1:]
    by_hand = np.linalg.norm(h_n - states[:, :-1], axis=-1) - np.linalg.norm(h_n - states[:, 1:], axis=-1)
    np.testing.assert_allclose(scores, by_hand, atol=1e-12)


def test_mask_equals_unpadded_sequences():
    layer = keras.layers.GRU(5)
    lengths = [6, 4, 2]
    padded, mask = X.copy(), np.zeros((3, 6), bool)
    for row, n in enumerate(lengths):
        padded[row, n:] = 7.0  # garbage that must be ignored
        mask[row, :n] = True
    scores = rnn_saliency(layer, padded, mask=mask)
    for row, n in enumerate(lengths):
        alone = rnn_saliency(layer, X[row : row + 1, :n])[0]
        np.testing.assert_allclose(scores[row, :n], alone, rtol=1e-5, atol=1e-6)
        assert np.all(scores[row, n:] == 0)
    left = np.zeros_like(X[:1])  # left padding works too
    left[0, 3:] = X[2, :3]
    scores_left = rnn_saliency(layer, left, mask=np.arange(6)[None] >= 3)
    np.testing.assert_allclose(scores_left[0, 3:], rnn_saliency(layer, X[2:3, :3])[0], rtol=1e-5, atol=1e-6)


def test_model_through_its_rnn_layer():
    ids = rng.integers(1, 30, size=(4, 7))
    inputs = keras.Input((None,), dtype="int32")
    embedded = keras.layers.Embedding(30, 6, name="embed")(inputs)
    lstm = keras.layers.LSTM(5, name="lstm")
    model = keras.Model(inputs, keras.layers.Dense(1)(lstm(embedded)))
    vectors = keras.ops.convert_to_numpy(model.get_layer("embed")(ids))
    np.testing.assert_allclose(rnn_saliency(model, ids), rnn_saliency(lstm, vectors), rtol=1e-5, atol=1e-6)
    # a masking embedding hands its mask to the RNN, and saliency takes it from there
    masked_in = keras.Input((None,), dtype="int32")
    masked_lstm = keras.layers.LSTM(5)
    masked_embed = keras.layers.Embedding(30, 6, mask_zero=True)
    masked = keras.Model(masked_in, masked_lstm(masked_embed(masked_in)))
    padded = ids.copy()
    padded[1, 4:] = 0
    vectors = keras.ops.convert_to_numpy(masked_embed(padded))
    np.testing.assert_allclose(rnn_saliency(masked, padded),
                               rnn_saliency(masked_lstm, vectors, mask=padded != 0), rtol=1e-5, atol=1e-6)
    assert np.all(rnn_saliency(masked, padded)[1, 4:] == 0)


def test_errors_name_the_problem():
    inputs = keras.Input((None, 4))
    none = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    with pytest.raises(ValueError, match="0 top-level RNN layers.*rnn=<layer name>"):
        rnn_saliency(none, X)
    with pytest.raises(ValueError, match="go_backwards"):
        rnn_states(keras.layers.GRU(2, go_backwards=True), X)
    with pytest.raises(ValueError, match="mask must have shape"):
        rnn_states(keras.layers.GRU(2), X, mask=np.ones((3, 5), bool))
