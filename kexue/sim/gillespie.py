"""Gillespie's stochastic simulation algorithm (direct method), vectorised
across many independent trajectories.

All trajectories advance one reaction per step in lock-step NumPy operations:
propensities ``(reactions, trajectories)``, exponential waiting times, the
reaction picked by a cumulative-sum search, and a state update. A trajectory
that reaches ``t_max`` is frozen. Random numbers are drawn in blocks as
float32 (24-bit resolution: a bias below 1e-7 in the reaction choice); times
and states are float64. Statistics are *time-weighted*: the time a
trajectory spends in each state after ``burn_in`` weights that state (an
event-weighted histogram over-counts states that are left quickly).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kexue.sim.network import ReactionNetwork


@dataclass
class SimulationResult:
    """Time-weighted statistics of a simulation (per species, pooled over trajectories).

    Attributes:
        species: species names (columns).
        mean, variance: time-weighted stationary moments, shape ``(n_species,)``.
        histograms: ``histograms[s][k]`` = fraction of time species ``s`` had count ``k``.
        final: states at ``t_max``, shape ``(n_trajectories, n_species)``.
        times, samples: the record grid and the states on it,
            ``samples[trajectory, time, species]`` (``None`` unless requested).
        n_events: reactions fired, over all trajectories.
    """

    species: list[str]
    mean: np.ndarray
    variance: np.ndarray
    histograms: list[np.ndarray]
    final: np.ndarray
    times: np.ndarray | None
    samples: np.ndarray | None
    n_events: int

    @property
    def fano(self) -> np.ndarray:
        """Variance over mean (1 for a Poisson distribution)."""
        return self.variance / self.mean

    def summary(self) -> dict[str, dict[str, float]]:
        """``{species: {"mean": ..., "variance": ..., "fano": ...}}``."""
        return {
            name: {
                "mean": float(m),
                "variance": float(v),
                "fano": float(v / m) if m else float("nan"),
            }
            for name, m, v in zip(self.species, self.mean, self.variance)
        }


def simulate(
    network: ReactionNetwork,
    initial: dict[str, int] | np.ndarray,
    t_max: float,
    n_trajectories: int = 100,
    seed: int | None = 0,
    burn_in: float = 0.0,
    record_every: float | None = None,
    max_steps: int = 100_000_000,
    progress: bool = False,
) -> SimulationResult:
    """Simulate ``n_trajectories`` independent runs from ``initial`` up to ``t_max``.

    Args:
        network: the reactions.
        initial: ``{species: count}`` or a state vector (or one per trajectory).
        t_max: end time; ``burn_in``: statistics start after this time.
        seed: random seed (``None`` for fresh entropy); same seed, same result.
        record_every: also return states on the grid ``0, record_every, ...`` (the record
            may take at most ``RECORD_LIMIT_BYTES``; a finer grid is refused before any work).
        max_steps: safety limit on lock-step iterations.
        progress: show a progress bar over simulated time (standard error, terminals only).

    Every argument is checked first (finite times, ``0 <= burn_in < t_max``, whole non-negative
    counts of the right species); a ``ValueError`` names the one that is wrong.

    Example:
        >>> from kexue.sim.network import gene_expression
        >>> result = simulate(gene_expression(), {"m": 20, "n": 50}, t_max=50, n_trajectories=200, burn_in=5)
        >>> bool(abs(result.mean - [20, 50]).max() < 1.5)
        True
    """
    _check_arguments(t_max, burn_in, n_trajectories, record_every, max_steps)
    x0 = network.state(initial) if isinstance(initial, dict) else _state_vectors(network, initial)
    n_species = len(network.species)
    if record_every:
        check_record_size(t_max, record_every, n_trajectories, n_species)
    # float states (exact for counts below 2**53), one row per species plus a row of ones (see ReactionNetwork.propensities_extended)
    x = np.ones((n_species + 1, n_trajectories))
    x[:n_species] = np.broadcast_to(
        np.asarray(x0)[:, None] if np.ndim(x0) == 1 else np.asarray(x0).T,
        (n_species, n_trajectories),
    )
    grid = np.arange(0.0, t_max + 1e-12, record_every) if record_every else None
    run = _Runner(network, np.random.default_rng(seed), grid, n_trajectories, max_steps)
    run.progress = _progress(t_max) if progress else None
    # Markov property: stopping every trajectory at burn_in and drawing fresh
    # waiting times from there leaves the process unchanged (exponential clocks
    # are memoryless), and the second phase needs no burn-in bookkeeping.
    if burn_in > 0:
        x = run.advance(x, 0.0, burn_in, stats=None)
    stats = _TimeWeighted(n_species)
    final = run.advance(x, burn_in, t_max, stats=stats, last=True)[:n_species].T.astype(
        np.int64
    )
    if run.progress is not None:
        run.progress.close()
    mean, variance, histograms = stats.result(n_trajectories * (t_max - burn_in))
    return SimulationResult(
        list(network.species),
        mean,
        variance,
        histograms,
        final,
        grid,
        run.samples,
        run.n_events,
    )


RECORD_LIMIT_BYTES = 2**30  # recorded trajectories (record_every) may take this much memory
HISTOGRAM_LIMIT = 10**7  # largest count a time-weighted histogram may reach (80 MB a species)


def check_record_size(t_max: float, record_every: float, n_trajectories: int, n_species: int) -> None:
    """Refuse a record grid whose states would take more than ``RECORD_LIMIT_BYTES``.

    >>> check_record_size(100, 0.1, 1000, 2)
    """
    points = int(t_max / record_every) + 1
    size = n_trajectories * points * n_species * 8
    if size > RECORD_LIMIT_BYTES:
        raise ValueError(
            f"record_every={record_every:g} over t_max={t_max:g} records {points:,} time points "
            f"for {n_trajectories:,} trajectories ({size / 2**30:,.1f} GiB, the limit is "
            f"{RECORD_LIMIT_BYTES / 2**30:.0f} GiB): use a larger record_every or fewer trajectories."
        )


def _check_arguments(t_max, burn_in, n_trajectories, record_every, max_steps) -> None:
    def number(value, name):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise TypeError(f"{name} must be a number, got {type(value).__name__}")
        if not np.isfinite(value):
            raise ValueError(f"{name} must be finite, got {value} (a simulation needs an end)")

    number(t_max, "t_max")
    number(burn_in, "burn_in")
    if not t_max > 0:
        raise ValueError(f"t_max must be positive, got {t_max}")
    if not 0 <= burn_in < t_max:
        raise ValueError(f"burn_in must lie in [0, t_max) = [0, {t_max:g}), got {burn_in}")
    for name, value in (("n_trajectories", n_trajectories), ("max_steps", max_steps)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if record_every is not None:
        number(record_every, "record_every")
        if not record_every > 0:
            raise ValueError(f"record_every must be positive (or None), got {record_every}")


def _state_vectors(network: ReactionNetwork, initial) -> np.ndarray:
    """A state vector, or one per trajectory, of whole non-negative counts."""
    x0 = np.asarray(initial)
    n_species = len(network.species)
    if x0.dtype.kind not in "iuf" or x0.ndim not in (1, 2) or x0.shape[-1] != n_species:
        raise ValueError(
            f"initial must be {{species: count}}, a vector of {n_species} counts "
            f"({', '.join(network.species)}) or one such row per trajectory; got shape {x0.shape}"
        )
    if not (np.isfinite(x0).all() and (x0 == np.round(x0)).all() and (x0 >= 0).all()):
        raise ValueError("initial counts must be whole non-negative numbers")
    return x0.astype(np.int64)


def _progress(t_max: float):
    from tqdm import tqdm

    return tqdm(total=float(t_max), unit="time", desc="simulating", disable=None, leave=False,
                bar_format="{l_bar}{bar}| {n:.3g}/{total:.3g} [{elapsed}<{remaining}]")


class _Runner:
    """Lock-step direct-method steps for all trajectories between two times."""

    def __init__(
        self,
        network: ReactionNetwork,
        rng: np.random.Generator,
        grid,
        n_trajectories: int,
        max_steps: int,
    ):
        self.network, self.rng, self.grid, self.max_steps = (
            network,
            rng,
            grid,
            max_steps,
        )
        n_species = len(network.species)
        change = network.change.T.astype(np.float64)
        self.cumulative_matrix = network.cumulative_matrix()
        self.changing = [(s, change[s]) for s in range(n_species) if change[s].any()]
        self.samples = (
            np.zeros((n_trajectories, len(grid), n_species), dtype=np.int64)
            if grid is not None
            else None
        )
        self.next_sample = np.zeros(n_trajectories, dtype=np.int64)
        self.n_events = 0
        self.progress = None

    def advance(
        self, x: np.ndarray, t_start: float, t_end: float, stats, last: bool = False
    ) -> np.ndarray:
        """Run every trajectory (columns of ``x``) from ``t_start`` to ``t_end``; returns the states at ``t_end``."""
        n_species, n_reactions = x.shape[0] - 1, len(self.network.change)
        out = x.copy()
        ids = np.arange(x.shape[1])
        t = np.full(x.shape[1], t_start)
        block = _BLOCK
        for _ in range(self.max_steps):
            if not ids.size:
                return out
            if block == _BLOCK:
                if self.progress is not None:
                    self.progress.update(max(float(t.min()) - self.progress.n, 0.0))
                exponentials = self.rng.standard_exponential(
                    (_BLOCK, ids.size), dtype=np.float32
                )
                uniforms = self.rng.random((_BLOCK, ids.size), dtype=np.float32)
                block = 0
            if (
                self.cumulative_matrix is not None
            ):  # linear propensities: one small matmul
                cumulative = self.cumulative_matrix @ x
            else:
                cumulative = self.network.propensities_extended(x)
                for r in range(
                    1, n_reactions
                ):  # row-wise running sum (np.cumsum on axis 0 is slow)
                    cumulative[r] += cumulative[r - 1]
            total = cumulative[-1]
            with np.errstate(divide="ignore"):
                tau = (
                    exponentials[block] / total
                )  # float64: the time spent in the current state
            t_next = t + tau
            done = t_next >= t_end
            n_done = int(np.count_nonzero(done))
            if stats is not None:
                if n_done:
                    tau[done] = np.maximum(t_end - t[done], 0.0)
                stats.add(x[:n_species], tau)
            if self.samples is not None:
                _record(
                    self.samples,
                    self.grid,
                    self.next_sample,
                    ids,
                    x[:n_species].T,
                    np.minimum(t_next, t_end),
                    t_end,
                    last,
                )
            target = uniforms[block] * total
            block += 1
            reaction = np.zeros(ids.size, dtype=np.intp)
            for r in range(n_reactions - 1):
                reaction += cumulative[r] < target
            if not n_done:
                for s, row in self.changing:
                    x[s] += row[reaction]
                self.n_events += ids.size
            else:
                for s, row in self.changing:
                    x[s] += row[reaction] * ~done
                self.n_events += ids.size - n_done
                if 2 * n_done >= ids.size:  # compact: drop finished trajectories
                    out[:, ids[done]] = x[:, done]
                    keep = ~done
                    x, t_next, ids = x[:, keep], t_next[keep], ids[keep]
                    block = _BLOCK  # fresh random numbers of the new size
            t = t_next
        raise RuntimeError(
            f"simulation did not reach t={t_end} within max_steps={self.max_steps}"
        )


_BLOCK = 256  # steps per batch of random numbers and per statistics flush


class _TimeWeighted:
    """Buffers (state, dwell time) pairs and folds them into time-weighted
    histograms every ``_BLOCK`` steps; the moments are exact sums over the histograms."""

    def __init__(self, n_species: int) -> None:
        self.n_species = n_species
        self.states = np.zeros(
            (n_species, 0, 0), dtype=np.intp
        )  # (species, step, trajectory)
        self.dwells = np.zeros((0, 0))
        self.filled = 0
        self.histograms = [np.zeros(0) for _ in range(n_species)]

    def add(self, x: np.ndarray, dwell: np.ndarray) -> None:
        if self.filled == self.dwells.shape[0] or self.dwells.shape[1] != dwell.size:
            self.flush()
            self.states = np.empty((self.n_species, _BLOCK, dwell.size), dtype=np.intp)
            self.dwells = np.empty((_BLOCK, dwell.size))
        self.states[:, self.filled] = x  # float counts cast to integers in the copy
        self.dwells[self.filled] = dwell
        self.filled += 1

    def flush(self) -> None:
        k, self.filled = self.filled, 0
        if not k:
            return
        dwell = self.dwells[:k].ravel()
        top = int(self.states[:, :k].max(initial=0))
        if top > HISTOGRAM_LIMIT:
            raise ValueError(
                f"a species reached {top:,} molecules, beyond the {HISTOGRAM_LIMIT:,} its "
                "time-weighted histogram may hold: the network seems to grow without bound (a "
                "decay rate of 0?); check the rates or shorten t_max"
            )
        for s in range(self.n_species):
            h = np.bincount(self.states[s, :k].ravel(), weights=dwell)
            if len(h) > len(self.histograms[s]):
                h[: len(self.histograms[s])] += self.histograms[s]
                self.histograms[s] = h
            else:
                self.histograms[s][: len(h)] += h

    def result(
        self, duration: float
    ) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
        self.flush()
        histograms = [h / duration for h in self.histograms]
        mean = np.array([np.arange(len(h)) @ h for h in histograms])
        second = np.array([np.arange(len(h)) ** 2 @ h for h in histograms])
        return mean, second - mean**2, histograms


def _record(samples, grid, next_sample, active, xa, t_new, t_end, last) -> None:
    """Store the current state at every grid time the trajectories pass now
    (grid points at ``t_end`` itself only in the last phase)."""
    if last:
        end = np.where(
            t_new >= t_end, len(grid), np.searchsorted(grid, t_new, side="left")
        )
    else:
        end = np.searchsorted(grid, t_new, side="left")
    start = next_sample[active]
    for k in range(int((end - start).max(initial=0))):
        take = start + k < end
        samples[active[take], start[take] + k] = xa[take]
    next_sample[active] = np.maximum(start, end)
