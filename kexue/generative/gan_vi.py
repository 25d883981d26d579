"""The variational-inference view of GANs: a generator that moves slowly.

Written as variational inference, a GAN's generator step minimises the adversarial loss
*plus* a divergence between the new generator distribution and the previous one. For a
deterministic generator the extra term becomes a penalty on how far each sample moves,

    L_G = L_adv(G) + λ E_z ||G(z) - G_old(z)||²,

where ``G_old`` is a frozen copy of the generator from a little earlier. The penalty pulls
against the last update (a damping of the generator's oscillation against the critic); at
``G = G_old`` its value and gradient vanish, so it never biases the fixed point.

:class:`VIRegularizedGAN` adds the term to a single-loss GAN; the snapshot ``G_old`` is kept
as non-trainable variables and refreshed every ``refresh_every`` steps by
:class:`RefreshSnapshot` (pass it to ``fit``'s callbacks; :meth:`VIRegularizedGAN.fit` does).

Example:
    >>> import numpy as np
    >>> from kexue.generative.gan_vi import vi_regularizer
    >>> float(vi_regularizer(np.ones((2, 3), "float32"), np.zeros((2, 3), "float32")))  # mean_i ||Δ_i||²
    3.0
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from kexue.backend import sync_training_state
from kexue.generative.single_loss import SingleLossGAN

Tensor = Any


def vi_regularizer(x_new: Tensor, x_old: Tensor) -> Tensor:
    """``mean_i ||x_new_i - x_old_i||²`` over the batch (sum over the other axes)."""
    d = ops.convert_to_tensor(x_new) - ops.stop_gradient(ops.convert_to_tensor(x_old))
    return ops.mean(ops.sum(ops.reshape(d * d, (ops.shape(d)[0], -1)), axis=1))


class RefreshSnapshot(keras.callbacks.Callback):
    """Copy the generator into the frozen snapshot every ``every`` training steps."""

    def __init__(self, every: int = 1):
        super().__init__()
        if every < 1:
            raise ValueError(f"every must be >= 1, got {every}.")
        self.every, self._count = int(every), 0

    def on_train_batch_end(self, batch, logs=None):
        self._count += 1
        if self._count % self.every == 0:
            sync_training_state(self.model)
            self.model.refresh_snapshot()


@keras.saving.register_keras_serializable(package="kexue")
class VIRegularizedGAN(SingleLossGAN):
    """Single-loss GAN with the generator penalty ``vi_weight · E||G(z) - G_old(z)||²``.

    Example:
        >>> import numpy as np
        >>> from kexue.generative.gan_vi import VIRegularizedGAN
        >>> from kexue.generative.single_loss import mlp_generator, mlp_discriminator
        >>> gan = VIRegularizedGAN(generator=mlp_generator(2, (2,), hidden=8),
        ...                        discriminator=mlp_discriminator((2,), hidden=8), latent_dim=2)
        >>> gan.compile(optimizer="adam")
        >>> _ = gan.fit(np.zeros((32, 2), "float32"), epochs=1, batch_size=16, verbose=0)
    """

    def __init__(self, *args, vi_weight: float = 1.0, refresh_every: int = 1, **kwargs):
        super().__init__(*args, **kwargs)
        if vi_weight < 0:
            raise ValueError(f"vi_weight must be non-negative, got {vi_weight}.")
        self.vi_weight, self.refresh_every = float(vi_weight), int(refresh_every)
        self.generator_old = keras.models.clone_model(self.generator)
        self.generator_old.trainable = False
        self.refresh_snapshot()

    def refresh_snapshot(self) -> None:
        """``G_old ← G``."""
        for old, new in zip(self.generator_old.weights, self.generator.weights):
            old.assign(ops.copy(new.value))  # a copy: JAX must not see one buffer twice

    def split_losses(self, x_real, z, d_real=None):
        d_loss, g_loss = super().split_losses(x_real, z, d_real)
        if self.vi_weight:
            g_loss = g_loss + self.vi_weight * vi_regularizer(self.generator(z), self.generator_old(z))
        return d_loss, g_loss

    def fit(self, *args, callbacks=None, **kwargs):
        callbacks = list(callbacks or [])
        if not any(isinstance(c, RefreshSnapshot) for c in callbacks):
            callbacks.append(RefreshSnapshot(self.refresh_every))
        return super().fit(*args, callbacks=callbacks, **kwargs)

    def get_config(self):
        return {**super().get_config(), "vi_weight": self.vi_weight, "refresh_every": self.refresh_every}
