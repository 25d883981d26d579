"""VAE: the loss equals the closed-form negative ELBO terms, both decoders train, save/load."""

import keras
import numpy as np
import pytest
from keras import ops

from kexue.generative.vae import VAE, gaussian_kl, reconstruction_nll


def _np(x):
    return np.asarray(ops.convert_to_numpy(x), dtype="float64")


def test_reconstruction_terms_match_scipy():
    from scipy.stats import bernoulli, norm

    rng = np.random.default_rng(0)
    x = rng.integers(0, 2, size=(3, 5)).astype("float32")
    logits = rng.normal(size=(3, 5)).astype("float32")
    p = 1 / (1 + np.exp(-logits.astype("float64")))
    expected = -bernoulli.logpmf(x, p).sum(-1)
    np.testing.assert_allclose(_np(reconstruction_nll(x, logits, "bernoulli", 1.0)), expected,
                               rtol=1e-5)
    means = rng.normal(size=(3, 5)).astype("float32")
    expected = -norm.logpdf(x, means, 0.3).sum(-1)
    np.testing.assert_allclose(_np(reconstruction_nll(x, means, "gaussian", 0.3)), expected,
                               rtol=1e-5)


def test_gaussian_kl_matches_monte_carlo():
    from scipy.stats import norm

    mean, log_var = np.array([[0.5, -1.0]]), np.array([[-0.4, 0.3]])
    z = mean + np.exp(0.5 * log_var) * np.random.default_rng(0).normal(size=(200000, 2))
    sd = np.exp(0.5 * log_var)
    mc = np.mean((norm.logpdf(z, mean, sd) - norm.logpdf(z)).sum(-1))
    assert abs(float(_np(gaussian_kl(mean.astype("float32"), log_var.astype("float32")))[0])
               - mc) < 0.01


@pytest.mark.parametrize("likelihood", ["bernoulli", "gaussian"])
def test_vae_trains_and_round_trips(tmp_path, likelihood):
    from kexue.generative.data import load_dataset

    keras.utils.set_random_seed(0)
    x_train = load_dataset("digits")[0][:256]
    model = VAE(latent_dim=4, hidden=64, likelihood=likelihood, sigma=0.2)
    model.compile(optimizer=keras.optimizers.Adam(2e-3))
    history = model.fit(x_train, batch_size=64, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    model.save(tmp_path / "vae.keras")
    loaded = keras.saving.load_model(tmp_path / "vae.keras")
    z = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
    np.testing.assert_allclose(_np(loaded.decode(z)), _np(model.decode(z)), atol=1e-6)
    assert model.interpolate(x_train[:2], x_train[2:4], steps=5).shape == (2, 5, 8, 8, 1)


def test_vae_rejects_bad_arguments():
    with pytest.raises(ValueError, match="likelihood"):
        VAE(likelihood="poisson")
    with pytest.raises(ValueError, match="expects inputs of shape"):
        VAE(input_shape=(8, 8, 1))(np.zeros((2, 64), "float32"))
