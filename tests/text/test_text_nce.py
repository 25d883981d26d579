"""NCE and negative sampling: closed-form losses and recovery of a known distribution."""

import math

import numpy as np
import pytest

from kexue.text import (
    CategoricalNCE,
    fit_categorical_nce,
    nce_loss,
    negative_sampling_loss,
)


def softplus(x):
    return np.log1p(np.exp(x))


def test_losses_match_numpy():
    rng = np.random.default_rng(0)
    s_d, s_n = rng.normal(size=4), rng.normal(size=(4, 3))
    q_d, q_n = np.log(rng.uniform(0.1, 0.5, 4)), np.log(rng.uniform(0.1, 0.5, (4, 3)))
    expected = softplus(-(s_d - math.log(3) - q_d)) + softplus(
        s_n - math.log(3) - q_n
    ).sum(axis=1)
    np.testing.assert_allclose(
        np.asarray(nce_loss(s_d, s_n, q_d, q_n)), expected, rtol=1e-5
    )
    np.testing.assert_allclose(
        np.asarray(negative_sampling_loss(s_d, s_n)),
        softplus(-s_d) + softplus(s_n).sum(1),
        rtol=1e-5,
    )
    with pytest.raises(ValueError, match="noise"):
        nce_loss(s_d, s_n, q_d, q_n, k=0)


def test_nce_recovers_log_probabilities_within_monte_carlo_error():
    rng = np.random.default_rng(1)
    p = rng.dirichlet(np.full(8, 2.0))
    n = 40_000
    samples = rng.choice(len(p), n, p=p)
    scores = fit_categorical_nce(samples, len(p), k=20, epochs=10, seed=0)
    standard_error = np.sqrt((1 - p) / (n * p))  # of a log-frequency estimate
    assert np.all(np.abs(scores - np.log(p)) < 4 * standard_error), (scores, np.log(p))
    assert (
        abs(np.exp(scores).sum() - 1) < 0.03
    )  # self-normalised, no partition function


def test_layer_validates_noise():
    with pytest.raises(ValueError, match="summing to 1"):
        CategoricalNCE(num_classes=2, noise_probabilities=[0.5, 0.6])
