"""Implicit Maximum Likelihood Estimation (IMLE): make every data point have a close sample.

A GAN pulls samples towards data, so modes nobody samples are never visited. IMLE turns it
round: draw many latent codes, generate, and for *each data point* pick its nearest generated
sample; then regress the generator so those samples move onto their data points. No mode can
be dropped, because every data point pulls on some sample. Each round is a plain supervised
``fit`` of ``G(z_selected) ≈ x`` with a squared-error loss, so no custom gradients are needed.

Example:
    >>> import numpy as np
    >>> from kexue.generative.imle import nearest_neighbours
    >>> nearest_neighbours(np.array([[0.0], [5.0]]), np.array([[4.0], [0.1], [9.0]])).tolist()
    [1, 0]
"""

from __future__ import annotations

import keras
import numpy as np


def nearest_neighbours(queries: np.ndarray, candidates: np.ndarray, chunk: int = 1024) -> np.ndarray:
    """Index of the nearest candidate (Euclidean, over flattened rows) for every query row."""
    q = np.asarray(queries, dtype="float32").reshape(len(queries), -1)
    c = np.asarray(candidates, dtype="float32").reshape(len(candidates), -1)
    if q.shape[1] != c.shape[1]:
        raise ValueError(f"queries have {q.shape[1]} features but candidates {c.shape[1]}; they must match.")
    if len(c) == 0:
        raise ValueError("candidates is empty: generate at least one sample.")
    c_sq = (c * c).sum(1)
    out = np.empty(len(q), dtype="int64")
    for start in range(0, len(q), chunk):
        block = q[start:start + chunk]
        out[start:start + chunk] = np.argmin(c_sq[None, :] - 2.0 * block @ c.T, axis=1)
    return out


def fit_imle(
    generator: keras.Model,
    data: np.ndarray,
    *,
    latent_dim: int,
    rounds: int = 20,
    samples_per_point: int = 10,
    epochs_per_round: int = 2,
    batch_size: int = 128,
    learning_rate: float = 1e-3,
    seed: int = 0,
    progress: bool = False,
) -> list[float]:
    """Train ``generator`` (``z -> x``) on ``data`` by IMLE; returns the mean nearest-sample
    distance of every round (it should fall).

    Example:
        >>> import numpy as np
        >>> from kexue.generative.imle import fit_imle
        >>> from kexue.generative.single_loss import mlp_generator
        >>> data = np.random.default_rng(0).normal(size=(64, 2)).astype("float32")
        >>> len(fit_imle(mlp_generator(2, (2,), hidden=8), data, latent_dim=2, rounds=2))
        2
    """
    data = np.asarray(data, dtype="float32")
    if rounds < 1 or samples_per_point < 1:
        raise ValueError(f"rounds and samples_per_point must be >= 1, got {rounds} and {samples_per_point}.")
    rng = np.random.default_rng(seed)
    generator.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="mse")
    distances = []
    for r in range(rounds):
        z = rng.standard_normal((samples_per_point * len(data), latent_dim)).astype("float32")
        samples = generator.predict(z, batch_size=4096, verbose=0)
        chosen = nearest_neighbours(data, samples)
        gap = np.linalg.norm((samples[chosen] - data).reshape(len(data), -1), axis=1).mean()
        distances.append(float(gap))
        if progress:
            print(f"IMLE round {r + 1}/{rounds}: mean nearest-sample distance {gap:.4f}", flush=True)
        generator.fit(z[chosen], data, epochs=epochs_per_round, batch_size=batch_size, verbose=0)
    return distances


@keras.saving.register_keras_serializable(package="kexue")
class LatentSampler(keras.Model):
    """A generator ``z -> x`` with its latent size, saved as one model that can ``sample``.

    Example:
        >>> from kexue.generative.imle import LatentSampler
        >>> from kexue.generative.single_loss import mlp_generator
        >>> LatentSampler(generator=mlp_generator(2, (2,), hidden=4), latent_dim=2).sample(3).shape
        (3, 2)
    """

    def __init__(self, generator: keras.Model, latent_dim: int, **kwargs):
        super().__init__(**kwargs)
        self.generator, self.latent_dim = generator, int(latent_dim)

    def call(self, z):
        return self.generator(z)

    def sample(self, n: int, seed: int = 0) -> np.ndarray:
        """``n`` samples ``G(z)``, ``z ~ N(0, I)`` drawn with NumPy's ``seed``."""
        z = np.random.default_rng(seed).standard_normal((n, self.latent_dim)).astype("float32")
        return self.generator.predict(z, batch_size=1024, verbose=0)

    def get_config(self):
        return {**super().get_config(), "latent_dim": self.latent_dim,
                "generator": keras.saving.serialize_keras_object(self.generator)}

    @classmethod
    def from_config(cls, config):
        config["generator"] = keras.saving.deserialize_keras_object(config["generator"])
        return cls(**config)
