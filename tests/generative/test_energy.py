"""Energy view: gradient penalty vs closed forms; Langevin and MALA vs analytic moments."""

import keras
import numpy as np
import pytest
from keras import ops

from kexue.backend import variable_grads
from kexue.generative.energy import (
    EnergyGAN,
    gradient_penalty,
    langevin,
    latent_energy,
    mala,
)
from kexue.generative.single_loss import mlp_discriminator, mlp_generator

# A known 2-D latent energy: linear "generator" z -> z W, quadratic critic
# D(x) = -(x - m)^T A (x - m) / 2, so U(z) = |z|^2/2 + (zW - m)^T A (zW - m)/2 is Gaussian
# with precision P = I + W A W^T and mean P^{-1} W A m.
W = np.array([[1.0, 0.5], [0.0, 1.5]], dtype="float32")
A = np.array([[2.0, 0.3], [0.3, 0.5]], dtype="float32")
M = np.array([1.0, -2.0], dtype="float32")
P = np.eye(2) + W @ A @ W.T
COV = np.linalg.inv(P)
MEAN = COV @ W @ A @ M


def _generator(z):
    return ops.matmul(z, W)


def _critic(x):
    d = x - ops.convert_to_tensor(M)
    return -0.5 * ops.sum(ops.matmul(d, A) * d, axis=1)


ENERGY = latent_energy(_generator, _critic)
N_CHAINS = 4000


def _check_moments(x, bias=0.0):
    se_mean = np.sqrt(np.diag(COV) / len(x))
    assert np.all(np.abs(x.mean(0) - MEAN) < 4 * se_mean), (x.mean(0), MEAN)
    var = x.var(0)
    se_var = np.diag(COV) * np.sqrt(2.0 / (len(x) - 1))
    assert np.all(np.abs(var - np.diag(COV)) < 4 * se_var + bias * np.diag(COV)), (var, np.diag(COV))
    cov01 = np.cov(x.T)[0, 1]
    assert abs(cov01 - COV[0, 1]) < 4 * np.sqrt((COV[0, 0] * COV[1, 1] + COV[0, 1] ** 2) / len(x))


def test_latent_energy_is_the_quadratic_form():
    z = np.random.default_rng(0).standard_normal((5, 2)).astype("float32")
    expected = 0.5 * (z**2).sum(1) + 0.5 * np.einsum("ni,ij,nj->n", z @ W - M, A, z @ W - M)
    np.testing.assert_allclose(ops.convert_to_numpy(ENERGY(z)), expected, rtol=1e-5)


def test_langevin_matches_analytic_moments():
    x0 = np.random.default_rng(1).uniform(-3, 3, (N_CHAINS, 2)).astype("float32")
    x = langevin(ENERGY, x0, step_size=0.005, n_steps=600, seed=0)
    _check_moments(x, bias=0.02)  # unadjusted Langevin: variance inflated by O(ε λ_max(P)) ≈ 1-2%


def test_mala_matches_analytic_moments():
    x0 = np.random.default_rng(2).uniform(-3, 3, (N_CHAINS, 2)).astype("float32")
    x, rate = mala(ENERGY, x0, step_size=0.05, n_steps=150, seed=1)
    assert 0.5 < rate <= 1.0
    _check_moments(x)


def test_gradient_penalty_is_zero_for_a_constant_energy():
    x = np.random.default_rng(0).standard_normal((6, 3)).astype("float32")
    assert float(gradient_penalty(lambda t: ops.zeros((ops.shape(t)[0],)) + 3.0, x)) == 0.0
    # and equals mean ||A x||^2 for the quadratic energy x^T A x / 2
    a = np.array([[2.0, 1.0, 0.0], [1.0, 3.0, 0.0], [0.0, 0.0, 1.0]], "float32")
    gp = gradient_penalty(lambda t: 0.5 * ops.sum(ops.matmul(t, a) * t, axis=1), x)
    np.testing.assert_allclose(float(gp), np.mean(((x @ a) ** 2).sum(1)), rtol=1e-5)


def test_gradient_penalty_trains_the_critic():
    """For D(x) = x·w the penalty is |w|^2, whose gradient 2w must reach w."""
    w = keras.Variable(np.array([0.5, -1.0, 2.0], "float32"))
    x = np.ones((4, 3), "float32")
    (g,) = variable_grads(lambda: gradient_penalty(lambda t: ops.matmul(t, w), x), [w])
    np.testing.assert_allclose(ops.convert_to_numpy(g), 2 * np.array([0.5, -1.0, 2.0]), rtol=1e-5)


def test_energy_gan_fits_and_samples(tmp_path):
    keras.utils.set_random_seed(0)
    gan = EnergyGAN(generator=mlp_generator(2, (2,), hidden=8), discriminator=mlp_discriminator((2,), hidden=8),
                    latent_dim=2, penalty=1.0)
    gan.compile(optimizer="adam")
    history = gan.fit(np.random.default_rng(0).normal(size=(64, 2)).astype("float32"), epochs=1, batch_size=32, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    assert gan.sample_mcmc(5, n_steps=2).shape == (5, 2)
    gan.save(tmp_path / "egan.keras")
    assert keras.models.load_model(tmp_path / "egan.keras").penalty == 1.0


def test_bad_sampler_arguments():
    with pytest.raises(ValueError, match="step_size"):
        langevin(ENERGY, np.zeros((2, 2)), step_size=0.0, n_steps=3)
    with pytest.raises(ValueError, match="n_steps"):
        mala(ENERGY, np.zeros((2, 2)), step_size=0.1, n_steps=0)
