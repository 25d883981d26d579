"""Gillespie SSA: exact stationary statistics, a pure-Python reference, seeds, plots."""

import math
import random
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from kexue.sim import (
    Reaction,
    ReactionNetwork,
    gene_expression,
    plot_simulation,
    simulate,
)


def test_gene_expression_means_and_fano_factors():
    result = simulate(
        gene_expression(),
        {"m": 20, "n": 50},
        t_max=60,
        n_trajectories=400,
        seed=3,
        burn_in=10,
    )
    summary = result.summary()
    assert summary["m"]["mean"] == pytest.approx(20, rel=0.02)
    assert summary["n"]["mean"] == pytest.approx(50, rel=0.02)
    assert summary["m"]["fano"] == pytest.approx(1.0, abs=0.06)
    assert summary["n"]["fano"] == pytest.approx(2.25, abs=0.12)
    assert all(h.sum() == pytest.approx(1.0) for h in result.histograms)


def test_birth_death_histogram_is_poisson():
    # 0 -> A at rate 10, A -> 0 at rate 1: stationary Poisson(10)
    network = ReactionNetwork(
        [Reaction.parse("0 -> A", 10.0), Reaction.parse("A -> 0", 1.0)]
    )
    result = simulate(
        network, {"A": 10}, t_max=80, n_trajectories=300, seed=0, burn_in=10
    )
    h = result.histograms[0]
    k = np.arange(len(h))
    assert np.abs(h - stats.poisson.pmf(k, 10)).max() < 0.01


def python_ssa(
    network: ReactionNetwork, x0, t_max: float, burn_in: float, seed: int
) -> tuple[float, float]:
    """Straightforward one-trajectory SSA (time-weighted mean and variance of species 0)."""
    rng = random.Random(seed)
    x, t = list(x0), 0.0
    area = square = 0.0
    while True:
        a = [
            r.rate
            * math.prod(
                math.comb(x[network.index(s)], k) for s, k in r.reactants.items()
            )
            for r in network.reactions
        ]
        total = sum(a)
        tau = rng.expovariate(total) if total > 0 else math.inf
        dwell = max(0.0, min(t + tau, t_max) - max(t, burn_in))
        area += dwell * x[0]
        square += dwell * x[0] ** 2
        if t + tau >= t_max:
            break
        t += tau
        u, acc = rng.random() * total, 0.0
        for r, ar in zip(network.reactions, a):
            acc += ar
            if u < acc:
                for s, k in r.reactants.items():
                    x[network.index(s)] -= k
                for s, k in r.products.items():
                    x[network.index(s)] += k
                break
    mean = area / (t_max - burn_in)
    return mean, square / (t_max - burn_in) - mean**2


def test_dimerisation_agrees_with_pure_python_reference():
    # 0 -> A (rate 50), 2A -> B (rate 0.01, binomial propensity), B -> 0 (rate 1)
    network = ReactionNetwork(
        [
            Reaction.parse("0 -> A", 50.0),
            Reaction.parse("2A -> B", 0.01),
            Reaction.parse("B -> 0", 1.0),
        ]
    )
    ours = simulate(network, {"A": 0}, t_max=40, n_trajectories=200, seed=1, burn_in=5)
    reference = [python_ssa(network, [0, 0], 40, 5, seed) for seed in range(40)]
    ref_mean = np.mean([m for m, _ in reference])
    ref_sem = np.std([m for m, _ in reference]) / math.sqrt(len(reference))
    assert abs(ours.mean[0] - ref_mean) < 5 * ref_sem + 0.02 * ref_mean
    assert ours.variance[0] == pytest.approx(
        np.mean([v for _, v in reference]), rel=0.15
    )


def test_binomial_propensities():
    network = ReactionNetwork(
        [Reaction.parse("2A + B -> C", 0.5), Reaction.parse("0 -> A", 3.0)]
    )
    x = np.array([[5, 2, 0], [1, 4, 0]])
    expected = [[0.5 * math.comb(5, 2) * 2, 3.0], [0.0, 3.0]]
    np.testing.assert_allclose(network.propensities(x), expected)


def test_seeds_are_reproducible_and_trajectories_recorded():
    a = simulate(
        gene_expression(),
        {"m": 5},
        t_max=5,
        n_trajectories=30,
        seed=7,
        record_every=0.5,
    )
    b = simulate(
        gene_expression(),
        {"m": 5},
        t_max=5,
        n_trajectories=30,
        seed=7,
        record_every=0.5,
    )
    c = simulate(gene_expression(), {"m": 5}, t_max=5, n_trajectories=30, seed=8)
    np.testing.assert_array_equal(a.final, b.final)
    np.testing.assert_array_equal(a.samples, b.samples)
    assert not np.array_equal(a.final, c.final)
    assert a.samples.shape == (30, 11, 2) and (a.samples[:, 0] == [5, 0]).all()
    np.testing.assert_array_equal(a.samples[:, -1], a.final)


def test_absorbing_state_and_plot(tmp_path):
    network = ReactionNetwork([Reaction.parse("A -> 0", 1.0)])
    result = simulate(
        network, {"A": 3}, t_max=50, n_trajectories=20, seed=0, record_every=1.0
    )
    assert (result.final == 0).all() and result.n_events == 60
    path = plot_simulation(result, tmp_path / "ssa.png")
    assert Path(path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"t_max": 0}, "t_max"),
        ({"t_max": 5, "burn_in": 5}, "burn_in"),
        ({"t_max": 5, "n_trajectories": 0}, "n_trajectories"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        simulate(gene_expression(), {"m": 1}, **kwargs)


def test_bad_reactions():
    with pytest.raises(ValueError, match="->"):
        Reaction.parse("A + B", 1.0)
    with pytest.raises(ValueError, match="rate"):
        Reaction.parse("A -> B", -1.0)
    with pytest.raises(KeyError, match="unknown species"):
        gene_expression().state({"x": 1})


def test_linear_fast_path_equals_generic_propensities():
    network = gene_expression()
    x = np.array([[3, 7], [0, 2], [10, 1]], dtype=float)
    extended = np.concatenate([x.T, np.ones((1, len(x)))])
    np.testing.assert_allclose(
        network.cumulative_matrix() @ extended,
        np.cumsum(network.propensities(x).T, axis=0),
    )
    assert (
        ReactionNetwork([Reaction.parse("2A -> B", 1.0)]).cumulative_matrix() is None
    )  # not linear
