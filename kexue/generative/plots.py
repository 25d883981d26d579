"""Pictures for the generative zoo: sample grids, interpolation strips and 2-D scatter plots.

All functions draw with matplotlib's non-interactive Agg backend (no display needed) and
write a PNG file atomically (:mod:`kexue.files`: a kill leaves the previous picture or the new
one); they import matplotlib lazily, so importing this module is cheap.

Example:
    >>> import numpy as np, tempfile, os
    >>> from kexue.generative.plots import save_image_grid
    >>> path = os.path.join(tempfile.mkdtemp(), "grid.png")
    >>> save_image_grid(np.random.rand(20, 8, 8, 1), path, ncols=10)
    >>> os.path.exists(path)
    True
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from kexue.files import atomic_path


def _figure(width: float, height: float):
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure  # Figure + Agg canvas: no pyplot global state

    return Figure(figsize=(width, height))


def _as_images(images: np.ndarray, name: str) -> np.ndarray:
    images = np.asarray(images, dtype="float32")
    if images.ndim == 3:  # (N, H, W): grey images without a channel axis
        images = images[..., None]
    if images.ndim != 4 or images.shape[-1] not in (1, 3):
        raise ValueError(
            f"{name} must have shape (N, H, W, C) with C = 1 or 3 (or (N, H, W)); "
            f"got {images.shape}."
        )
    if len(images) == 0:
        raise ValueError(f"{name} is empty: pass at least one image.")
    return np.clip(images, 0.0, 1.0)


def _draw_grid(grid: np.ndarray, path: str | os.PathLike) -> None:
    """Draw a (rows, cols, H, W, C) array of images in [0, 1] as one picture."""
    rows, cols, h, w, c = grid.shape
    pad = 1
    canvas = np.ones((rows * (h + pad) + pad, cols * (w + pad) + pad, c), dtype="float32")
    for i in range(rows):
        for j in range(cols):
            top, left = pad + i * (h + pad), pad + j * (w + pad)
            canvas[top : top + h, left : left + w] = grid[i, j]
    scale = max(0.4, 0.04 * max(h, w))  # inches per tile: 0.4 for 8x8 digits, 1 for 25x25 faces
    fig = _figure(cols * scale, rows * scale)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.imshow(
        canvas[..., 0] if c == 1 else canvas,
        cmap="gray" if c == 1 else None,
        vmin=0.0,
        vmax=1.0,
        interpolation="nearest",
    )
    ax.axis("off")
    _save(fig, path)


def _save(fig, path: str | os.PathLike) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=100, format="png")


def save_image_grid(images: np.ndarray, path: str | os.PathLike, ncols: int = 10) -> None:
    """Save images (N, H, W, C) with values in [0, 1] as a grid with ``ncols`` columns.

    Missing cells of the last row are left white. Values outside [0, 1] are clipped.
    """
    images = _as_images(images, "images")
    if ncols < 1:
        raise ValueError(f"ncols must be a positive integer; got {ncols}.")
    ncols = min(ncols, len(images))
    nrows = -(-len(images) // ncols)
    padded = np.ones((nrows * ncols,) + images.shape[1:], dtype="float32")
    padded[: len(images)] = images
    _draw_grid(padded.reshape((nrows, ncols) + images.shape[1:]), path)


def save_interpolations(rows: np.ndarray, path: str | os.PathLike) -> None:
    """Save latent-space interpolations: ``rows`` has shape (n_rows, n_steps, H, W, C).

    Each row is one path from a start image to an end image.
    """
    rows = np.asarray(rows, dtype="float32")
    if rows.ndim == 4:
        rows = rows[..., None]
    if rows.ndim != 5:
        raise ValueError(f"rows must have shape (n_rows, n_steps, H, W, C); got {rows.shape}.")
    flat = _as_images(rows.reshape((-1,) + rows.shape[2:]), "rows")
    _draw_grid(flat.reshape(rows.shape), path)


def save_scatter(
    points: np.ndarray, path: str | os.PathLike, reference: np.ndarray | None = None
) -> None:
    """Scatter-plot 2-D ``points`` (N, 2), optionally over ``reference`` points (M, 2) in grey."""
    points = np.asarray(points, dtype="float64")
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"points must have shape (N, 2); got {points.shape}.")
    fig = _figure(4.0, 4.0)
    ax = fig.add_subplot(1, 1, 1)
    if reference is not None:
        reference = np.asarray(reference, dtype="float64")
        if reference.ndim != 2 or reference.shape[1] != 2:
            raise ValueError(f"reference must have shape (M, 2); got {reference.shape}.")
        ax.scatter(reference[:, 0], reference[:, 1], s=2, c="0.7", label="data")
    ax.scatter(points[:, 0], points[:, 1], s=2, c="tab:blue", label="model")
    ax.set_aspect("equal", adjustable="datalim")
    if reference is not None:
        ax.legend(loc="upper right", markerscale=4)
    _save(fig, path)
