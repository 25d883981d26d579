"""Training a GAN with one loss and one optimizer step, by stop-gradient.

A GAN alternates two minimisations: the discriminator D (parameters θ) minimises ``L_D`` and
the generator G (parameters φ) minimises ``L_G``. Both can be folded into one scalar

    L = L_D(D(x_real), D(sg(G(z)))) + λ · L_G(s),   s = D(G(z)) - D(sg(G(z))) + sg(D(sg(G(z))))

where ``sg`` is stop-gradient. ``sg(G(z))`` keeps ``L_D`` from moving G. The "generator view"
``s`` has the value ``D(G(z))`` and the φ-gradient of ``D(G(z))``, but its θ-gradient is
``∇θ D(x_f) - ∇θ D(x_f) = 0``, so ``L_G`` does not move D. Hence

    ∇θ L = ∇θ L_D,   ∇φ L = λ ∇φ L_G,

and one plain gradient-descent step on ``L`` with learning rate η is a D step with rate η and a
G step with rate λη at the same time: λ is the G/D learning-rate ratio. (That holds exactly
for SGD and momentum; Adam normalises each parameter's gradient, so there λ cancels out except
through ε.) Because the whole game is one loss, :class:`SingleLossGAN` trains with
``Model.fit``.

Example:
    >>> import keras, numpy as np
    >>> from kexue.generative.single_loss import SingleLossGAN, mlp_generator, mlp_discriminator
    >>> gan = SingleLossGAN(generator=mlp_generator(2, (2,), hidden=16),
    ...                     discriminator=mlp_discriminator((2,), hidden=16), latent_dim=2)
    >>> gan.compile(optimizer=keras.optimizers.SGD(0.01))
    >>> _ = gan.fit(np.random.default_rng(0).normal(size=(64, 2)).astype("float32"),
    ...             epochs=1, batch_size=32, verbose=0)
    >>> gan.sample(3).shape
    (3, 2)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
from keras import ops

from kexue.generative.fgan import DIVERGENCES, fgan_losses

Tensor = Any
LOSS_KINDS = ("gan", "hinge", "wgan", *DIVERGENCES)


def generator_view(on_fake: Tensor, on_fake_detached: Tensor) -> Tensor:
    """``D(G(z))`` by value and φ-gradient, with zero gradient for D's parameters.

    ``on_fake`` is the discriminator (or any of its features) on ``G(z)``; ``on_fake_detached``
    the same network on ``stop_gradient(G(z))``.
    """
    return on_fake - on_fake_detached + ops.stop_gradient(on_fake_detached)


def adversarial_losses(kind: str, d_real: Tensor, d_fake: Tensor) -> tuple[Tensor, Tensor]:
    """``(d_loss, g_loss)`` for critic logits on real and fake samples.

    ``kind``: ``"gan"`` (non-saturating, softplus), ``"hinge"``, ``"wgan"``, or an f-divergence
    name from :mod:`kexue.generative.fgan`.

    Example:
        >>> import numpy as np
        >>> from kexue.generative.single_loss import adversarial_losses
        >>> d, g = adversarial_losses("wgan", np.ones(2, "float32"), np.zeros(2, "float32"))
        >>> float(d), float(g)
        (-1.0, -0.0)
    """
    if kind == "gan":
        return ops.mean(ops.softplus(-d_real)) + ops.mean(ops.softplus(d_fake)), ops.mean(ops.softplus(-d_fake))
    if kind == "hinge":
        return ops.mean(ops.relu(1.0 - d_real)) + ops.mean(ops.relu(1.0 + d_fake)), -ops.mean(d_fake)
    if kind == "wgan":
        return ops.mean(d_fake) - ops.mean(d_real), -ops.mean(d_fake)
    if kind in DIVERGENCES:
        return fgan_losses(kind, d_real, d_fake)
    raise ValueError(f"Unknown adversarial loss {kind!r}; choose one of {', '.join(LOSS_KINDS)}.")


def mlp_generator(latent_dim: int, output_shape: Sequence[int], *, hidden: int = 256,
                  output_activation: str | None = None, name: str = "generator") -> keras.Model:
    """A two-hidden-layer MLP ``z -> x`` (``output_activation="sigmoid"`` for images in [0, 1])."""
    size = math.prod(output_shape)
    return keras.Sequential([
        keras.Input((latent_dim,)),
        keras.layers.Dense(hidden, activation="relu"),
        keras.layers.Dense(hidden, activation="relu"),
        keras.layers.Dense(size, activation=output_activation),
        keras.layers.Reshape(tuple(output_shape)),
    ], name=name)


def mlp_discriminator(input_shape: Sequence[int], *, hidden: int = 256, outputs: int = 1,
                      name: str = "discriminator") -> keras.Model:
    """A two-hidden-layer leaky-ReLU MLP ``x -> outputs`` logits/features."""
    layers = [keras.Input(tuple(input_shape)), keras.layers.Flatten(),
              keras.layers.Dense(hidden), keras.layers.LeakyReLU(0.2),
              keras.layers.Dense(hidden), keras.layers.LeakyReLU(0.2),
              keras.layers.Dense(outputs)]
    if outputs == 1:
        layers.append(keras.layers.Reshape(()))
    return keras.Sequential(layers, name=name)


@keras.saving.register_keras_serializable(package="kexue")
class SingleLossGAN(keras.Model):
    """A GAN whose D and G train together in one ``fit`` step on the fused loss.

    Args:
        generator: ``z -> x``.
        discriminator: ``x -> logits`` of shape ``(batch,)``.
        latent_dim: size of ``z ~ N(0, I)``.
        lam: λ, the generator/discriminator learning-rate ratio (> 0).
        loss: see :func:`adversarial_losses`.

    Subclasses change the game by overriding :meth:`split_losses`.
    """

    def __init__(self, generator: keras.Model, discriminator: keras.Model, latent_dim: int,
                 lam: float = 1.0, loss: str = "gan", seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if lam <= 0:
            raise ValueError(f"lam (the G/D learning-rate ratio) must be positive, got {lam}.")
        if loss not in LOSS_KINDS:
            raise ValueError(f"Unknown adversarial loss {loss!r}; choose one of {', '.join(LOSS_KINDS)}.")
        if latent_dim < 1:
            raise ValueError(f"latent_dim must be a positive integer, got {latent_dim}.")
        self.generator, self.discriminator = generator, discriminator
        self.latent_dim, self.lam, self.loss_kind, self.seed = int(latent_dim), float(lam), loss, seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, x):
        return self.discriminator(x)

    def sample_latent(self, n: int) -> Tensor:
        return keras.random.normal((n, self.latent_dim), seed=self.seed_generator)

    def split_losses(self, x_real: Tensor, z: Tensor, d_real: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """``(L_D, L_G)`` already wired so that L_D moves only D and L_G only G."""
        x_fake = self.generator(z)
        x_fake_ng = ops.stop_gradient(x_fake)
        d_real = self.discriminator(x_real) if d_real is None else d_real
        d_fake_ng = self.discriminator(x_fake_ng)
        d_fake_g = generator_view(self.discriminator(x_fake), d_fake_ng)
        d_loss, _ = adversarial_losses(self.loss_kind, d_real, d_fake_ng)
        _, g_loss = adversarial_losses(self.loss_kind, ops.stop_gradient(d_real), d_fake_g)
        return d_loss, g_loss

    def fused_loss(self, x_real: Tensor, z: Tensor, d_real: Tensor | None = None) -> Tensor:
        """``L_D + λ L_G``: the single loss."""
        d_loss, g_loss = self.split_losses(x_real, z, d_real)
        return d_loss + self.lam * g_loss

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        z = self.sample_latent(ops.shape(x)[0])
        return self.fused_loss(x, z, d_real=y_pred)

    def sample(self, n: int, seed: int = 0, batch_size: int = 1024):
        """``n`` generated samples ``G(z)``, ``z ~ N(0, I)`` drawn with NumPy's ``seed``."""
        z = np.random.default_rng(seed).standard_normal((n, self.latent_dim)).astype("float32")
        return self.generator.predict(z, batch_size=batch_size, verbose=0)

    def get_config(self):
        return {**super().get_config(), "latent_dim": self.latent_dim, "lam": self.lam,
                "loss": self.loss_kind, "seed": self.seed,
                "generator": keras.saving.serialize_keras_object(self.generator),
                "discriminator": keras.saving.serialize_keras_object(self.discriminator)}

    @classmethod
    def from_config(cls, config):
        for key in ("generator", "discriminator"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)
