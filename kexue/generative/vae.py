"""Variational autoencoder with a Gaussian or Bernoulli decoder (Kingma & Welling 2014).

``q(z|x) = N(mean(x), diag(exp(log_var(x))))``, ``p(z) = N(0, I)`` and ``p(x|z)`` either
Bernoulli with logits ``decoder(z)`` (grey values in [0, 1] act as soft targets) or Gaussian
``N(decoder(z), sigma^2)`` with a fixed ``sigma``. ``model(x)`` returns each example's negative
ELBO in nats (reconstruction + KL); ``fit`` minimises its mean (no custom ``train_step``).

Example:
    >>> import numpy as np, keras
    >>> from kexue.generative.vae import VAE
    >>> x = np.random.default_rng(0).random((64, 8, 8, 1)).astype("float32")
    >>> model = VAE(input_shape=(8, 8, 1), latent_dim=2, hidden=32)
    >>> model.compile(optimizer=keras.optimizers.Adam(1e-3))
    >>> _ = model.fit(x, batch_size=32, epochs=1, verbose=0)
    >>> model.sample(3, seed=0).shape
    (3, 8, 8, 1)
"""

from __future__ import annotations

import math

import keras
import numpy as np
from keras import ops

LIKELIHOODS = ("bernoulli", "gaussian")


def mlp(sizes: list[int], name: str, last_activation: str | None = None,
        last_initializer: str = "glorot_uniform") -> keras.Sequential:
    """A stack of Dense layers: ReLU between them, ``last_activation`` on the last."""
    last = len(sizes) - 1
    layers = [keras.layers.Dense(n, activation="relu" if i < last else last_activation,
                                 kernel_initializer=last_initializer if i == last else "glorot_uniform",
                                 name=f"dense_{i}") for i, n in enumerate(sizes)]
    return keras.Sequential(layers, name=name)


def reconstruction_nll(x, decoded, likelihood: str, sigma: float):
    """Per-example ``-log p(x|z)`` in nats; ``decoded`` are logits (Bernoulli) or means."""
    x = ops.reshape(x, (ops.shape(x)[0], -1))
    decoded = ops.reshape(decoded, (ops.shape(decoded)[0], -1))
    if likelihood == "bernoulli":
        # Binary cross-entropy with logits, stable form.
        per_pixel = ops.relu(decoded) - decoded * x + ops.log1p(ops.exp(-ops.abs(decoded)))
        return ops.sum(per_pixel, axis=-1)
    dims = x.shape[-1]
    return (ops.sum(ops.square(x - decoded), axis=-1) / (2 * sigma**2)
            + dims * (math.log(sigma) + 0.5 * math.log(2 * math.pi)))


def gaussian_kl(mean, log_var):
    """Per-example ``KL(N(mean, exp(log_var)) || N(0, I))``."""
    return 0.5 * ops.sum(ops.square(mean) + ops.exp(log_var) - 1.0 - log_var, axis=-1)


