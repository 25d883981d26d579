"""Small scientific simulations: Gillespie's stochastic simulation algorithm.

Example:
    >>> from kexue.sim import gene_expression, simulate
    >>> result = simulate(gene_expression(), {"m": 20, "n": 50}, t_max=20, n_trajectories=50)
    >>> result.species
    ['m', 'n']
"""

from kexue.sim.gillespie import SimulationResult, simulate
from kexue.sim.network import Reaction, ReactionNetwork, gene_expression
from kexue.sim.plots import plot_simulation

__all__ = [
    "Reaction",
    "ReactionNetwork",
    "SimulationResult",
    "gene_expression",
    "plot_simulation",
    "simulate",
]
