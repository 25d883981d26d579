"""f-VAE (Su & Wu 2018): a VAE whose posterior is a flow, ``z = F(mean(x) + sigma(x) * u)``.

With ``u ~ N(0, I)`` the posterior density follows from the change of variables,
``log q(z|x) = log N(u) - sum(log sigma(x)) - log|det J_F|``, so the per-example loss
(one ``u``, the negative ELBO) is

    -log p(x|z) + log N(u) - sum(log sigma) - logdet_F + 0.5 |z|^2 + (d/2) log 2 pi.

Special cases: ``flow_steps=0`` (``F`` = identity) is exactly the Gaussian VAE; an identity
encoder with ``sigma -> 0`` and the decoder ``G = F^-1`` leaves ``0.5 |F(x)|^2 - logdet_F``,
Glow's objective. Here ``F`` stacks (Actnorm, affine coupling, invertible linear map) on the
latent vectors, and sampling decodes ``z ~ N(0, I)`` directly.

Example:
    >>> import numpy as np, keras
    >>> from kexue.generative.flows.fvae import FVAE
    >>> x = np.random.default_rng(0).random((64, 8, 8, 1)).astype("float32")
    >>> model = FVAE(input_shape=(8, 8, 1), latent_dim=4, hidden=32, flow_steps=2)
    >>> model.compile(optimizer=keras.optimizers.Adam(1e-3))
    >>> _ = model.fit(x, batch_size=32, epochs=1, verbose=0)
    >>> model.sample(3, seed=0).shape
    (3, 8, 8, 1)
"""

from __future__ import annotations

import math

import keras
from keras import ops

from kexue.generative.flows.actnorm import Actnorm
from kexue.generative.flows.coupling import Coupling
from kexue.generative.flows.invconv import InvertibleConv1x1
from kexue.generative.vae import LatentModel, reconstruction_nll


@keras.saving.register_keras_serializable(package="kexue")
class FVAE(LatentModel):
    """VAE with a flow posterior; ``model(x)`` is the per-example negative ELBO (nats).

    Args:
        input_shape, latent_dim, hidden, likelihood, sigma, seed: as for
            :class:`~kexue.generative.vae.VAE` (``sigma`` is the Gaussian decoder's std).
        flow_steps: number of (Actnorm, coupling, linear) steps in ``F``; 0 gives the VAE.
    """

    def __init__(self, input_shape: tuple = (8, 8, 1), latent_dim: int = 8, hidden: int = 256,
                 flow_steps: int = 4, likelihood: str = "bernoulli", sigma: float = 0.1,
                 seed: int = 0, **kwargs):
        super().__init__(input_shape, latent_dim, hidden, likelihood, sigma, seed, **kwargs)
        if flow_steps < 0:
            raise ValueError(f"flow_steps must be >= 0; got {flow_steps}.")
        if flow_steps and latent_dim < 2:
            raise ValueError("A flow posterior needs latent_dim >= 2 (couplings split the code).")
        self.flow_steps = int(flow_steps)
        self.flow = []
        for i in range(self.flow_steps):
            self.flow += [Actnorm(data_init=False, name=f"actnorm_{i}"),
                          Coupling("affine", hidden=hidden // 2 or 1, parity=i % 2,
                                   name=f"coupling_{i}"),
                          InvertibleConv1x1(seed=seed + i, name=f"linear_{i}")]

    def posterior_sample(self, x, u):
        """``(z, log q(z|x))`` for the noise ``u`` (batch, latent_dim)."""
        mean, log_var = self.encode(x)
        u = ops.convert_to_tensor(u, dtype=mean.dtype)
        h = mean + ops.exp(0.5 * log_var) * u
        log_q = (-0.5 * ops.sum(ops.square(u), axis=-1) - 0.5 * ops.sum(log_var, axis=-1)
                 - 0.5 * self.latent_dim * math.log(2 * math.pi))
        for layer in self.flow:
            h, logdet = layer(h)
            log_q = log_q - logdet
        return h, log_q

    def call(self, x, training=None):
        batch = ops.shape(x)[0]
        u = keras.random.normal((batch, self.latent_dim), seed=self.noise, dtype=self.compute_dtype)
        z, log_q = self.posterior_sample(x, u)
        log_pz = -0.5 * ops.sum(ops.square(z), axis=-1) - 0.5 * self.latent_dim * math.log(
            2 * math.pi)
        recon = reconstruction_nll(x, self.decoder(z), self.likelihood, self.sigma)
        return recon + log_q - log_pz

    def get_config(self):
        return {**super().get_config(), "flow_steps": self.flow_steps}
