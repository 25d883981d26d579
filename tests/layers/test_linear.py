"""``Linear`` (fused matmul + bias via ``kexue.backend.linear``) against ``keras.layers.Dense``
and NumPy: values, gradients, LoRA, mixed precision, saving."""

import keras
import numpy as np
import pytest

from kexue.backend import linear, variable_grads
from kexue.layers.linear import Linear


def twins(**kwargs):
    ours, theirs = Linear(5, **kwargs), keras.layers.Dense(5, **kwargs)
    ours.build((None, 4))
    theirs.build((None, 4))
    theirs.set_weights(ours.get_weights())
    return ours, theirs


@pytest.mark.parametrize("use_bias", [True, False])
def test_linear_matches_dense_and_numpy(use_bias):
    x = np.random.default_rng(0).normal(size=(2, 3, 4)).astype("float32")
    ours, theirs = twins(use_bias=use_bias, activation="tanh")
    w = ours.get_weights()
    expected = np.tanh(x @ w[0] + (w[1] if use_bias else 0))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(ours(x)), expected, atol=1e-6)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(theirs(x)), expected, atol=1e-6)
    got = keras.ops.convert_to_numpy(linear(x[0], w[0], w[1] if use_bias else None))
    np.testing.assert_allclose(got, x[0] @ w[0] + (w[1] if use_bias else 0), atol=1e-6)


def test_linear_gradients_match_dense():
    x = np.random.default_rng(1).normal(size=(3, 4)).astype("float32")
    ours, theirs = twins()
    g1 = variable_grads(lambda: keras.ops.sum(ours(x) ** 2), ours.trainable_variables)
    g2 = variable_grads(lambda: keras.ops.sum(theirs(x) ** 2), theirs.trainable_variables)
    for a, b in zip(g1, g2, strict=True):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b), atol=1e-5)


def test_linear_keeps_lora_and_mixed_precision():
    x = np.random.default_rng(2).normal(size=(3, 4)).astype("float32")
    ours, theirs = twins()
    for layer in (ours, theirs):
        layer.enable_lora(2, b_initializer="ones")
    theirs.set_weights(ours.get_weights())
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(ours(x)), keras.ops.convert_to_numpy(theirs(x)), atol=1e-5
    )
    half = Linear(5, dtype="mixed_bfloat16")
    y = half(x)
    assert keras.backend.standardize_dtype(y.dtype) == "bfloat16"


def test_linear_round_trips_through_keras_saving(tmp_path):
    inputs = keras.Input((4,))
    model = keras.Model(inputs, Linear(3, name="proj")(inputs))
    x = np.ones((2, 4), "float32")
    model.save(tmp_path / "m.keras")
    again = keras.saving.load_model(tmp_path / "m.keras")
    assert type(again.get_layer("proj")) is Linear
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
