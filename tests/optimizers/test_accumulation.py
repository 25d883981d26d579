"""Gradient accumulation: k steps of batch b with SGD equal one step of batch k·b on a linear
model (reference-values.md), with Keras' option and through kexue's extended optimizer."""

import keras
import numpy as np
import pytest

from kexue.optimizers import extend


def _linear(seed=0):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input((5,)), keras.layers.Dense(3)])


@pytest.mark.parametrize("extended", [False, True])
def test_k_small_batches_equal_one_big_batch(extended):
    k, b = 4, 8
    rng = np.random.default_rng(0)
    x, y = (
        rng.normal(size=(k * b, 5)).astype("float32"),
        rng.normal(size=(k * b, 3)).astype("float32"),
    )
    big, small = _linear(), _linear()
    small.set_weights(big.get_weights())
    cls = extend(keras.optimizers.SGD) if extended else keras.optimizers.SGD
    big.compile(cls(learning_rate=0.1), "mse")
    small.compile(cls(learning_rate=0.1, gradient_accumulation_steps=k), "mse")
    big.fit(x, y, batch_size=k * b, epochs=1, shuffle=False, verbose=0)
    small.fit(x, y, batch_size=b, epochs=1, shuffle=False, verbose=0)
    for w_big, w_small, w0 in zip(big.get_weights(), small.get_weights(), _linear().get_weights()):
        assert np.abs(w_big - w0).max() > 1e-3  # it did move
        np.testing.assert_allclose(w_small, w_big, rtol=1e-5, atol=1e-6)
