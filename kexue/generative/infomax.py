"""Deep INFOMAX: learn codes by maximising mutual information between images and codes.

An encoder maps ``x`` to a local feature map ``C(x)`` and a code ``z``. A good code should
tell *which* image it came from, i.e. have high mutual information ``I(x; z)``. The
Jensen-Shannon form of MI is estimated like a GAN discriminator (the f-GAN "js" bound, see
:mod:`kexue.generative.fgan`): a critic ``T`` tells matched pairs ``(x_i, z_i)`` from
mismatched ones ``(x_i, z_j)`` with the loss ``softplus(-T(pos)) + softplus(T(neg))``.

- **global** term: ``T_g = <φ_g(flatten(C(x))), z>``;
- **local** term: ``T_l = <φ_l(c_ij), z>`` at every position ``ij`` of the feature map (``φ_l``
  is a stack of 1x1 convolutions), so the code must carry what every patch has in common;

(the "encode and dot product" critics, which train much better than an MLP on ``[c, z]``);
- **prior** term (the VAE-style regulariser): the code is ``z = μ + σ ε`` and
  ``KL(N(μ, σ²) || N(0, I))`` keeps the codes spread like a standard Gaussian.

Total loss ``α·global + β·local + γ·KL``, trained with ``fit`` (no adversarial game: encoder
and critics minimise the same loss). Every other code in the batch is a negative: the critic
scores all ``B × B`` image-code pairs and the diagonal holds the matched ones.

Example:
    >>> import numpy as np
    >>> from kexue.generative.infomax import DeepInfomax
    >>> model = DeepInfomax(input_shape=(8, 8, 1), latent_dim=4, channels=8, hidden=16)
    >>> model.encode(np.zeros((3, 8, 8, 1), "float32")).shape
    (3, 4)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
from keras import ops

Tensor = Any


def js_mi_loss(t_positive: Tensor, t_negative: Tensor) -> Tensor:
    """Jensen-Shannon MI estimator as a loss: ``mean softplus(-T⁺) + mean softplus(T⁻)``.

    Example:
        >>> import numpy as np
        >>> from kexue.generative.infomax import js_mi_loss
        >>> round(float(js_mi_loss(np.zeros(2, "float32"), np.zeros(2, "float32"))), 4)  # 2 log 2
        1.3863
    """
    return ops.mean(ops.softplus(-t_positive)) + ops.mean(ops.softplus(t_negative))


@keras.saving.register_keras_serializable(package="kexue")
class DeepInfomax(keras.Model):
    """Convolutional encoder with global and local JS-MI critics and a Gaussian prior.

    Args:
        input_shape: image shape ``(H, W, C)``.
        latent_dim: size of the code.
        channels: width of the convolutional feature map.
        hidden: width of the dense layers and critics.
        alpha, beta, gamma: weights of the global, local and prior terms.
    """

    def __init__(self, input_shape: Sequence[int], latent_dim: int = 32, channels: int = 64,
                 hidden: int = 256, alpha: float = 0.5, beta: float = 1.5, gamma: float = 0.01,
                 seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if len(input_shape) != 3:
            raise ValueError(f"input_shape must be (H, W, C), got {tuple(input_shape)}.")
        if min(alpha, beta, gamma) < 0:
            raise ValueError(f"alpha, beta and gamma must be non-negative, got {alpha}, {beta}, {gamma}.")
        self.image_shape, self.latent_dim = tuple(int(s) for s in input_shape), int(latent_dim)
        self.channels, self.hidden = int(channels), int(hidden)
        self.alpha, self.beta, self.gamma, self.seed = float(alpha), float(beta), float(gamma), seed
        # Local features see 3x3 patches; the code sees the whole image.
        self.features = keras.Sequential([
            keras.Input(self.image_shape),
            keras.layers.Conv2D(channels, 3, padding="same", activation="relu"),
        ], name="local_features")
        self.head = keras.Sequential([
            keras.layers.Conv2D(channels, 3, strides=2, padding="same", activation="relu"),
            keras.layers.Flatten(), keras.layers.Dense(hidden, activation="relu"),
            keras.layers.Dense(2 * latent_dim),
        ], name="code_head")
        # "Encode and dot product" critics: T(c, z) = <phi(c), z>.
        self.global_critic = keras.Sequential([
            keras.layers.Dense(hidden, activation="relu"), keras.layers.Dense(latent_dim),
        ], name="global_critic")
        self.local_critic = keras.Sequential([
            keras.layers.Conv2D(hidden, 1, activation="relu"), keras.layers.Conv2D(latent_dim, 1),
        ], name="local_critic")
        self.seed_generator = keras.random.SeedGenerator(seed)
        # Build every part now: the critics only appear in the loss, never in call().
        _, h, w, ch = self.features.output_shape
        self.head.build((None, h, w, ch))
        self.global_critic.build((None, h * w * ch))
        self.local_critic.build((None, h, w, ch))
        self.built = True

    def _moments(self, x):
        c = self.features(x)
        stats = self.head(c)
        return c, stats[:, : self.latent_dim], stats[:, self.latent_dim:]

    def call(self, x):
        return self._moments(x)[1]

    @staticmethod
    def _pair_loss(scores):
        """JS-MI loss from an all-pairs score tensor ``(..., B, B)`` whose diagonal holds the
        matched pairs: every other code in the batch is a negative."""
        b = ops.shape(scores)[-1]
        eye = ops.eye(b, dtype=scores.dtype)
        positive = ops.sum(ops.softplus(-scores) * eye, axis=(-2, -1)) / b
        negative = ops.sum(ops.softplus(scores) * (1.0 - eye), axis=(-2, -1)) / (b * (b - 1))
        return ops.mean(positive + negative)

    def loss_terms(self, x, noise=None) -> dict:
        """The three terms ``{"global", "local", "prior"}`` for a batch (``noise`` = ε)."""
        c, mean, log_var = self._moments(x)
        if noise is None:
            noise = keras.random.normal(ops.shape(mean), seed=self.seed_generator)
        noise = ops.convert_to_tensor(noise)
        z = mean + ops.exp(0.5 * log_var) * noise
        phi_global = self.global_critic(ops.reshape(c, (ops.shape(c)[0], -1)))  # (B, d)
        phi_local = self.local_critic(c)  # (B, h, w, d)
        global_scores = ops.matmul(phi_global, ops.transpose(z))  # [i, j] = <phi(x_i), z_j>
        local_scores = ops.einsum("bhwd,cd->hwbc", phi_local, z)
        prior = 0.5 * ops.mean(ops.sum(mean**2 + ops.exp(log_var) - log_var - 1.0, axis=-1))
        return {"global": self._pair_loss(global_scores), "local": self._pair_loss(local_scores),
                "prior": prior}

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        t = self.loss_terms(x)
        return self.alpha * t["global"] + self.beta * t["local"] + self.gamma * t["prior"]

    def encode(self, x, batch_size: int = 512) -> np.ndarray:
        """The code means ``μ(x)`` as a NumPy array."""
        return self.predict(np.asarray(x, "float32"), batch_size=batch_size, verbose=0)

    def get_config(self):
        return {**super().get_config(), "input_shape": self.image_shape, "latent_dim": self.latent_dim,
                "channels": self.channels, "hidden": self.hidden, "alpha": self.alpha,
                "beta": self.beta, "gamma": self.gamma, "seed": self.seed}


def knn_label_agreement(features: np.ndarray, labels: np.ndarray, k: int = 10) -> float:
    """Mean fraction of each row's ``k`` nearest neighbours (Euclidean, itself excluded) that
    share its label.

    Example:
        >>> import numpy as np
        >>> from kexue.generative.infomax import knn_label_agreement
        >>> knn_label_agreement(np.array([[0.0], [0.1], [5.0], [5.1]]), np.array([0, 0, 1, 1]), k=1)
        1.0
    """
    from sklearn.neighbors import NearestNeighbors

    f = np.asarray(features, dtype="float64").reshape(len(features), -1)
    if not 1 <= k < len(f):
        raise ValueError(f"k must be between 1 and {len(f) - 1} (rows - 1), got {k}.")
    idx = NearestNeighbors(n_neighbors=k + 1).fit(f).kneighbors(f, return_distance=False)[:, 1:]
    return float(np.mean(np.asarray(labels)[idx] == np.asarray(labels)[:, None]))
