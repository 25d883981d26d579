"""Self-Orthogonality (γ=10, λ₁=100, λ₂=1): value against NumPy; training with it alone
pushes the filters' mean pairwise angle to 90° and their distance from 90°."""

import keras
import numpy as np
import pytest

from kexue.geometry import expected_orthogonality_error, orthogonality_error
from kexue.initializers import initializer_orthogonality, kernel_orthogonality
from kexue.layers.regularizers import SelfOrthogonality


def np_so(z, gamma=10.0, l1=100.0, l2=1.0):
    h = np.tanh(gamma * z.astype(np.float64))
    c = h.T @ h / len(h)
    off = c[~np.eye(len(c), dtype=bool)]
    return l1 * off.mean() ** 2 + l2 * off.var()


def angles(kernel):
    w = kernel / np.linalg.norm(kernel, axis=0, keepdims=True)
    cos = (w.T @ w)[~np.eye(w.shape[1], dtype=bool)]
    return np.degrees(np.arccos(np.clip(cos, -1, 1)))


def test_defaults_and_value():
    reg = SelfOrthogonality()
    assert (reg.gamma, reg.lambda_1, reg.lambda_2) == (10.0, 100.0, 1.0)
    z = np.random.default_rng(0).normal(size=(64, 6)).astype("float32") + 0.3
    assert float(reg(z)) == pytest.approx(np_so(z), rel=1e-4)
    with pytest.raises(ValueError, match="lambda_1"):
        SelfOrthogonality(lambda_1=-1)


def test_training_makes_filters_orthogonal():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(256, 16)).astype("float32")
    keras.utils.set_random_seed(1)
    start = (rng.normal(size=(16, 8)) * 0.2 + 0.3).astype("float32")  # correlated filters
    dense = keras.layers.Dense(8, use_bias=False, activity_regularizer=SelfOrthogonality())
    model = keras.Sequential([keras.Input((16,)), dense])
    dense.kernel.assign(start)
    before = angles(start)
    model.compile(keras.optimizers.Adam(0.01), loss=lambda t, p: 0.0 * keras.ops.sum(p))
    model.fit(x, np.zeros((256, 8), "float32"), epochs=100, batch_size=256, verbose=0)
    after = angles(dense.kernel.numpy())
    assert abs(after.mean() - 90) < 3 < abs(before.mean() - 90)
    assert np.abs(after - 90).mean() < 0.5 * np.abs(before - 90).mean()


def test_xavier_is_nearly_orthogonal_and_shrinks_like_inverse_sqrt_n():
    rng = np.random.default_rng(0)
    ns = [16, 64, 256, 512]
    errors = [
        np.mean(
            [
                orthogonality_error(rng.normal(scale=n**-0.5, size=(n, n)).astype("float32"))
                for _ in range(3)
            ]
        )
        for n in ns
    ]
    slope = np.polyfit(np.log(ns), np.log(errors), 1)[0]
    assert slope == pytest.approx(-0.5, abs=0.05)
    for n, e in zip(ns, errors):
        assert e == pytest.approx(expected_orthogonality_error(n), rel=0.1)
    # ‖WᵀW − I‖_F/√n itself tends to 1: nearly orthogonal entrywise, not an isometry
    assert errors[-1] * ns[-1] / np.sqrt(ns[-1]) == pytest.approx(1.0, abs=0.05)


@pytest.mark.parametrize("name", ["glorot_normal", "glorot_uniform", "lecun_normal"])
def test_keras_xavier_initialisers_shrink_like_inverse_sqrt_n(name):
    sizes = [32, 128, 512]
    measured = [initializer_orthogonality(name, n, seeds=2)[0] for n in sizes]
    slope = np.polyfit(np.log(sizes), np.log(measured), 1)[0]
    assert slope == pytest.approx(-0.5, abs=0.06)
    for n, m in zip(sizes, measured):
        assert m == pytest.approx(expected_orthogonality_error(n), rel=0.15)


def test_kernel_orthogonality_of_a_model():
    model = keras.Sequential(
        [keras.Input((64,)), keras.layers.Dense(64, name="square"), keras.layers.Dense(8)]
    )
    errors = kernel_orthogonality(model)
    ((path, error),) = errors.items()
    assert path.endswith("square/kernel")
    assert error == pytest.approx(expected_orthogonality_error(64), rel=0.3)
