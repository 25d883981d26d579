"""Reparameterised learning rate θ = λφ: SGD's effective rate λ²·lr, Adam's λ·lr."""

import keras
import numpy as np
import pytest

from kexue.optimizers import Reparameterized


def _train(model, optimizer, x, y, steps=5):
    model.compile(optimizer=optimizer, loss="mse")
    for _ in range(steps):
        model.train_on_batch(x, y)


def _pair(scale):
    keras.utils.set_random_seed(3)
    plain = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    wrapped = keras.Sequential(
        [keras.Input((3,)), Reparameterized(keras.layers.Dense(2), scale=scale)]
    )
    for phi, w in zip(wrapped.layers[0]._phis, plain.get_weights()):
        phi.assign(w / scale)
    return plain, wrapped


@pytest.mark.parametrize("optimizer, power", [("sgd", 2), ("momentum", 2), ("adam", 1)])
def test_effective_learning_rate(optimizer, power):
    lam, lr = 3.0, 0.01
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 3)).astype("float32"), rng.normal(size=(16, 2)).astype("float32")
    plain, wrapped = _pair(lam)
    make = {
        "sgd": lambda r: keras.optimizers.SGD(r),
        "momentum": lambda r: keras.optimizers.SGD(r, momentum=0.9),
        "adam": lambda r: keras.optimizers.Adam(r, epsilon=1e-12),
    }[optimizer]
    _train(plain, make(lr * lam**power), x, y)
    _train(wrapped, make(lr), x, y)
    for theta, w in zip(wrapped.layers[0].effective_weights(), plain.get_weights()):
        np.testing.assert_allclose(theta, w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        wrapped.predict(x, verbose=0), plain.predict(x, verbose=0), rtol=1e-5, atol=1e-5
    )


def test_save_round_trip(tmp_path):
    _, wrapped = _pair(2.0)
    x = np.ones((2, 3), "float32")
    wrapped.save(tmp_path / "m.keras")
    again = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(
        again.predict(x, verbose=0), wrapped.predict(x, verbose=0), rtol=1e-6
    )
    with pytest.raises(ValueError, match="scale"):
        Reparameterized(keras.layers.Dense(1), scale=0)
