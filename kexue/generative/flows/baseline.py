"""The baseline a density model must beat: a diagonal Gaussian fitted to the training data.

For discrete images (``n_bins`` grey levels in [0, 1]) both the fit and the score use the same
uniform dequantisation as :class:`~kexue.generative.flows.glow.FlowModel`, so the two
bits-per-dimension figures are directly comparable.

Example:
    >>> import numpy as np
    >>> from kexue.generative.flows.baseline import diagonal_gaussian_nll
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(20000, 3))
    >>> round(diagonal_gaussian_nll(x, x, n_bins=None), 2)  # 0.5 * log(2 pi e) nats per dim
    1.42
"""

from __future__ import annotations

import math

import numpy as np


def dequantize(x: np.ndarray, n_bins: int, rng: np.random.Generator) -> np.ndarray:
    """Map grey levels ``k / (n_bins - 1)`` to ``(k + u) / n_bins - 0.5`` with ``u ~ U(0, 1)``."""
    return (x * (n_bins - 1) + rng.uniform(size=x.shape)) / n_bins - 0.5


def diagonal_gaussian_nll(x_train: np.ndarray, x_test: np.ndarray, n_bins: int | None = 17,
                          seed: int = 0) -> float:
    """Mean held-out NLL of a per-dimension Gaussian fitted by maximum likelihood: bits/dim for
    discrete data (``n_bins``), nats/dim for continuous data (``n_bins=None``)."""
    rng = np.random.default_rng(seed)
    train = np.asarray(x_train, "float64").reshape(len(x_train), -1)
    test = np.asarray(x_test, "float64").reshape(len(x_test), -1)
    if n_bins is not None:
        train, test = dequantize(train, n_bins, rng), dequantize(test, n_bins, rng)
    mean, var = train.mean(axis=0), train.var(axis=0) + 1e-12
    nll = 0.5 * (np.square(test - mean) / var + np.log(2 * math.pi * var))
    nats = float(nll.mean())
    return nats if n_bins is None else (nats + math.log(n_bins)) / math.log(2.0)
