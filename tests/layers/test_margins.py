"""AM-Softmax (s=30, m=0.35) sparse = dense = NumPy; A-Softmax; CosineDense; CenterLoss."""

import keras
import numpy as np
import pytest

from kexue.layers.margins import CenterLoss, CosineDense
from kexue.losses.margins import (
    a_softmax_loss,
    am_softmax_loss,
    angular_margin,
    sparse_a_softmax_loss,
    sparse_am_softmax_loss,
)

rng = np.random.default_rng(0)
COS = np.tanh(rng.normal(size=(16, 7))).astype("float32")
LABELS = rng.integers(0, 7, size=16)


def np_margin_ce(cos, labels, target, s):
    logits = s * cos.astype(np.float64)
    rows = np.arange(len(labels))
    logits[rows, labels] = s * target(cos[rows, labels].astype(np.float64))
    m = logits.max(-1, keepdims=True)
    lse = np.log(np.exp(logits - m).sum(-1)) + m[:, 0]
    return lse - logits[rows, labels]


def test_am_softmax_sparse_equals_dense_equals_numpy():
    ref = np_margin_ce(COS, LABELS, lambda c: c - 0.35, 30.0)
    dense = keras.ops.convert_to_numpy(am_softmax_loss(np.eye(7)[LABELS], COS))
    sparse = keras.ops.convert_to_numpy(sparse_am_softmax_loss(LABELS, COS))
    np.testing.assert_allclose(dense, ref, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(sparse, ref, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(sparse, dense, rtol=1e-5, atol=1e-4)


def test_a_softmax_monotone_psi_and_losses():
    theta = np.linspace(0, np.pi, 181)
    psi = keras.ops.convert_to_numpy(angular_margin(np.cos(theta).astype("float32"), 2))
    k = np.minimum(np.floor(2 * theta / np.pi), 1)
    np.testing.assert_allclose(psi, (-1) ** k * np.cos(2 * theta) - 2 * k, atol=2e-5)
    assert np.all(np.diff(psi) <= 1e-6)  # decreasing in θ: a harder target everywhere
    psi3 = keras.ops.convert_to_numpy(angular_margin(np.cos(theta).astype("float32"), 3))
    k3 = np.minimum(np.floor(3 * theta / np.pi), 2)
    np.testing.assert_allclose(psi3, (-1) ** k3 * np.cos(3 * theta) - 2 * k3, atol=5e-5)
    ref = np_margin_ce(COS, LABELS, lambda c: np.where(c >= 0, 2 * c * c, -2 * c * c) - 1, 30.0)
    dense = keras.ops.convert_to_numpy(a_softmax_loss(np.eye(7)[LABELS], COS))
    sparse = keras.ops.convert_to_numpy(sparse_a_softmax_loss(LABELS, COS))
    np.testing.assert_allclose(dense, ref, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(sparse, ref, rtol=1e-5, atol=1e-4)


@pytest.mark.slow  # a training run (~10 s on JAX); exactness is covered above
def test_cosine_dense_and_training_separates_classes():
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype("float32")[:600]
    y = y[:600]
    keras.utils.set_random_seed(0)
    inp = keras.Input((64,))
    cos = CosineDense(10)(keras.layers.Dense(32, activation="tanh")(inp))
    model = keras.Model(inp, cos)
    model.compile(keras.optimizers.Adam(0.01), loss=lambda t, p: sparse_am_softmax_loss(t, p))
    model.fit(x, y, epochs=10, batch_size=100, verbose=0)
    pred = keras.ops.convert_to_numpy(model(x)).argmax(-1)
    assert (pred == y).mean() > 0.9
    again = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(model.layers[-1])
    )
    assert again.units == 10


def test_center_loss_value_and_gradient_pull_centers():
    feats = rng.normal(size=(32, 3)).astype("float32")
    labels = rng.integers(0, 4, size=32)
    layer = CenterLoss(num_classes=4, weight=0.5)
    layer(feats, labels=labels)
    centers = rng.normal(size=(4, 3)).astype("float32")
    layer.centers.assign(centers)
    layer.losses.clear() if isinstance(layer.losses, list) else None
    out = layer(feats, labels=labels)
    expected = 0.5 * np.mean(0.5 * ((feats - centers[labels]) ** 2).sum(-1))
    assert float(keras.ops.convert_to_numpy(layer.losses[-1])) == pytest.approx(expected, 1e-5)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(out), feats)
    # trained alone, each center converges to its class mean
    inp, lab = keras.Input((3,)), keras.Input((), dtype="int32")
    model = keras.Model([inp, lab], CenterLoss(4, name="center")(inp, labels=lab))
    model.compile(keras.optimizers.SGD(1.0))
    model.fit([feats, labels], epochs=200, batch_size=32, verbose=0)
    means = np.stack([feats[labels == c].mean(0) for c in range(4)])
    np.testing.assert_allclose(model.get_layer("center").centers.numpy(), means, atol=1e-3)


def test_bad_arguments():
    with pytest.raises(ValueError, match="units"):
        CosineDense(0)
    with pytest.raises(ValueError, match="positive integer"):
        angular_margin(np.zeros(2, "float32"), 1.5)
    with pytest.raises(ValueError, match="scale"):
        am_softmax_loss(np.eye(2), np.zeros((2, 2), "float32"), scale=0)
