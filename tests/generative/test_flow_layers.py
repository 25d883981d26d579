"""Every flow layer: exact inverse, log-det equal to slogdet of the autodiff Jacobian (8-D inputs),
config round trip; Actnorm's data-dependent initialisation."""

import numpy as np
import pytest
from flow_testing import flat, jacobian, numpy_of, perturb_weights

from kexue.generative.flows import (
    Actnorm,
    Coupling,
    Flatten,
    InvertibleConv1x1,
    InvertibleResidual,
    Split,
    Squeeze,
    data_dependent_init,
)

VEC, IMG = (8,), (2, 2, 2)  # both 8-D

CASES = {
    "actnorm_vec": (lambda: Actnorm(data_init=False), VEC),
    "actnorm_img": (lambda: Actnorm(data_init=False), IMG),
    "additive_vec": (lambda: Coupling("additive", hidden=8), VEC),
    "additive_img": (lambda: Coupling("additive", hidden=8, parity=1), IMG),
    "affine_vec": (lambda: Coupling("affine", hidden=8, parity=1), VEC),
    "affine_img": (lambda: Coupling("affine", hidden=8), IMG),
    "invconv_vec": (lambda: InvertibleConv1x1(seed=3), VEC),
    "invconv_img": (lambda: InvertibleConv1x1(seed=4), IMG),
    "squeeze": (lambda: Squeeze(), IMG),
    "flatten": (lambda: Flatten(), IMG),
    "split_vec": (lambda: Split(), VEC),
    "split_img": (lambda: Split(), IMG),
    "iresnet_exact": (lambda: InvertibleResidual(hidden=8, logdet="exact", seed=1), VEC),
}


def _layer(name):
    make, shape = CASES[name]
    layer = make()
    x = np.random.default_rng(7).normal(size=(16,) + shape).astype("float32")
    layer(x)  # build
    perturb_weights(layer)
    return layer, x


@pytest.mark.parametrize("name", sorted(CASES))
def test_inverse_of_forward_is_identity(name):
    layer, x = _layer(name)
    y, _ = layer(x)
    x_back = numpy_of(layer(y, inverse=True))
    assert np.abs(x_back - x).max() <= 1e-5


@pytest.mark.parametrize("name", sorted(CASES))
def test_logdet_matches_slogdet_of_jacobian(name):
    layer, x = _layer(name)
    logdets = numpy_of(layer(x[:2])[1])
    for i in range(2):
        jac = jacobian(lambda v: flat(layer(v)[0]), x[i])
        sign, expected = np.linalg.slogdet(jac)
        assert sign != 0
        assert abs(logdets[i] - expected) <= 1e-4, (logdets[i], expected)


@pytest.mark.parametrize("name", sorted(CASES))
def test_config_round_trip(name):
    layer, x = _layer(name)
    clone = type(layer).from_config(layer.get_config())
    clone(x)
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(numpy_of(clone(x)[0]), numpy_of(layer(x)[0]), atol=1e-6)


@pytest.mark.parametrize("shape", [(256, 5), (64, 4, 4, 3)])
def test_actnorm_first_batch_is_standardised(shape):
    x = np.random.default_rng(0).normal(2.0, 3.0, size=shape).astype("float32") * np.arange(
        1, shape[-1] + 1, dtype="float32")
    layer = Actnorm()
    y = numpy_of(data_dependent_init(layer, x)[0])
    axes = tuple(range(len(shape) - 1))
    np.testing.assert_allclose(y.mean(axis=axes), 0.0, atol=1e-4)
    np.testing.assert_allclose(y.std(axis=axes), 1.0, atol=1e-4)
    # Already initialised: a second batch does not re-initialise.
    data_dependent_init(layer, x + 5.0)
    np.testing.assert_allclose(numpy_of(layer(x)[0]), y, atol=1e-5)


def test_lu_decomposition_matches_the_matrix():
    from kexue.generative.flows.invconv import lu_decompose

    a = np.random.default_rng(0).normal(size=(6, 6))
    p, lower, upper = lu_decompose(a)
    np.testing.assert_allclose(p @ lower @ upper, a, atol=1e-12)
    assert np.allclose(np.tril(lower), lower) and np.allclose(np.diag(lower), 1.0)
    assert np.allclose(np.triu(upper), upper)


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match="kind"):
        Coupling("multiplicative")
    with pytest.raises(ValueError, match="divisible"):
        Squeeze()(np.zeros((1, 3, 3, 1), "float32"))
    with pytest.raises(ValueError, match="coeff"):
        InvertibleResidual(coeff=1.5)
    with pytest.raises(ValueError, match="Flatten images"):
        InvertibleResidual()(np.zeros((1, 2, 2, 1), "float32"))
