"""Geometry of random vectors in n dimensions.

The angle θ between two independent isotropic random vectors in ``n``
dimensions has density ``sinⁿ⁻²θ / Z`` on ``[0, π]`` with
``Z = √π Γ((n-1)/2) / Γ(n/2)``. Its mean is π/2 and, writing ``k = n - 2``,
integration by parts twice gives the exact recursion

    Var(k) = Var(k - 2) - 2 / k²,   Var(0) = π²/12,   Var(1) = π²/4 - 2,

so the variance is a finite sum (≈ 1/n for large n): random directions in high
dimension are almost orthogonal. The same fact is the geometric view of
Xavier initialisation: an ``n × n`` matrix with i.i.d. entries of variance
``1/n`` has columns of norm ≈ 1 and inner products ≈ 0, every entry of
``WᵀW - I`` being of order ``1/√n``.

Example:
    >>> round(angle_variance(3), 6), round(angle_variance(10), 6)
    (0.467401, 0.110661)
"""

from __future__ import annotations

import math

import numpy as np


def _check_dimension(n: int) -> int:
    if int(n) != n or n < 2:
        raise ValueError(f"the dimension n must be an integer >= 2, got {n}")
    return int(n)


def angle_log_normaliser(n: int) -> float:
    """``log Z`` with ``Z = ∫₀^π sinⁿ⁻²θ dθ = √π Γ((n-1)/2) / Γ(n/2)``.

    Example:
        >>> round(math.exp(angle_log_normaliser(3)), 12)  # ∫ sin θ dθ = 2
        2.0
    """
    n = _check_dimension(n)
    return 0.5 * math.log(math.pi) + math.lgamma((n - 1) / 2) - math.lgamma(n / 2)


def angle_pdf(theta: np.ndarray | float, n: int) -> np.ndarray:
    """Density of the angle between two random vectors in ``n`` dimensions (0 outside ``[0, π]``).

    Example:
        >>> float(angle_pdf(np.pi / 2, 2)) == 1 / np.pi  # uniform in the plane
        True
    """
    n = _check_dimension(n)
    theta = np.asarray(theta, dtype=np.float64)
    inside = (theta >= 0) & (theta <= np.pi)
    if n == 2:
        return np.where(inside, 1.0 / math.pi, 0.0)
    with np.errstate(divide="ignore"):
        log_sin = np.log(np.sin(np.clip(theta, 0.0, np.pi)))
    return np.where(inside, np.exp((n - 2) * log_sin - angle_log_normaliser(n)), 0.0)


def angle_variance(n: int) -> float:
    """Exact variance of the angle (the recursion in the module docstring).

    Example:
        >>> [round(angle_variance(n), 7) for n in (20, 50)]
        [0.0525832, 0.0204053]
    """
    n = _check_dimension(n)
    k = n - 2
    variance = math.pi**2 / 12 if k % 2 == 0 else math.pi**2 / 4 - 2
    start = 2 if k % 2 == 0 else 3
    # sum the small terms first for accuracy
    variance -= sum(2.0 / (j * j) for j in range(k, start - 1, -2))
    return variance


def angle_moments(n: int) -> tuple[float, float]:
    """``(mean, variance)`` of the angle: ``(π/2, angle_variance(n))``.

    Example:
        >>> angle_moments(100)[0] == math.pi / 2
        True
    """
    return math.pi / 2, angle_variance(n)


def sample_angles(
    n: int, size: int, seed: int | None = 0, method: str = "vectors"
) -> np.ndarray:
    """Monte-Carlo angles between random vectors in ``n`` dimensions.

    ``method="vectors"`` draws pairs of standard normal vectors and measures
    their angle; ``"beta"`` uses ``(1 + cos θ)/2 ~ Beta((n-1)/2, (n-1)/2)``
    (cheap for large ``n``).

    Example:
        >>> angles = sample_angles(50, 20000, seed=1)
        >>> bool(abs(angles.var() / angle_variance(50) - 1) < 0.03)
        True
    """
    n = _check_dimension(n)
    if size < 1:
        raise ValueError(f"size must be positive, got {size}")
    rng = np.random.default_rng(seed)
    if method == "beta":
        half = (n - 1) / 2
        return np.arccos(np.clip(2 * rng.beta(half, half, size) - 1, -1, 1))
    if method != "vectors":
        raise ValueError(f"method must be 'vectors' or 'beta', got {method!r}")
    angles = np.empty(size)
    batch = max(1, (1 << 22) // n)
    for start in range(0, size, batch):
        stop = min(size, start + batch)
        u = rng.standard_normal((stop - start, n))
        v = rng.standard_normal((stop - start, n))
        cos = np.einsum("ij,ij->i", u, v) / (
            np.linalg.norm(u, axis=1) * np.linalg.norm(v, axis=1)
        )
        angles[start:stop] = np.arccos(np.clip(cos, -1.0, 1.0))
    return angles


def xavier_matrix(n: int, seed: int | None = 0) -> np.ndarray:
    """An ``n × n`` matrix with i.i.d. ``N(0, 1/n)`` entries (Xavier/LeCun scale).

    Example:
        >>> xavier_matrix(4).shape
        (4, 4)
    """
    n = _check_dimension(n)
    return np.random.default_rng(seed).standard_normal((n, n)) / math.sqrt(n)


def orthogonality_error(w: np.ndarray) -> float:
    """Root-mean-square entry of ``WᵀW - I``: ``‖WᵀW - I‖_F / n`` for ``n`` columns.

    For i.i.d. entries of variance ``1/n`` its expectation is close to
    ``√(n + 1) / n`` (each diagonal entry has variance ``2/n``, each
    off-diagonal one ``1/n``), so it shrinks like ``1/√n``. (Dividing the
    Frobenius norm by ``√n`` instead would tend to 1: the matrix is nearly
    orthogonal entry by entry, not in operator norm.)

    Example:
        >>> errors = [orthogonality_error(xavier_matrix(n, seed=0)) for n in (100, 400)]
        >>> 1.7 < errors[0] / errors[1] < 2.3  # four times the size, half the error
        True
    """
    w = np.asarray(w, dtype=np.float64)
    if w.ndim != 2:
        raise ValueError(f"expected a matrix, got an array of shape {w.shape}")
    gram = w.T @ w - np.eye(w.shape[1])
    return float(np.linalg.norm(gram) / w.shape[1])


def expected_orthogonality_error(n: int) -> float:
    """``√(E‖WᵀW - I‖²_F) / n = √(n + 1) / n`` for an ``n × n`` Xavier matrix.

    Example:
        >>> round(expected_orthogonality_error(100), 6)
        0.100499
    """
    n = _check_dimension(n)
    return math.sqrt(n + 1) / n
