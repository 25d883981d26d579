"""One-step clustering VAE: a discrete cluster ``y`` and a continuous code ``z`` learned together.

The generative story is ``y ~ Uniform(K)``, ``z | y ~ N(mu_y, I)``, ``x | z ~ p(x|z)``; the
approximate posterior is ``q(z|x) q(y|z)`` with a Gaussian encoder and a softmax classifier on
``z``. Minimising ``KL(p~(x) q(z|x) q(y|z) || p(x|z) p(z|y) p(y))`` gives, per example (one
sample of ``z``), the loss

    -log p(x|z)                                   reconstruction
    + sum_y q(y|z) * 0.5 * |z - mu_y|^2 - 0.5 * sum(1 + log_var)    code vs. its cluster's mean
    + sum_y q(y|z) log q(y|z) + log K             classifier vs. the uniform prior

with learnable cluster means ``mu_y``. The classifier's logits are ``-|z - mu_y|^2 / 2`` plus
an MLP that starts at zero, so it begins at the prior's posterior instead of at random (a random
classifier pulls all means to the centre and merges clusters). ``predict_clusters`` takes ``argmax q(y|mean(x))``;
``generate(y)`` decodes ``z ~ N(mu_y, I)``: conditional generation per cluster.

Example:
    >>> import numpy as np, keras
    >>> from kexue.generative.cluster_vae import ClusterVAE
    >>> x = np.random.default_rng(0).random((64, 8, 8, 1)).astype("float32")
    >>> model = ClusterVAE(input_shape=(8, 8, 1), n_clusters=3, latent_dim=4, hidden=32)
    >>> model.compile(optimizer=keras.optimizers.Adam(1e-3))
    >>> _ = model.fit(x, batch_size=32, epochs=1, verbose=0)
    >>> model.predict_clusters(x[:5]).shape, model.generate(cluster=1, n=2, seed=0).shape
    ((5,), (2, 8, 8, 1))
"""

from __future__ import annotations

import math

import keras
import numpy as np
from keras import ops

from kexue.generative.vae import LatentModel, mlp, reconstruction_nll


@keras.saving.register_keras_serializable(package="kexue")
class ClusterVAE(LatentModel):
    """VAE with a Gaussian-mixture prior whose component is inferred by a classifier on ``z``.

    Args:
        input_shape, latent_dim, hidden, likelihood, sigma, seed: as for :class:`~kexue.generative.vae.VAE`.
        n_clusters: number of clusters ``K``.
        recon_weight: weight of the reconstruction term (the post's lambda).
    """

    def __init__(self, input_shape: tuple = (8, 8, 1), n_clusters: int = 10, latent_dim: int = 16,
                 hidden: int = 256, likelihood: str = "bernoulli", sigma: float = 0.1,
                 recon_weight: float = 1.0, seed: int = 0, **kwargs):
        super().__init__(input_shape, latent_dim, hidden, likelihood, sigma, seed, **kwargs)
        if n_clusters < 2:
            raise ValueError(f"n_clusters must be at least 2; got {n_clusters}.")
        self.n_clusters, self.recon_weight = int(n_clusters), float(recon_weight)
        self.classifier = mlp([hidden, n_clusters], "classifier", last_initializer="zeros")
        self.cluster_means = self.add_weight(
            shape=(n_clusters, latent_dim), name="cluster_means",
            initializer=keras.initializers.RandomNormal(stddev=1.0, seed=seed))

    def call(self, x, training=None):
        mean, log_var = self.encode(x)
        return self.loss_terms(x, self.reparameterize(mean, log_var), log_var)

    def loss_terms(self, x, z, log_var=None):
        """Per-example loss for the code ``z`` (``log_var`` of ``q(z|x)``: recomputed if None)."""
        if log_var is None:
            log_var = self.encode(x)[1]
        q_y = self.classify(z)
        recon = reconstruction_nll(x, self.decoder(z), self.likelihood, self.sigma)
        sq_dist = ops.sum(ops.square(ops.expand_dims(z, 1) - self.cluster_means), axis=-1)
        code = ops.sum(q_y * 0.5 * sq_dist, axis=-1) - 0.5 * ops.sum(1.0 + log_var, axis=-1)
        cat = ops.sum(q_y * ops.log(q_y + 1e-8), axis=-1) + math.log(self.n_clusters)
        return self.recon_weight * recon + code + cat

    def classify(self, z):
        """``q(y|z)``: softmax of ``-|z - mu_y|^2 / 2`` (the posterior under the prior, which is
        the loss's optimum for fixed ``z``) plus a learned MLP correction that starts at zero."""
        sq_dist = ops.sum(ops.square(ops.expand_dims(z, 1) - self.cluster_means), axis=-1)
        return ops.softmax(self.classifier(z) - 0.5 * sq_dist, axis=-1)

    def init_clusters(self, x, seed: int = 0, restarts: int = 10, on: str = "codes") -> None:
        """Start the cluster means from k-means (a start for the clustering phase after a
        warm-up; the post starts from random means).

        ``on="codes"`` runs k-means on the posterior means of ``x``; ``on="pixels"`` runs it on
        the flattened inputs and sets each ``mu_y`` to the mean code of that cluster's members.
        """
        if on not in ("codes", "pixels"):
            raise ValueError(f"on must be 'codes' or 'pixels'; got {on!r}.")
        codes = np.concatenate([np.asarray(ops.convert_to_numpy(self.encode(x[i : i + 512])[0]))
                                for i in range(0, len(x), 512)])
        if on == "codes":
            centres = kmeans(codes, self.n_clusters, seed=seed, restarts=restarts)
        else:
            flat = np.asarray(x, "float64").reshape(len(x), -1)
            pixel_centres = kmeans(flat, self.n_clusters, seed=seed, restarts=restarts)
            assign = np.argmin(((flat[:, None] - pixel_centres[None]) ** 2).sum(-1), axis=1)
            centres = np.stack([codes[assign == j].mean(0) for j in range(self.n_clusters)])
        self.cluster_means.assign(centres.astype("float32"))

    def cluster_probabilities(self, x, batch_size: int = 512) -> np.ndarray:
        """``q(y | z = mean(x))`` for every example (NumPy, shape (N, K))."""
        out = []
        for start in range(0, len(x), batch_size):
            mean, _ = self.encode(x[start : start + batch_size])
            out.append(np.asarray(ops.convert_to_numpy(self.classify(mean))))
        return np.concatenate(out)

    def predict_clusters(self, x) -> np.ndarray:
        """Most probable cluster of each example."""
        return self.cluster_probabilities(x).argmax(axis=-1)

    def generate(self, cluster: int, n: int = 10, seed: int | None = None) -> np.ndarray:
        """Decode ``n`` codes drawn from cluster ``cluster``'s prior ``N(mu_y, I)`` (NumPy)."""
        if not 0 <= cluster < self.n_clusters:
            raise ValueError(f"cluster must be in [0, {self.n_clusters}); got {cluster}.")
        means = np.asarray(ops.convert_to_numpy(self.cluster_means))[cluster]
        z = means + np.random.default_rng(seed).standard_normal((n, self.latent_dim))
        return np.asarray(ops.convert_to_numpy(self.decode(z.astype("float32"))))

    def get_config(self):
        return {**super().get_config(), "n_clusters": self.n_clusters,
                "recon_weight": self.recon_weight}


