"""Multilabel categorical cross-entropy (dense, sparse, GlobalPointer forms) against NumPy."""

import doctest

import keras
import numpy as np
import pytest
from sklearn.metrics import f1_score

import kexue.losses.multilabel as multilabel_module
from kexue.backend import jit as compiled  # jax.jit on JAX: one compile, not one per op
from kexue.losses.multilabel import (
    global_pointer_crossentropy,
    global_pointer_f1_score,
    multilabel_categorical_crossentropy,
    sparse_global_pointer_crossentropy,
    sparse_global_pointer_f1_score,
    sparse_multilabel_categorical_crossentropy,
)


def numpy_loss(scores, positives):
    """log(1 + Σ_neg e^s) + log(1 + Σ_pos e^{−s}) for one row; ``positives`` a boolean mask."""
    return np.log1p(np.exp(scores[~positives]).sum()) + np.log1p(
        np.exp(-scores[positives]).sum()
    )


def to_numpy(x):
    return keras.ops.convert_to_numpy(x)


def random_problem(rng, rows=6, classes=7):
    scores = rng.normal(scale=2.0, size=(rows, classes)).astype("float32")
    labels = rng.random((rows, classes)) < 0.3
    labels[0], labels[1] = False, True  # no positive at all; every class positive
    return scores, labels


def test_dense_form_equals_the_formula():
    scores, labels = random_problem(np.random.default_rng(0))
    got = to_numpy(
        compiled(multilabel_categorical_crossentropy)(labels.astype("float32"), scores)
    )
    expected = [numpy_loss(s, p) for s, p in zip(scores, labels)]
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_sparse_form_equals_the_formula():
    """Without mask_zero: the same number of positives in every row."""
    rng = np.random.default_rng(1)
    scores = rng.normal(scale=2.0, size=(6, 7)).astype("float32")
    indices = np.stack([rng.permutation(7)[:3] for _ in range(6)])
    labels = np.zeros((6, 7), bool)
    np.put_along_axis(labels, indices, True, axis=1)
    got = to_numpy(
        compiled(sparse_multilabel_categorical_crossentropy)(indices, scores)
    )
    np.testing.assert_allclose(
        got, [numpy_loss(s, p) for s, p in zip(scores, labels)], rtol=1e-5
    )


def test_sparse_form_with_mask_zero():
    """Rows padded with index 0; class 0 is then no class at all."""
    scores, labels = random_problem(np.random.default_rng(2))
    labels[:, 0] = False
    indices = np.zeros((len(labels), labels.sum(1).max() + 2), "int32")
    for row, positives in enumerate(labels):
        found = np.flatnonzero(positives)[::-1]  # any order works
        indices[row, : found.size] = found
    loss = compiled(
        lambda y, s: sparse_multilabel_categorical_crossentropy(y, s, mask_zero=True)
    )
    got = to_numpy(loss(indices, scores))
    expected = [numpy_loss(s[1:], p[1:]) for s, p in zip(scores, labels)]
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_masked_scores_are_excluded():
    """Classes scored −1e12 (padding written by the heads) change neither form of the loss."""
    rng = np.random.default_rng(3)
    scores = rng.normal(scale=2.0, size=(6, 5)).astype("float32")
    indices = np.stack([rng.permutation(5)[:2] for _ in range(6)])
    labels = np.zeros((6, 5), "float32")
    np.put_along_axis(labels, indices, 1.0, axis=1)
    padded = np.concatenate([scores, np.full((6, 3), -1e12, "float32")], axis=1)
    padded_labels = np.concatenate([labels, np.zeros((6, 3), "float32")], axis=1)

    def losses(y, y_padded, y_sparse, s, s_padded):
        return (
            multilabel_categorical_crossentropy(y, s),
            multilabel_categorical_crossentropy(y_padded, s_padded),
            sparse_multilabel_categorical_crossentropy(y_sparse, s_padded),
        )

    base, dense, sparse = (
        to_numpy(v)
        for v in compiled(losses)(labels, padded_labels, indices, scores, padded)
    )
    np.testing.assert_allclose(dense, base, rtol=1e-6)
    np.testing.assert_allclose(sparse, base, rtol=1e-5)