class LatentModel(keras.Model):
    """Shared parts of the VAE family: shape checks, encoder/decoder nets, sampling z."""

    def __init__(self, input_shape: tuple, latent_dim: int, hidden: int, likelihood: str,
                 sigma: float, seed: int, **kwargs):
        super().__init__(**kwargs)
        if likelihood not in LIKELIHOODS:
            raise ValueError(f"likelihood must be one of {LIKELIHOODS}; got {likelihood!r}.")
        if latent_dim < 1 or hidden < 1:
            raise ValueError(f"latent_dim and hidden must be positive; got {latent_dim}, {hidden}.")
        if sigma <= 0:
            raise ValueError(f"sigma must be positive; got {sigma}.")
        self.data_shape = tuple(int(d) for d in input_shape)
        self.latent_dim, self.hidden = int(latent_dim), int(hidden)
        self.likelihood, self.sigma, self.seed = likelihood, float(sigma), int(seed)
        self.dims = int(np.prod(self.data_shape))
        self.encoder = mlp([hidden, hidden, 2 * latent_dim], "encoder")
        self.decoder = mlp([hidden, hidden, self.dims], "decoder")
        self.noise = keras.random.SeedGenerator(seed)

    def _flat(self, x):
        x = ops.convert_to_tensor(x, dtype=self.compute_dtype)
        if tuple(x.shape[1:]) != self.data_shape:
            raise ValueError(f"{type(self).__name__} expects inputs of shape (batch,) + "
                             f"{self.data_shape}; got {tuple(x.shape)}.")
        return ops.reshape(x, (ops.shape(x)[0], self.dims))

    def encode(self, x):
        """``(mean, log_var)`` of ``q(z|x)``."""
        mean, log_var = ops.split(self.encoder(self._flat(x)), 2, axis=-1)
        return mean, ops.clip(log_var, -12.0, 8.0)

    def reparameterize(self, mean, log_var):
        eps = keras.random.normal(ops.shape(mean), seed=self.noise, dtype=mean.dtype)
        return mean + ops.exp(0.5 * log_var) * eps

    def decode(self, z):
        """Image means in data space (probabilities for the Bernoulli decoder), NumPy-free."""
        out = self.decoder(z)
        if self.likelihood == "bernoulli":
            out = ops.sigmoid(out)
        return ops.reshape(out, (-1,) + self.data_shape)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        return ops.mean(y_pred)

    def sample(self, n: int, seed: int | None = None) -> np.ndarray:
        """Decode ``n`` draws of ``z ~ N(0, I)`` (NumPy)."""
        z = np.random.default_rng(seed).standard_normal((n, self.latent_dim)).astype("float32")
        return np.asarray(ops.convert_to_numpy(self.decode(z)))

    def interpolate(self, x_start, x_end, steps: int = 10) -> np.ndarray:
        """Decode straight lines between the posterior means of paired examples:
        shape (pairs, steps) + input_shape (NumPy)."""
        a = np.asarray(ops.convert_to_numpy(self.encode(x_start)[0]))
        b = np.asarray(ops.convert_to_numpy(self.encode(x_end)[0]))
        t = np.linspace(0.0, 1.0, steps, dtype="float32")[None, :, None]
        z = (a[:, None] * (1 - t) + b[:, None] * t).reshape(-1, self.latent_dim)
        out = np.asarray(ops.convert_to_numpy(self.decode(z)))
        return out.reshape((len(a), steps) + self.data_shape)

    def get_config(self):
        return {**super().get_config(), "input_shape": self.data_shape,
                "latent_dim": self.latent_dim, "hidden": self.hidden,
                "likelihood": self.likelihood, "sigma": self.sigma, "seed": self.seed}


@keras.saving.register_keras_serializable(package="kexue")
class VAE(LatentModel):
    """``model(x)`` is the per-example negative ELBO (nats).

    Args:
        input_shape: shape of one example, e.g. ``(8, 8, 1)``.
        latent_dim: size of ``z``.
        hidden: width of the encoder's and decoder's two hidden layers.
        likelihood: ``"bernoulli"`` or ``"gaussian"``.
        sigma: the Gaussian decoder's standard deviation.
        seed: seed of the reparameterisation noise.
    """

    def __init__(self, input_shape: tuple = (8, 8, 1), latent_dim: int = 8, hidden: int = 256,
                 likelihood: str = "bernoulli", sigma: float = 0.1, seed: int = 0, **kwargs):
        super().__init__(input_shape, latent_dim, hidden, likelihood, sigma, seed, **kwargs)

    def call(self, x, training=None):
        mean, log_var = self.encode(x)
        z = self.reparameterize(mean, log_var)
        recon = reconstruction_nll(x, self.decoder(z), self.likelihood, self.sigma)
        return recon + gaussian_kl(mean, log_var)
