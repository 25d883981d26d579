"""O-GAN: a GAN whose discriminator is also an encoder, by an orthogonal decomposition.

The discriminator is an encoder ``E: x -> R^n`` (n = latent size) and its score is the mean of
the features, ``D(x) = avg(E(x))``. Any vector splits into its mean (along ``(1, ..., 1)``)
and the centred rest, which is orthogonal to it. The mean does the GAN's job; the centred
part is free, and O-GAN uses it to encode by maximising the Pearson correlation

    ρ(z, E(G(z))) = cos(z - mean(z), E(G(z)) - mean(E(G(z))))      (over the n features)

in both players' losses: ``L_D = adv_D - w ρ`` and ``L_G = adv_G - w ρ``. ρ ignores the mean and
the scale of ``E``, so it does not fight the GAN score. To reconstruct, standardise the code
``N(e) = (e - mean(e)) / std(e)`` (the scale the prior ``N(0, I)`` expects) and decode:
``x̂ = G(N(E(x)))``. Training is one ``fit`` with the single-loss trick.

Example:
    >>> import numpy as np
    >>> from kexue.generative.ogan import pearson
    >>> z = np.array([[1.0, 2.0, 3.0]], "float32")
    >>> float(pearson(z, 5 * z + 1)[0]), float(pearson(z, -z)[0])
    (1.0, -1.0)
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import ops

from kexue.generative.energy import gradient_penalty
from kexue.generative.single_loss import (
    SingleLossGAN,
    adversarial_losses,
    generator_view,
)

Tensor = Any


def _centre(t: Tensor) -> Tensor:
    return t - ops.mean(t, axis=-1, keepdims=True)


def pearson(a: Tensor, b: Tensor, epsilon: float = 1e-8) -> Tensor:
    """Per-row Pearson correlation of ``a`` and ``b`` over the last axis, shape ``(batch,)``."""
    a, b = _centre(ops.convert_to_tensor(a)), _centre(ops.convert_to_tensor(b))
    return ops.sum(a * b, axis=-1) / ops.sqrt(ops.sum(a * a, axis=-1) * ops.sum(b * b, axis=-1) + epsilon)


def standardize(e: Tensor, epsilon: float = 1e-8) -> Tensor:
    """``N(e)``: zero mean and unit variance over the last axis, per row."""
    c = _centre(ops.convert_to_tensor(e))
    return c / ops.sqrt(ops.mean(c * c, axis=-1, keepdims=True) + epsilon)


@keras.saving.register_keras_serializable(package="kexue")
class OGAN(SingleLossGAN):
    """O-GAN: ``discriminator`` is the encoder ``x -> (batch, latent_dim)`` features.

    Args:
        rho_weight: ``w``, the weight of the correlation term in both losses.
        penalty: weight of the zero-centred gradient penalty on the score ``avg(E(x))`` at
            real data (0 = none; see :mod:`kexue.generative.energy`).
        (the rest as :class:`~kexue.generative.single_loss.SingleLossGAN`)

    Example:
        >>> import numpy as np
        >>> from kexue.generative.ogan import OGAN
        >>> from kexue.generative.single_loss import mlp_generator, mlp_discriminator
        >>> gan = OGAN(generator=mlp_generator(4, (8, 8, 1), hidden=8),
        ...            discriminator=mlp_discriminator((8, 8, 1), hidden=8, outputs=4), latent_dim=4)
        >>> gan.reconstruct(np.zeros((2, 8, 8, 1), "float32")).shape
        (2, 8, 8, 1)
    """

    def __init__(self, *args, rho_weight: float = 0.5, penalty: float = 0.0, **kwargs):
        super().__init__(*args, **kwargs)
        if rho_weight < 0 or penalty < 0:
            raise ValueError(f"rho_weight and penalty must be non-negative, got {rho_weight} and {penalty}.")
        self.rho_weight, self.penalty = float(rho_weight), float(penalty)

    def split_losses(self, x_real, z, d_real=None):
        e_real = self.discriminator(x_real) if d_real is None else d_real
        x_fake = self.generator(z)
        e_fake_ng = self.discriminator(ops.stop_gradient(x_fake))
        e_fake_g = generator_view(self.discriminator(x_fake), e_fake_ng)
        score = lambda e: ops.mean(e, axis=-1)
        d_adv, _ = adversarial_losses(self.loss_kind, score(e_real), score(e_fake_ng))
        _, g_adv = adversarial_losses(self.loss_kind, ops.stop_gradient(score(e_real)), score(e_fake_g))
        d_loss = d_adv - self.rho_weight * ops.mean(pearson(z, e_fake_ng))
        if self.penalty:
            d_loss = d_loss + self.penalty * gradient_penalty(lambda t: ops.mean(self.discriminator(t), axis=-1), x_real)
        g_loss = g_adv - self.rho_weight * ops.mean(pearson(z, e_fake_g))
        return d_loss, g_loss

    def encode(self, x, batch_size: int = 512) -> np.ndarray:
        """``N(E(x))``: standardised codes."""
        e = self.discriminator.predict(np.asarray(x, "float32"), batch_size=batch_size, verbose=0)
        return ops.convert_to_numpy(standardize(e))

    def reconstruct(self, x, batch_size: int = 512) -> np.ndarray:
        """``G(N(E(x)))``."""
        return self.generator.predict(self.encode(x, batch_size), batch_size=batch_size, verbose=0)

    def code_correlation(self, n: int = 1000, seed: int = 0) -> float:
        """Mean Pearson ρ(z, E(G(z))) over ``n`` fresh ``z ~ N(0, I)``."""
        z = np.random.default_rng(seed).standard_normal((n, self.latent_dim)).astype("float32")
        e = self.discriminator.predict(self.generator.predict(z, verbose=0), verbose=0)
        return float(np.mean(ops.convert_to_numpy(pearson(z, e))))

    def get_config(self):
        return {**super().get_config(), "rho_weight": self.rho_weight, "penalty": self.penalty}