def test_gradient_is_finite_with_masked_scores():
    scores = np.array([[1.0, -1e12, 0.5]], "float32")
    labels = np.array([[1.0, 0.0, 0.0]], "float32")
    if keras.backend.backend() == "jax":
        import jax

        grad = np.asarray(
            jax.jit(
                jax.grad(lambda s: multilabel_categorical_crossentropy(labels, s).sum())
            )(scores)
        )
    else:
        import torch

        tensor = torch.tensor(scores, requires_grad=True)
        multilabel_categorical_crossentropy(labels, tensor).sum().backward()
        grad = tensor.grad.numpy()
    assert np.isfinite(grad).all() and grad[0, 1] == 0
    sigmoid = lambda z: 1 / (1 + np.exp(-z))
    # d/ds_pos of log(1 + e^{−s}) is −σ(−s); d/ds_neg of log(1 + e^{s}) is σ(s).
    np.testing.assert_allclose(
        grad[0, [0, 2]], [-sigmoid(-1.0), sigmoid(0.5)], rtol=1e-5
    )


def span_problem(rng, batch=3, heads=2, length=5, max_spans=4):
    """GlobalPointer-shaped scores with padding/lower triangle at −1e12 and sparse + dense targets."""
    scores = rng.normal(scale=2.0, size=(batch, heads, length, length)).astype(
        "float32"
    )
    keep = np.triu(np.ones((length, length), bool))
    scores[:, :, ~keep] = -1e12
    dense = np.zeros_like(scores)
    sparse = np.zeros((batch, heads, max_spans, 2), "int32")
    for b in range(batch):
        for h in range(heads):
            starts = rng.choice(
                np.arange(1, length), size=rng.integers(0, max_spans + 1), replace=True
            )
            spans = sorted({(s, rng.integers(s, length)) for s in starts})
            for slot, (start, end) in enumerate(spans):
                dense[b, h, start, end] = 1
                sparse[b, h, slot] = start, end
    return scores, dense, sparse


def test_global_pointer_losses_equal_the_formula():
    scores, dense, sparse = span_problem(np.random.default_rng(3))
    per_head = np.array(
        [
            [
                numpy_loss(scores[b, h].ravel(), dense[b, h].ravel() > 0)
                for h in range(scores.shape[1])
            ]
            for b in range(scores.shape[0])
        ]
    )
    np.testing.assert_allclose(
        to_numpy(compiled(global_pointer_crossentropy)(dense, scores)),
        per_head.mean(1),
        rtol=1e-5,
    )
    # The sparse form pads with span (0, 0), so that cell is no class (mask_zero): drop it.
    without_first = np.array(
        [
            [
                numpy_loss(scores[b, h].ravel()[1:], dense[b, h].ravel()[1:] > 0)
                for h in range(scores.shape[1])
            ]
            for b in range(scores.shape[0])
        ]
    )
    sparse_loss = to_numpy(compiled(sparse_global_pointer_crossentropy)(sparse, scores))
    np.testing.assert_allclose(sparse_loss, without_first.sum(1), rtol=1e-5)
    with pytest.raises(ValueError, match="start, end"):
        sparse_global_pointer_crossentropy(dense, scores)


def test_global_pointer_f1_matches_sklearn():
    scores, dense, sparse = span_problem(np.random.default_rng(4))
    expected = f1_score(dense.ravel(), (scores > 0).ravel())
    both = compiled(
        lambda d, sp, s: (
            global_pointer_f1_score(d, s),
            sparse_global_pointer_f1_score(sp, s),
        )
    )
    for f1 in both(dense, sparse, scores):
        assert float(to_numpy(f1)) == pytest.approx(expected)


def test_docstring_examples():
    assert doctest.testmod(multilabel_module).failed == 0
