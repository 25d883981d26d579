"""Small real datasets for the generative zoo, all shipped by PyPI packages (no downloads).

- ``digits``: scikit-learn's 8x8 handwritten digits (1,797 images, UCI ML repository),
  scaled to [0, 1], shape (N, 8, 8, 1).
- ``faces``: scikit-image's ``lfw_subset()`` (200 Labeled Faces in the Wild crops, 25x25),
  scaled to [0, 1], shape (N, 25, 25, 1).
- ``moons``: scikit-learn's two interleaving half-circles, shape (N, 2).
- ``eight_gaussians``: eight Gaussians on a circle of radius 2 (std 0.02 * 2 by default),
  shape (N, 2), with the mode index as labels.

Example:
    >>> from kexue.generative.data import load_dataset
    >>> x_train, y_train, x_test, y_test = load_dataset("digits", seed=0)
    >>> x_train.shape[1:]
    (8, 8, 1)
"""

from __future__ import annotations

import numpy as np

DATASETS = ("digits", "faces", "moons", "eight_gaussians")


def split(x: np.ndarray, y: np.ndarray | None, test_fraction: float, seed: int):
    """A seeded random split: ``(x_train, y_train, x_test, y_test)`` (``y_*`` None without labels)."""
    order = np.random.default_rng(seed).permutation(len(x))
    n_test = int(round(len(x) * test_fraction))
    test, train = order[:n_test], order[n_test:]
    if y is None:
        return x[train], None, x[test], None
    return x[train], y[train], x[test], y[test]


def digits() -> tuple[np.ndarray, np.ndarray]:
    """All 1,797 scikit-learn digits as float32 images in [0, 1] and integer labels."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    x = (bunch.images / 16.0).astype("float32")[..., None]
    return x, bunch.target.astype("int64")


def faces() -> tuple[np.ndarray, np.ndarray]:
    """The 200 scikit-image LFW face crops as float32 images in [0, 1] (labels: 1 face, 0 not)."""
    from skimage.data import lfw_subset

    x = np.asarray(lfw_subset(), dtype="float32")
    if x.max() > 1.0:
        x = x / 255.0
    # lfw_subset: the first 100 are faces, the last 100 are not.
    y = np.concatenate([np.ones(100), np.zeros(len(x) - 100)]).astype("int64")
    return x[..., None], y


def moons(n: int = 4000, noise: float = 0.05, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's two moons."""
    from sklearn.datasets import make_moons

    x, y = make_moons(n_samples=n, noise=noise, random_state=seed)
    return x.astype("float32"), y.astype("int64")


def eight_gaussians(
    n: int = 4000, radius: float = 2.0, std: float = 0.04, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Eight isotropic Gaussians evenly spaced on a circle; labels are the mode index."""
    rng = np.random.default_rng(seed)
    modes = mode_centers(radius)
    y = rng.integers(0, 8, size=n)
    x = modes[y] + std * rng.standard_normal((n, 2))
    return x.astype("float32"), y.astype("int64")


def mode_centers(radius: float = 2.0) -> np.ndarray:
    """The eight centres used by :func:`eight_gaussians`, shape (8, 2)."""
    angles = np.arange(8) * (2 * np.pi / 8)
    return radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def load_dataset(name: str, test_fraction: float = 0.2, seed: int = 0):
    """Return ``(x_train, y_train, x_test, y_test)`` for one of :data:`DATASETS`."""
    loaders = {"digits": digits, "faces": faces, "moons": moons, "eight_gaussians": eight_gaussians}
    if name not in loaders:
        raise ValueError(f"Unknown dataset {name!r}; choose one of {', '.join(DATASETS)}.")
    x, y = loaders[name]()
    return split(x, y, test_fraction, seed)
