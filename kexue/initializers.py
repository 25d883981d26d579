"""The geometric check of initialisers, applied to Keras initialisers and model weights.

The measure and its closed form live in :mod:`kexue.geometry` (an n×n matrix with i.i.d.
entries of variance 1/n is nearly orthogonal: the RMS entry of ``WᵀW − I`` is about
``√(n+1)/n``, shrinking like 1/√n). This module applies it to what a Keras user has: an
initialiser, or the square kernels of a built model.
"""

from __future__ import annotations

import keras
import numpy as np

from kexue.geometry import expected_orthogonality_error, orthogonality_error

__all__ = ["initializer_orthogonality", "kernel_orthogonality"]


def initializer_orthogonality(initializer, n: int, seeds: int = 3) -> tuple[float, float]:
    """``(measured, expected)``: the mean orthogonality error of ``seeds`` n×n matrices drawn
    by a Keras ``initializer`` (name or object), and the Xavier closed form ``√(n+1)/n``.

    >>> measured, expected = initializer_orthogonality("glorot_normal", 256)
    >>> abs(measured / expected - 1) < 0.1
    True
    """
    if int(n) != n or n < 2:
        raise ValueError(f"`n` must be an integer >= 2, got {n!r}.")
    errors = []
    for seed in range(seeds):
        init = keras.initializers.get(initializer)
        config = init.get_config()
        if "seed" in config:
            init = init.__class__.from_config({**config, "seed": seed})
        w = keras.ops.convert_to_numpy(init((n, n), dtype="float32"))
        errors.append(orthogonality_error(w))
    return float(np.mean(errors)), expected_orthogonality_error(n)


def kernel_orthogonality(model: keras.Model) -> dict[str, float]:
    """Orthogonality error of every square 2-D kernel of ``model`` (path → error), e.g. the
    query/key/value kernels of a freshly built Transformer."""
    return {
        v.path: orthogonality_error(keras.ops.convert_to_numpy(v.value))
        for v in model.weights
        if len(v.shape) == 2 and v.shape[0] == v.shape[1] and v.path.endswith("kernel")
    }
