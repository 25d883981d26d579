"""VI regulariser: value and gradient vs closed form, snapshot refresh inside fit."""

import keras
import numpy as np
import pytest
from keras import ops

from kexue.backend import variable_grads
from kexue.generative.gan_vi import RefreshSnapshot, VIRegularizedGAN, vi_regularizer
from kexue.generative.single_loss import mlp_discriminator


def _linear_gan(vi_weight=0.5, refresh_every=1):
    keras.utils.set_random_seed(0)
    gen = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, use_bias=False)])
    return VIRegularizedGAN(generator=gen, discriminator=mlp_discriminator((2,), hidden=4), latent_dim=3,
                            vi_weight=vi_weight, refresh_every=refresh_every)


def test_penalty_value_and_gradient_for_a_linear_generator():
    gan = _linear_gan(vi_weight=0.5)
    w_old = ops.convert_to_numpy(gan.generator.weights[0])
    delta = np.array([[0.1, -0.2], [0.0, 0.3], [0.5, 0.1]], "float32")
    gan.generator.weights[0].assign(w_old + delta)
    rng = np.random.default_rng(0)
    x, z = rng.normal(size=(6, 2)).astype("float32"), rng.normal(size=(6, 3)).astype("float32")
    # value: λ mean ||z Δ||²
    expected = 0.5 * np.mean(((z @ delta) ** 2).sum(1))
    np.testing.assert_allclose(float(vi_regularizer(z @ (w_old + delta), z @ w_old)), expected / 0.5, rtol=1e-5)
    with_vi = gan.split_losses(x, z)[1]
    gan.vi_weight = 0.0
    without_vi = gan.split_losses(x, z)[1]
    np.testing.assert_allclose(float(with_vi) - float(without_vi), expected, rtol=1e-4)
    # gradient of the penalty w.r.t. W: 2 λ / n z^T z Δ
    kernel = gan.generator.weights[0]
    (g,) = variable_grads(lambda: 0.5 * vi_regularizer(gan.generator(z), gan.generator_old(z)), [kernel])
    np.testing.assert_allclose(ops.convert_to_numpy(g), 2 * 0.5 / 6 * z.T @ z @ delta, rtol=1e-4, atol=1e-6)
    # at G = G_old the penalty and its gradient vanish
    gan.refresh_snapshot()
    (g0,) = variable_grads(lambda: vi_regularizer(gan.generator(z), gan.generator_old(z)), [kernel])
    np.testing.assert_allclose(ops.convert_to_numpy(g0), 0.0, atol=1e-7)


@pytest.mark.parametrize("every, refreshed", [(1, True), (1000, False)])
def test_snapshot_is_refreshed_inside_fit(every, refreshed):
    gan = _linear_gan(refresh_every=every)
    start = ops.convert_to_numpy(gan.generator_old.weights[0])
    gan.compile(optimizer=keras.optimizers.SGD(0.1))
    gan.fit(np.random.default_rng(0).normal(size=(32, 2)).astype("float32"), epochs=1, batch_size=8, verbose=0)
    now, old = ops.convert_to_numpy(gan.generator.weights[0]), ops.convert_to_numpy(gan.generator_old.weights[0])
    assert not np.allclose(now, start)  # the generator trained
    assert np.allclose(old, now) == refreshed
    assert np.allclose(old, start) != refreshed


def test_bad_arguments():
    with pytest.raises(ValueError, match="vi_weight"):
        _linear_gan(vi_weight=-1.0)
    with pytest.raises(ValueError, match="every"):
        RefreshSnapshot(0)
