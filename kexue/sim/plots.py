"""Plots of a Gillespie simulation (matplotlib, written to PNG without a display)."""

from __future__ import annotations

import os
from pathlib import Path

from kexue.files import atomic_path
from kexue.sim.gillespie import SimulationResult


def plot_simulation(
    result: SimulationResult, path: str | os.PathLike, n_trajectories: int = 3
) -> str:
    """Write a PNG: a few recorded trajectories (if any) and the time-weighted
    stationary histogram of every species. Returns the path.

    Example:
        >>> import tempfile, os
        >>> from kexue.sim import gene_expression, simulate
        >>> r = simulate(gene_expression(), {"m": 20}, t_max=10, n_trajectories=20, record_every=0.5)
        >>> os.path.getsize(plot_simulation(r, os.path.join(tempfile.mkdtemp(), "ssa.png"))) > 0
        True
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    has_paths = result.samples is not None
    columns = 2 if has_paths else 1
    figure, axes = plt.subplots(1, columns, figsize=(5 * columns, 3.6), squeeze=False)
    axes = axes[0]
    if has_paths:
        for s, name in enumerate(result.species):
            for k in range(min(n_trajectories, result.samples.shape[0])):
                axes[0].step(
                    result.times,
                    result.samples[k, :, s],
                    where="post",
                    lw=0.8,
                    color=f"C{s}",
                    alpha=0.8,
                    label=name if k == 0 else None,
                )
        axes[0].set_xlabel("time")
        axes[0].set_ylabel("count")
        axes[0].legend()
    ax = axes[-1]
    for s, name in enumerate(result.species):
        ax.bar(
            range(len(result.histograms[s])),
            result.histograms[s],
            width=1.0,
            alpha=0.5,
            color=f"C{s}",
            label=f"{name} (mean {result.mean[s]:.1f}, Fano {result.fano[s]:.2f})",
        )
    ax.set_xlabel("count")
    ax.set_ylabel("fraction of time")
    ax.legend(fontsize=8)
    figure.tight_layout()
    fmt = Path(path).suffix.lstrip(".").lower() or "png"
    try:
        with atomic_path(path) as tmp:  # a kill or a full disk leaves the previous plot
            figure.savefig(tmp, dpi=100, format=fmt)
    finally:
        plt.close(figure)
    return os.fspath(path)
