"""x·min(1, eˣ) = max(x, x·e^(−|x|)), finite (value and gradient) at ±1e4."""

import keras
import numpy as np

from kexue.layers.activations import XMinExp, x_min_exp


def grad_of(fn, x):
    if keras.backend.backend() == "jax":
        import jax

        return np.asarray(jax.vmap(jax.grad(lambda v: fn(v)))(x))
    import torch

    t = torch.tensor(x, requires_grad=True)
    fn(t).sum().backward()
    return t.grad.numpy()


def test_matches_definition_and_finite_at_extremes():
    x = np.concatenate([np.linspace(-30, 30, 601), [-1e4, 1e4]]).astype("float32")
    got = keras.ops.convert_to_numpy(x_min_exp(x))
    with np.errstate(over="ignore", invalid="ignore"):
        ref = x.astype(np.float64) * np.minimum(1.0, np.exp(x.astype(np.float64)))
    np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-30)
    assert np.all(np.isfinite(got))
    grads = grad_of(x_min_exp, x)
    assert np.all(np.isfinite(grads))
    expected = np.where(x > 0, 1.0, np.exp(np.minimum(x, 0)) * (1 + x))  # d/dx of each branch
    np.testing.assert_allclose(
        grads[np.abs(x) > 1e-3], expected[np.abs(x) > 1e-3], rtol=1e-5, atol=1e-6
    )
    assert got.min() >= -1 / np.e - 1e-6


def test_as_activation_serialises(tmp_path):
    model = keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(2, activation=x_min_exp), XMinExp()]
    )
    model.save(tmp_path / "m.keras")
    again = keras.models.load_model(tmp_path / "m.keras")
    x = np.ones((1, 3), "float32")
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0))
