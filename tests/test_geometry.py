"""Random-vector geometry against the reference table, quadrature and Monte Carlo."""

import math

import numpy as np
import pytest
from scipy import integrate

from kexue.geometry import (
    angle_log_normaliser,
    angle_moments,
    angle_pdf,
    angle_variance,
    expected_orthogonality_error,
    orthogonality_error,
    sample_angles,
    xavier_matrix,
)

# ../shared/reference-values.md: variance of the angle between two random vectors
TABLE = {
    3: 0.467401,
    10: 0.110661,
    20: 0.0525832,
    50: 0.0204053,
    100: 0.0101007,
    200: 0.00502508,
    1000: 0.001001,
}


@pytest.mark.parametrize("n, variance", sorted(TABLE.items()))
def test_variance_table_to_six_significant_digits(n, variance):
    assert float(f"{angle_variance(n):.6g}") == variance


@pytest.mark.parametrize("n", [2, 3, 4, 7, 10, 50, 300])
def test_pdf_and_variance_against_quadrature(n):
    points = [math.pi / 2]
    mass = integrate.quad(
        lambda t: angle_pdf(t, n), 0, math.pi, points=points, limit=200
    )[0]
    mean = integrate.quad(
        lambda t: t * angle_pdf(t, n), 0, math.pi, points=points, limit=200
    )[0]
    var = integrate.quad(
        lambda t: (t - math.pi / 2) ** 2 * angle_pdf(t, n),
        0,
        math.pi,
        points=points,
        limit=200,
    )[0]
    assert mass == pytest.approx(1, rel=1e-8)
    assert mean == pytest.approx(math.pi / 2, rel=1e-8)
    assert var == pytest.approx(angle_variance(n), rel=1e-7)
    assert angle_moments(n) == (math.pi / 2, angle_variance(n))


@pytest.mark.parametrize("n", [3, 10, 100, 1000])
@pytest.mark.parametrize("method", ["vectors", "beta"])
def test_monte_carlo_within_three_percent(n, method):
    angles = sample_angles(
        n, 40_000 if method == "beta" or n < 1000 else 8_000, seed=n, method=method
    )
    assert angles.mean() == pytest.approx(math.pi / 2, abs=0.01)
    assert angles.var() == pytest.approx(
        angle_variance(n), rel=0.03 if len(angles) > 10_000 else 0.06
    )


def test_xavier_orthogonality_shrinks_like_one_over_sqrt_n():
    sizes = [64, 256, 1024]
    errors = [orthogonality_error(xavier_matrix(n, seed=0)) for n in sizes]
    for n, error in zip(sizes, errors):
        assert error == pytest.approx(expected_orthogonality_error(n), rel=0.05)
    slope = np.polyfit(np.log(sizes), np.log(errors), 1)[0]
    assert slope == pytest.approx(-0.5, abs=0.05)
    w = xavier_matrix(256, seed=1)
    assert np.linalg.norm(w, axis=0).mean() == pytest.approx(
        1.0, abs=0.02
    )  # unit-length columns


def test_normaliser_and_errors():
    assert math.exp(angle_log_normaliser(4)) == pytest.approx(math.pi / 2)
    with pytest.raises(ValueError, match="dimension"):
        angle_variance(1)
    with pytest.raises(ValueError, match="method"):
        sample_angles(3, 10, method="nope")
    with pytest.raises(ValueError, match="matrix"):
        orthogonality_error(np.ones(3))


def test_documented_examples_run():
    import doctest
    from pathlib import Path

    import kexue.geometry

    page = Path(__file__).resolve().parents[1] / "docs" / "geometry.md"
    assert doctest.testfile(str(page), module_relative=False).failed == 0
    assert doctest.testmod(kexue.geometry).failed == 0
