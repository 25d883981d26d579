"""i-ResNet: power-iteration spectral norm vs NumPy, fixed-point inverse, power-series +
Hutchinson log-det vs the exact log-det of the autodiff Jacobian."""

import numpy as np
import pytest
from flow_testing import jacobian, numpy_of

from kexue.generative.flows import InvertibleResidual, spectral_norm_estimate


@pytest.mark.parametrize("shape", [(8, 8), (5, 12), (16, 3)])
def test_spectral_norm_within_one_percent(shape):
    rng = np.random.default_rng(sum(shape))
    w = rng.normal(size=shape).astype("float32")
    u = rng.normal(size=shape[1]).astype("float32")
    u /= np.linalg.norm(u)
    sigma, _ = spectral_norm_estimate(w, u, iterations=50)
    expected = np.linalg.norm(w.astype("float64"), 2)
    assert abs(float(numpy_of(sigma)) - expected) <= 0.01 * expected


def _block(dim, **kwargs):
    block = InvertibleResidual(hidden=16, depth=1, coeff=0.9, seed=dim, **kwargs)
    rng = np.random.default_rng(dim)
    x = rng.normal(size=(8, dim)).astype("float32")
    block(x)
    # Large weights (the normalisation caps them at coeff), with W2 = W1^T so that J_g is
    # positive semi-definite and the log-det is far from 0 (a meaningful relative error).
    w1 = 3.0 * rng.normal(size=block.kernels[0].shape).astype("float32")
    block.kernels[0].assign(w1)
    block.kernels[1].assign(w1.T)
    block.update_spectral_norms(100)
    return block, x


@pytest.mark.parametrize("dim", [4, 8])
def test_kernels_are_capped_and_inverse_is_exact(dim):
    block, x = _block(dim)
    for w in block.normalized_kernels():
        assert np.linalg.norm(numpy_of(w).astype("float64"), 2) <= 0.9 * 1.01
    y, _ = block(x)
    assert np.abs(numpy_of(block(y, inverse=True)) - x).max() <= 1e-5


@pytest.mark.parametrize("dim", [4, 8])
def test_logdet_estimate_within_five_percent(dim):
    block, x = _block(dim, series_terms=40, hutchinson_samples=2000)
    estimate = numpy_of(block(x[:3])[1])
    for i in range(3):
        exact = np.linalg.slogdet(jacobian(lambda v: block(v)[0], x[i]))[1]
        assert abs(estimate[i] - exact) <= 0.05 * abs(exact), (estimate[i], exact)
