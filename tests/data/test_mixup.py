"""Mixup / SamplePairing: label rows sum to 1, blends are convex combinations of the named
partners, reproducible by seed (also when batches are asked for out of order), and fit runs."""

import keras
import numpy as np
import pytest

from kexue.data.mixup import MixupDataset, mixup, sample_pairing

rng = np.random.default_rng(0)
X = rng.normal(size=(50, 3, 2)).astype("float32")
Y = rng.integers(0, 4, size=50)


def test_mixup_rows_sum_to_one_and_blend_matches_labels():
    partners = (X[::-1], Y[::-1])
    xm, ym = mixup(X, Y, alpha=0.3, seed=1, partners=partners, num_classes=4)
    np.testing.assert_allclose(ym.sum(axis=1), 1.0, atol=1e-6)
    # recover λ from the labels where the two labels differ, check x used the same λ
    onehot, onehot_b = np.eye(4)[Y], np.eye(4)[Y[::-1]]
    differ = Y != Y[::-1]
    lam = ym[np.arange(50), Y][differ]
    want = lam[:, None, None] * X[differ] + (1 - lam[:, None, None]) * X[::-1][differ]
    np.testing.assert_allclose(xm[differ], want, rtol=1e-5, atol=1e-6)
    blend = lam[:, None] * onehot[differ] + (1 - lam[:, None]) * onehot_b[differ]
    np.testing.assert_allclose(ym[differ], blend, atol=1e-6)  # the same λ for x and y
    np.testing.assert_allclose(ym[~differ], onehot[~differ], atol=1e-6)
    assert 0 < lam.min() and lam.max() < 1 and np.std(lam) > 0.05  # one λ per example


def test_sample_pairing_keeps_first_label():
    xm, ym = sample_pairing(X, Y, seed=0, partners=(X[::-1], Y[::-1]))
    np.testing.assert_allclose(xm, 0.5 * (X + X[::-1]), rtol=1e-6)
    np.testing.assert_array_equal(ym, Y)


def test_reproducible_by_seed_and_index_order():
    a = MixupDataset(X, Y, batch_size=16, num_classes=4, seed=7, alpha=0.4)
    b = MixupDataset(X, Y, batch_size=16, num_classes=4, seed=7, alpha=0.4)
    other = MixupDataset(X, Y, batch_size=16, num_classes=4, seed=8, alpha=0.4)
    forward = [a[i] for i in range(len(a))]
    backward = [b[i] for i in reversed(range(len(b)))][::-1]
    for (xa, ya), (xb, yb) in zip(forward, backward):
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)
    assert not np.array_equal(other[0][0], forward[0][0])
    assert len(a) == 4 and forward[-1][0].shape == (2, 3, 2)
    for _, y in forward:
        np.testing.assert_allclose(y.sum(axis=1), 1.0, atol=1e-6)
    a.on_epoch_end()
    assert not np.array_equal(a[0][0], forward[0][0])  # a new epoch draws new blends


def test_sample_pairing_dataset_and_probability():
    data = MixupDataset(X, np.eye(4)[Y], batch_size=50, method="sample_pairing", probability=0.5,
                        shuffle=False, seed=3)
    xm, ym = data[0]
    np.testing.assert_array_equal(ym, np.eye(4)[Y])  # labels never change
    unchanged = np.all(xm == X, axis=(1, 2))
    assert 10 < unchanged.sum() < 40  # about half pass through


def test_fit_consumes_the_dataset():
    model = keras.Sequential([keras.Input((3, 2)), keras.layers.Flatten(), keras.layers.Dense(4, activation="softmax")])
    model.compile("adam", "categorical_crossentropy")
    history = model.fit(MixupDataset(X, Y, batch_size=25, num_classes=4), epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"][-1])


def test_bad_input_errors():
    with pytest.raises(ValueError, match="num_classes"):
        mixup(X, Y)
    with pytest.raises(ValueError, match="alpha"):
        mixup(X, Y, alpha=0, num_classes=4)
    with pytest.raises(ValueError, match="method"):
        MixupDataset(X, Y, method="cutmix", num_classes=4)
    with pytest.raises(ValueError, match="differ in length"):
        MixupDataset(X, Y[:10], num_classes=4)
