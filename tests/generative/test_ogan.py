"""O-GAN: Pearson term vs NumPy, loss wiring, and training on digits (slow)."""

import keras
import numpy as np
import pytest
from keras import ops

from kexue.backend import variable_grads
from kexue.generative.data import load_dataset
from kexue.generative.ogan import OGAN, pearson, standardize
from kexue.generative.single_loss import mlp_discriminator, mlp_generator


def _ogan(nz=6, hidden=16, **kw):
    keras.utils.set_random_seed(0)
    return OGAN(generator=mlp_generator(nz, (8, 8, 1), hidden=hidden, output_activation="sigmoid"),
                discriminator=mlp_discriminator((8, 8, 1), hidden=hidden, outputs=nz), latent_dim=nz, **kw)


def test_pearson_and_standardize_match_numpy():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(7, 5)).astype("float32"), rng.normal(size=(7, 5)).astype("float32")
    expected = [np.corrcoef(a[i], b[i])[0, 1] for i in range(7)]
    np.testing.assert_allclose(ops.convert_to_numpy(pearson(a, b)), expected, rtol=1e-5, atol=1e-6)
    s = ops.convert_to_numpy(standardize(3 * a + 2))
    np.testing.assert_allclose(s, (a - a.mean(1, keepdims=True)) / a.std(1, keepdims=True), rtol=1e-4, atol=1e-5)


def test_losses_match_a_numpy_reference():
    gan = _ogan(rho_weight=0.7)
    rng = np.random.default_rng(1)
    x, z = rng.uniform(size=(8, 8, 8, 1)).astype("float32"), rng.normal(size=(8, 6)).astype("float32")
    d_loss, g_loss = gan.split_losses(x, z)
    e_real = ops.convert_to_numpy(gan.discriminator(x)).astype("float64")
    e_fake = ops.convert_to_numpy(gan.discriminator(gan.generator(z))).astype("float64")
    rho = np.mean([np.corrcoef(z[i], e_fake[i])[0, 1] for i in range(8)])
    softplus = lambda t: np.logaddexp(0, t)
    d_ref = softplus(-e_real.mean(1)).mean() + softplus(e_fake.mean(1)).mean() - 0.7 * rho
    g_ref = softplus(-e_fake.mean(1)).mean() - 0.7 * rho
    np.testing.assert_allclose([float(d_loss), float(g_loss)], [d_ref, g_ref], rtol=1e-4)


def test_each_loss_moves_only_its_own_player():
    gan = _ogan()
    rng = np.random.default_rng(2)
    x, z = rng.uniform(size=(8, 8, 8, 1)).astype("float32"), rng.normal(size=(8, 6)).astype("float32")
    d_vars, g_vars = gan.discriminator.trainable_variables, gan.generator.trainable_variables
    for g in variable_grads(lambda: gan.split_losses(x, z)[0], g_vars):
        np.testing.assert_allclose(ops.convert_to_numpy(g), 0.0, atol=1e-7)
    for g in variable_grads(lambda: gan.split_losses(x, z)[1], d_vars):
        np.testing.assert_allclose(ops.convert_to_numpy(g), 0.0, atol=1e-6)
    with pytest.raises(ValueError, match="rho_weight"):
        _ogan(rho_weight=-1.0)


@pytest.mark.slow
def test_ogan_on_digits_encodes_and_reconstructs():
    x_train, _, x_test, _ = load_dataset("digits", seed=0)
    gan = _ogan(nz=16, hidden=256, seed=0)
    gan.compile(optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5))
    gan.fit(x_train, epochs=100, batch_size=64, verbose=0)
    rho = gan.code_correlation(n=1000)
    reconstruction = np.mean((gan.reconstruct(x_test) - x_test) ** 2)
    random_samples = np.mean((gan.sample(len(x_test)) - x_test) ** 2)
    print(f"O-GAN: mean Pearson rho(z, E(G(z))) {rho:.3f}; held-out pixel MSE of "
          f"G(N(E(x))) {reconstruction:.4f} vs random samples {random_samples:.4f}")
    assert rho > 0.5
    assert reconstruction < random_samples, (reconstruction, random_samples)
