"""Chemical reaction networks with mass-action (binomial) propensities.

A reaction ``2A + B -> C`` with rate ``k`` fires with propensity
``k * C(x_A, 2) * C(x_B, 1)``: the number of distinct reactant combinations
times the rate, the convention of Gillespie's direct method.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

_TERM = re.compile(r"^\s*(\d*)\s*([A-Za-z_][A-Za-z_0-9]*)\s*$")


def _parse_side(text: str) -> dict[str, int]:
    side: dict[str, int] = {}
    text = text.strip()
    if text in ("", "0", "∅"):
        return side
    for term in text.split("+"):
        match = _TERM.match(term)
        if not match:
            raise ValueError(f"cannot read reaction term {term!r}; write e.g. '2A + B'")
        count = int(match.group(1) or 1)
        side[match.group(2)] = side.get(match.group(2), 0) + count
    return side


@dataclass(frozen=True)
class Reaction:
    """One reaction: reactant and product stoichiometries and a rate constant.

    Example:
        >>> Reaction.parse("m -> m + n", 2.5)
        Reaction(reactants={'m': 1}, products={'m': 1, 'n': 1}, rate=2.5)
    """

    reactants: dict[str, int] = field(default_factory=dict)
    products: dict[str, int] = field(default_factory=dict)
    rate: float = 1.0

    def __post_init__(self) -> None:
        if not np.isfinite(self.rate) or self.rate < 0:
            raise ValueError(
                f"a reaction rate must be finite and non-negative, got {self.rate}"
            )
        for side in (self.reactants, self.products):
            for name, count in side.items():
                if int(count) != count or count < 0:
                    raise ValueError(
                        f"stoichiometry of {name!r} must be a non-negative integer, got {count}"
                    )

    @classmethod
    def parse(cls, text: str, rate: float) -> Reaction:
        """Read ``"2A + B -> C"`` (``0`` or an empty side is nothing)."""
        if text.count("->") != 1:
            raise ValueError(f"a reaction needs exactly one '->': {text!r}")
        left, right = text.split("->")
        return cls(_parse_side(left), _parse_side(right), float(rate))


class ReactionNetwork:
    """Species and reactions, compiled to arrays for vectorised simulation.

    Example:
        >>> net = ReactionNetwork([Reaction.parse("0 -> A", 2.0), Reaction.parse("2A -> 0", 0.5)])
        >>> net.species, net.propensities(np.array([[3]])).ravel().tolist()
        (['A'], [2.0, 1.5])
    """

    def __init__(
        self, reactions: list[Reaction], species: list[str] | None = None
    ) -> None:
        if not reactions:
            raise ValueError("a reaction network needs at least one reaction")
        names = list(species or [])
        for reaction in reactions:
            for name in list(reaction.reactants) + list(reaction.products):
                if name not in names:
                    if species is not None:
                        raise ValueError(
                            f"reaction uses species {name!r} missing from species={species}"
                        )
                    names.append(name)
        self.reactions = list(reactions)
        self.species = names
        index = {name: i for i, name in enumerate(names)}
        n_r, n_s = len(reactions), len(names)
        self.rates = np.array([r.rate for r in reactions], dtype=np.float64)
        self.reactant_matrix = np.zeros((n_r, n_s), dtype=np.int64)
        self.change = np.zeros((n_r, n_s), dtype=np.int64)
        for i, reaction in enumerate(reactions):
            for name, count in reaction.reactants.items():
                self.reactant_matrix[i, index[name]] = count
                self.change[i, index[name]] -= count
            for name, count in reaction.products.items():
                self.change[i, index[name]] += count
        # Propensities on states with an extra constant column of ones (index n_s):
        # the first factor of each reaction is one gathered column, the rest
        # (higher orders, more reactants) are a short list of extra terms.
        self._first = np.full(n_r, n_s)
        self._extra: list[
            tuple[int, int, int]
        ] = []  # (reaction, species, m): factor (x - m) / (m + 1)
        for i in range(n_r):
            factors = [
                (j, m)
                for j in np.flatnonzero(self.reactant_matrix[i])
                for m in range(self.reactant_matrix[i, j])
            ]
            if factors:
                self._first[i] = factors[0][0]
                self._extra.extend((i, int(j), m) for j, m in factors[1:])

    def index(self, name: str) -> int:
        """Column of species ``name``."""
        try:
            return self.species.index(name)
        except ValueError:
            raise KeyError(
                f"unknown species {name!r}; the network has {self.species}"
            ) from None

    def state(self, counts: dict[str, int]) -> np.ndarray:
        """A state vector from ``{species: count}`` (missing species are 0)."""
        x = np.zeros(len(self.species), dtype=np.int64)
        for name, count in counts.items():
            if int(count) != count or count < 0:
                raise ValueError(
                    f"initial count of {name!r} must be a non-negative integer, got {count}"
                )
            x[self.index(name)] = int(count)
        return x

    def propensities(self, x: np.ndarray) -> np.ndarray:
        """Propensities ``(n_states, n_reactions)`` for states ``x`` of shape ``(n_states, n_species)``."""
        x = np.asarray(x, dtype=np.float64)
        return self.propensities_extended(
            np.concatenate([x.T, np.ones((1, len(x)))], axis=0)
        ).T

    def cumulative_matrix(self) -> np.ndarray | None:
        """For networks whose propensities are all linear in the state (no
        reaction with two reactant molecules), the matrix ``C`` with
        ``C @ x_extended`` = running sums of the propensities over reactions;
        ``None`` otherwise. One small matrix product then replaces a gather,
        a product and a running sum in the simulator.

        Example:
            >>> gene_expression().cumulative_matrix().tolist()
            [[0.0, 0.0, 20.0], [2.5, 0.0, 20.0], [3.5, 0.0, 20.0], [3.5, 1.0, 20.0]]
        """
        if self._extra:
            return None
        rows = np.zeros((len(self.rates), len(self.species) + 1))
        rows[np.arange(len(self.rates)), self._first] = self.rates
        return np.cumsum(rows, axis=0)

    def propensities_extended(self, x: np.ndarray) -> np.ndarray:
        """Propensities ``(n_reactions, n)`` for states ``(n_species + 1, n)`` whose
        last row is ones (the simulator's layout: one contiguous row per species)."""
        a = x[self._first] * self.rates[:, None]
        for i, j, m in self._extra:
            a[i] *= np.maximum(x[j] - m, 0.0) / (m + 1)
        return a


def gene_expression(
    transcription: float = 20.0,
    translation: float = 2.5,
    mrna_decay: float = 1.0,
    protein_decay: float = 1.0,
) -> ReactionNetwork:
    """The two-stage gene expression model ∅ → m, m → m + n, m → ∅, n → ∅.

    Stationary means: mRNA ``transcription / mrna_decay`` (20), protein
    ``mean_m * translation / protein_decay`` (50); Fano factors 1 and
    ``1 + translation / (mrna_decay + protein_decay)`` (2.25).

    Example:
        >>> gene_expression().species
        ['m', 'n']
    """
    return ReactionNetwork(
        [
            Reaction.parse("0 -> m", transcription),
            Reaction.parse("m -> m + n", translation),
            Reaction.parse("m -> 0", mrna_decay),
            Reaction.parse("n -> 0", protein_decay),
        ]
    )