def kmeans(points: np.ndarray, k: int, seed: int = 0, restarts: int = 10,
           iterations: int = 100) -> np.ndarray:
    """Lloyd's k-means with k-means++ starts; returns the best of ``restarts`` centre sets."""
    points = np.asarray(points, dtype="float64")
    if len(points) < k:
        raise ValueError(f"k-means needs at least k={k} points; got {len(points)}.")
    rng = np.random.default_rng(seed)
    best, best_inertia = None, np.inf
    for _ in range(restarts):
        centres = points[[rng.integers(len(points))]]
        while len(centres) < k:  # k-means++: sample far-away points
            d2 = np.min(((points[:, None] - centres[None]) ** 2).sum(-1), axis=1)
            centres = np.vstack([centres, points[rng.choice(len(points), p=d2 / d2.sum())]])
        for _ in range(iterations):
            assign = np.argmin(((points[:, None] - centres[None]) ** 2).sum(-1), axis=1)
            new = np.array([points[assign == j].mean(0) if np.any(assign == j) else centres[j]
                            for j in range(k)])
            if np.allclose(new, centres):
                break
            centres = new
        inertia = ((points - centres[assign]) ** 2).sum()
        if inertia < best_inertia:
            best, best_inertia = centres, inertia
    return best


def cluster_accuracy(clusters: np.ndarray, labels: np.ndarray,
                     mapping_from: tuple[np.ndarray, np.ndarray] | None = None) -> float:
    """Accuracy after mapping each cluster to its majority label.

    The mapping is learned on ``mapping_from = (clusters, labels)`` when given (e.g. the training
    rows), otherwise on the rows scored. Clusters unseen when mapping count as errors.
    """
    clusters, labels = np.asarray(clusters), np.asarray(labels)
    if clusters.shape != labels.shape:
        raise ValueError(f"clusters and labels must have the same shape; got {clusters.shape} "
                         f"and {labels.shape}.")
    map_clusters, map_labels = mapping_from if mapping_from is not None else (clusters, labels)
    mapping = {c: np.bincount(map_labels[map_clusters == c]).argmax()
               for c in np.unique(map_clusters)}
    predicted = np.array([mapping.get(c, -1) for c in clusters])
    return float(np.mean(predicted == labels))
