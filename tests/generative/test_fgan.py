"""f-GAN table: Fenchel duality on a grid, stable forms, and variational estimates vs SciPy."""

import keras
import numpy as np
import pytest
from scipy import integrate, stats

from kexue.generative.fgan import (
    DIVERGENCES,
    estimate_divergence,
    fgan_losses,
    get_divergence,
    variational_bound,
)

NAMES = sorted(DIVERGENCES)
U = np.linspace(0.2, 5.0, 25).astype("float32")


def np_(x):
    return keras.ops.convert_to_numpy(x).astype("float64")


@pytest.mark.parametrize("name", NAMES)
def test_f_is_the_conjugate_of_its_conjugate_on_a_grid(name):
    """f(u) = sup_t (t u - f*(t)), the sup taken by brute force over a fine grid of t."""
    d = DIVERGENCES[name]
    low, high = d.conjugate_domain
    low, high = max(low, -40.0), min(high, 10.0)
    t = np.linspace(low, high, 200_001)[1:-1].astype("float32")  # open interval
    conj = np_(d.conjugate(keras.ops.convert_to_tensor(t)))
    sup = np.max(U[:, None].astype("float64") * t[None, :] - conj[None, :], axis=1)
    np.testing.assert_allclose(sup, np_(d.f(U)), rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("name", NAMES)
def test_activation_lands_in_domain_and_stable_form_agrees(name):
    d = DIVERGENCES[name]
    v = np.linspace(-4, 4, 41).astype("float32")
    t = np_(d.activation(v))
    low, high = d.conjugate_domain
    assert np.all(t > low - 1e-7) and np.all(t < high + 1e-7)
    np.testing.assert_allclose(np_(d.conjugate_of_activation(v)), np_(d.conjugate(t)), rtol=1e-4, atol=1e-5)
    assert abs(float(d.f(np.float32(1.0)))) < 1e-7  # f(1) = 0
    # stable form stays finite far out where the composition would overflow or cancel
    assert np.all(np.isfinite(np_(d.conjugate_of_activation(np.array([-30.0, 30.0], "float32")))))


def test_losses_are_the_negated_bound():
    rng = np.random.default_rng(0)
    v_r, v_f = rng.standard_normal(16).astype("float32"), rng.standard_normal(16).astype("float32")
    for name in NAMES:
        d = get_divergence(name)
        d_loss, g_alt = fgan_losses(name, v_r, v_f)
        _, g_sat = fgan_losses(name, v_r, v_f, alternative=False)
        expected = np.mean(np_(d.activation(v_r))) - np.mean(np_(d.conjugate(d.activation(v_f))))
        np.testing.assert_allclose(-float(d_loss), expected, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(float(d_loss), float(-variational_bound(d, v_r, v_f)), rtol=1e-6)
        np.testing.assert_allclose(float(g_alt), -np.mean(np_(d.activation(v_f))), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(float(g_sat), -np.mean(np_(d.conjugate_of_activation(v_f))), rtol=1e-5, atol=1e-6)


def test_optimal_critic_attains_the_divergence():
    """With T = f'(p/q) known in closed form, the bound equals D_f (Monte Carlo vs quadrature)."""
    p, q = stats.norm(0, 1), stats.norm(1, 1.5)
    rng = np.random.default_rng(1)
    xp, xq = p.rvs(200_000, random_state=rng), q.rvs(200_000, random_state=rng)
    ratio = lambda x: p.pdf(x) / q.pdf(x)
    # KL: f'(u) = 1 + log u, g = identity -> v = 1 + log r
    v = lambda x: (1 + np.log(ratio(x))).astype("float32")
    kl_exact = np.log(1.5) + 2 / (2 * 1.5**2) - 0.5
    np.testing.assert_allclose(float(variational_bound("kl", v(xp), v(xq))), kl_exact, rtol=0.01)


def test_unknown_divergence_is_rejected():
    with pytest.raises(ValueError, match="Unknown f-divergence"):
        get_divergence("wasserstein")
    with pytest.raises(ValueError, match="equal shape"):
        estimate_divergence("kl", np.zeros((4, 1)), np.zeros((3, 1)))


def _gaussians(n=16_000, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.normal(0, 1, (n, 1)).astype("float32"), rng.normal(1, 1.5, (n, 1)).astype("float32"))


@pytest.mark.slow
def test_variational_kl_between_gaussians_within_5_percent():
    xp, xq = _gaussians()
    exact = np.log(1.5) + (1 + 1) / (2 * 1.5**2) - 0.5  # KL(N(0,1) || N(1,1.5^2))
    estimate = estimate_divergence("kl", xp, xq, epochs=40, batch_size=1000)
    print(f"KL estimate {estimate:.4f}, closed form {exact:.4f}")
    assert abs(estimate / exact - 1) < 0.05, (estimate, exact)


@pytest.mark.slow
def test_variational_js_between_gaussians_within_5_percent():
    xp, xq = _gaussians()
    p, q = stats.norm(0, 1).pdf, stats.norm(1, 1.5).pdf

    def integrand(x):  # q f(p/q) with the table's js f
        m = p(x) + q(x)
        return p(x) * np.log(2 * p(x) / m) + q(x) * np.log(2 * q(x) / m)

    exact = integrate.quad(integrand, -30, 30)[0]
    estimate = estimate_divergence("js", xp, xq, epochs=40, batch_size=1000)
    print(f"JS estimate {estimate:.4f}, quadrature {exact:.4f}")
    assert abs(estimate / exact - 1) < 0.05, (estimate, exact)
