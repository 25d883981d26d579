"""Cascading rejection: orthogonal residuals, K = 1 is the plain critic, NumPy reference."""

import keras
import numpy as np
import pytest
from keras import ops

from kexue.generative.cascade import CascadeCritic, cascade_discriminator
from kexue.generative.single_loss import SingleLossGAN, mlp_generator


def _numpy_cascade(v, w, b):
    """Reference in float64: Gram-Schmidt-style rejection, one critic at a time."""
    v, out = v.astype("float64"), []
    for wk, bk in zip(w.astype("float64"), b):
        s = v @ wk
        out.append(s + bk)
        v = v - np.outer(s / (wk @ wk), wk)
    return np.stack(out, 1)


def _layer(critics, d=16):
    keras.utils.set_random_seed(0)
    layer = CascadeCritic(critics=critics)
    layer.build((None, d))
    layer.bias.assign(np.linspace(-1, 1, critics).astype("float32"))
    return layer


def test_residuals_are_orthogonal_to_the_critic_weights():
    layer = _layer(5)
    v = np.random.default_rng(0).normal(size=(64, 16)).astype("float32")
    residuals, _ = layer.residuals(ops.convert_to_tensor(v))
    w = ops.convert_to_numpy(layer.kernel)
    for k in range(4):
        r_next = ops.convert_to_numpy(residuals[k + 1]).astype("float64")
        r_prev = ops.convert_to_numpy(residuals[k]).astype("float64")
        cosine = (r_next @ w[k]) / (np.linalg.norm(r_prev, axis=1) * np.linalg.norm(w[k]))
        assert np.max(np.abs(cosine)) < 1e-6
        # and the rejection only removed the w_k direction: r_prev - r_next is parallel to w_k
        diff = r_prev - r_next
        np.testing.assert_allclose(np.abs(diff @ w[k]), np.linalg.norm(diff, axis=1) * np.linalg.norm(w[k]), rtol=1e-4)


def test_scores_match_numpy_reference():
    layer = _layer(4)
    v = np.random.default_rng(1).normal(size=(32, 16)).astype("float32")
    expected = _numpy_cascade(v, ops.convert_to_numpy(layer.kernel), ops.convert_to_numpy(layer.bias))
    np.testing.assert_allclose(ops.convert_to_numpy(layer(v)), expected, rtol=1e-4, atol=1e-5)


def test_one_critic_is_the_plain_critic():
    layer = _layer(1)
    plain = keras.layers.Dense(1)
    plain.build((None, 16))
    plain.set_weights([ops.convert_to_numpy(layer.kernel).T, ops.convert_to_numpy(layer.bias)])
    v = np.random.default_rng(2).normal(size=(8, 16)).astype("float32")
    np.testing.assert_allclose(ops.convert_to_numpy(layer(v)), ops.convert_to_numpy(plain(v)), rtol=1e-6, atol=1e-6)


def test_gan_loss_averages_the_critics_and_round_trips(tmp_path):
    keras.utils.set_random_seed(0)
    disc = cascade_discriminator((2,), critics=3, hidden=8, features=4)
    gan = SingleLossGAN(generator=mlp_generator(2, (2,), hidden=8), discriminator=disc, latent_dim=2)
    x_real = np.random.default_rng(0).normal(size=(8, 2)).astype("float32")
    d_loss, g_loss = gan.split_losses(x_real, np.zeros((8, 2), "float32"))
    scores = ops.convert_to_numpy(disc(x_real))  # (8, 3): the loss averages the 3 critics' losses
    np.testing.assert_allclose(float(d_loss), np.mean(np.logaddexp(0, -scores)) + np.mean(
        np.logaddexp(0, ops.convert_to_numpy(disc(ops.convert_to_numpy(gan.generator(np.zeros((8, 2), "float32"))))))), rtol=1e-5)
    assert np.isfinite(float(g_loss))
    path = tmp_path / "disc.keras"
    disc.save(path)
    x = np.ones((3, 2), "float32")
    np.testing.assert_allclose(ops.convert_to_numpy(keras.models.load_model(path)(x)), ops.convert_to_numpy(disc(x)), rtol=1e-6)


def test_bad_arguments():
    with pytest.raises(ValueError, match="at least 1"):
        CascadeCritic(critics=0)
    with pytest.raises(ValueError, match="flatten"):
        CascadeCritic(critics=2)(np.zeros((2, 3, 4), "float32"))
