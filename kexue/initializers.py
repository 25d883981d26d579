"""The geometric view of Xavier initialisation: an n×n matrix with i.i.d. entries of variance
1/n is nearly orthogonal, in the sense that each entry of ``WᵀW − I`` is O(1/√n).

For Gaussian entries, ``E‖WᵀW − I‖²_F = n + 1`` exactly (diagonal entries have variance
2/n, off-diagonal ones 1/n), so the RMS entry ``‖WᵀW − I‖_F / n ≈ √(n+1)/n`` shrinks like
1/√n, while ``‖WᵀW − I‖_F / √n`` tends to 1: the columns are individually near-unit and
pairwise near-orthogonal, but the matrix as a whole is not an isometry.
"""

from __future__ import annotations

import math

from keras import ops

__all__ = ["orthogonality_error", "expected_orthogonality_error"]


def orthogonality_error(w) -> float:
    """RMS entry of ``WᵀW − I`` for a (m, n) matrix: ``‖WᵀW − I‖_F / n``.

    >>> import numpy as np
    >>> orthogonality_error(np.eye(4, dtype="float32"))
    0.0
    """
    w = ops.convert_to_tensor(w, "float32")
    if len(w.shape) != 2:
        raise ValueError(f"need a 2-D matrix, got shape {tuple(w.shape)}.")
    n = w.shape[1]
    gram = ops.matmul(ops.transpose(w), w) - ops.eye(n)
    return float(ops.sqrt(ops.sum(ops.square(gram)))) / n


def expected_orthogonality_error(n: int, m: int | None = None) -> float:
    """``√E‖WᵀW − I‖²_F / n`` for W (m, n) with i.i.d. N(0, 1/m) entries (m = n by default):
    ``E‖·‖²_F = n·2/m + n(n−1)/m``.

    >>> round(expected_orthogonality_error(100), 4)  # √101 / 100
    0.1005
    """
    m = n if m is None else m
    return math.sqrt(n * 2 / m + n * (n - 1) / m) / n
