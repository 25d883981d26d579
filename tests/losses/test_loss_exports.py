"""kexue.losses re-exports; the multilabel loss (another module's) agrees dense vs sparse
with a brute-force NumPy evaluation, and AM-Softmax trains through the package path."""

import keras
import numpy as np
import pytest

import kexue.losses as losses


def test_multilabel_dense_sparse_and_numpy():
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(5, 9)).astype("float32") * 3
    positives = [rng.choice(9, size=k, replace=False) for k in (1, 2, 3, 2, 1)]
    dense_target = np.zeros((5, 9), "float32")
    sparse_target = np.zeros((5, 3), "int32")
    for i, p in enumerate(positives):
        dense_target[i, p] = 1
        sparse_target[i, : len(p)] = p
        sparse_target[i, len(p) :] = p[0]  # repeat a positive: padding by duplication
    ref = [
        np.log1p(np.exp(scores[i][dense_target[i] == 0]).sum())
        + np.log1p(np.exp(-scores[i][dense_target[i] == 1]).sum())
        for i in range(5)
    ]
    dense = keras.ops.convert_to_numpy(
        losses.multilabel_categorical_crossentropy(dense_target, scores)
    )
    np.testing.assert_allclose(dense, ref, rtol=1e-5)
    single = np.array([[p[0]] for p in positives], "int32")
    single_dense = np.eye(9, dtype="float32")[single[:, 0]]
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(
            losses.sparse_multilabel_categorical_crossentropy(single, scores)
        ),
        keras.ops.convert_to_numpy(
            losses.multilabel_categorical_crossentropy(single_dense, scores)
        ),
        rtol=1e-5,
        atol=1e-5,
    )


def test_exports():
    for name in (
        "am_softmax_loss",
        "sparse_am_softmax_loss",
        "a_softmax_loss",
        "sparse_a_softmax_loss",
    ):
        assert callable(getattr(losses, name))
    cos = np.array([[0.5, 0.1]], "float32")
    assert float(losses.sparse_am_softmax_loss(np.array([0]), cos)[0]) == pytest.approx(
        float(losses.am_softmax_loss(np.array([[1.0, 0.0]]), cos)[0]), rel=1e-6
    )
