"""GLO and GLANN: learn a latent code per image, then learn to sample the codes with IMLE.

GLO (Generative Latent Optimization) drops the encoder and the discriminator: every training
image ``i`` owns a free code ``c_i`` (an embedding row, kept on the unit sphere), and the codes
and the generator are fitted jointly to reconstruct the images, ``G(c_i / ||c_i||) ≈ x_i``.
That is a plain supervised ``fit`` from image indices to images. The codes then form a
well-behaved latent space but not a known distribution, so GLANN fits a small mapping
network ``T: N(0, I) -> code`` to them with IMLE (:mod:`kexue.generative.imle`), and samples
are ``G(T(e))``.

Example:
    >>> import numpy as np
    >>> from kexue.generative.glo import GLO
    >>> from kexue.generative.single_loss import mlp_generator
    >>> glo = GLO(generator=mlp_generator(4, (8, 8, 1), hidden=8), num_codes=10, latent_dim=4)
    >>> tuple(glo(np.arange(3)).shape)
    (3, 8, 8, 1)
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from kexue.generative.imle import LatentSampler, fit_imle
from kexue.generative.single_loss import mlp_generator


@keras.saving.register_keras_serializable(package="kexue")
class GLO(keras.Model):
    """Per-image codes (an ``Embedding``) on the unit sphere, decoded by ``generator``.

    Call with integer image indices ``(batch,)``; compile with a reconstruction loss.
    """

    def __init__(self, generator: keras.Model, num_codes: int, latent_dim: int, **kwargs):
        super().__init__(**kwargs)
        if num_codes < 1 or latent_dim < 1:
            raise ValueError(f"num_codes and latent_dim must be positive, got {num_codes} and {latent_dim}.")
        self.generator, self.num_codes, self.latent_dim = generator, int(num_codes), int(latent_dim)
        self.codes = keras.layers.Embedding(num_codes, latent_dim, name="codes",
                                            embeddings_initializer=keras.initializers.RandomNormal(stddev=1.0))
        self.codes.build((None,))

    @staticmethod
    def project(c):
        """Map raw codes onto the unit sphere."""
        return c / ops.sqrt(ops.sum(c * c, axis=-1, keepdims=True) + 1e-12)

    def latent(self, indices):
        return self.project(self.codes(indices))

    def call(self, indices):
        return self.generator(self.latent(indices))

    def all_codes(self) -> np.ndarray:
        """Every image's unit-norm code, shape ``(num_codes, latent_dim)``."""
        return ops.convert_to_numpy(self.project(self.codes.embeddings))

    def get_config(self):
        return {**super().get_config(), "num_codes": self.num_codes, "latent_dim": self.latent_dim,
                "generator": keras.saving.serialize_keras_object(self.generator)}

    @classmethod
    def from_config(cls, config):
        config["generator"] = keras.saving.deserialize_keras_object(config["generator"])
        return cls(**config)


def fit_glo(glo: GLO, images: np.ndarray, *, epochs: int = 200, batch_size: int = 128,
            learning_rate: float = 3e-3, verbose: int = 0) -> list[float]:
    """Fit codes and generator jointly to reconstruct ``images`` (MSE); returns the loss curve."""
    images = np.asarray(images, dtype="float32")
    if len(images) != glo.num_codes:
        raise ValueError(f"GLO has {glo.num_codes} codes but got {len(images)} images; they must match.")
    glo.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="mse")
    history = glo.fit(np.arange(len(images)), images, epochs=epochs, batch_size=batch_size, verbose=verbose)
    return history.history["loss"]


class GLANN:
    """A trained :class:`GLO` plus an IMLE-trained noise-to-code mapper.

    Example:
        >>> import numpy as np
        >>> from kexue.generative.glo import GLANN, GLO
        >>> from kexue.generative.single_loss import mlp_generator
        >>> glo = GLO(generator=mlp_generator(4, (8, 8, 1), hidden=8), num_codes=16, latent_dim=4)
        >>> glann = GLANN(glo, noise_dim=4, hidden=8)
        >>> _ = glann.fit_mapper(rounds=1)
        >>> glann.sample(5).shape
        (5, 8, 8, 1)
    """

    def __init__(self, glo: GLO, noise_dim: int = 16, hidden: int = 128):
        self.glo, self.noise_dim = glo, int(noise_dim)
        self.mapper = mlp_generator(self.noise_dim, (glo.latent_dim,), hidden=hidden, name="code_mapper")

    def fit_mapper(self, *, rounds: int = 30, seed: int = 0, **imle_kwargs) -> list[float]:
        """IMLE from ``N(0, I)`` noise onto the learned codes."""
        return fit_imle(self.mapper, self.glo.all_codes(), latent_dim=self.noise_dim,
                        rounds=rounds, seed=seed, **imle_kwargs)

    def sample_codes(self, n: int, seed: int = 0) -> np.ndarray:
        e = np.random.default_rng(seed).standard_normal((n, self.noise_dim)).astype("float32")
        return ops.convert_to_numpy(GLO.project(ops.convert_to_tensor(self.mapper.predict(e, verbose=0))))

    def sample(self, n: int, seed: int = 0) -> np.ndarray:
        return self.glo.generator.predict(self.sample_codes(n, seed), verbose=0)

    def as_sampler(self) -> LatentSampler:
        """Noise -> mapper -> unit sphere -> generator, as one saveable model."""
        noise = keras.Input((self.noise_dim,))
        codes = keras.layers.UnitNormalization(name="unit_sphere")(self.mapper(noise))
        chain = keras.Model(noise, self.glo.generator(codes), name="glann_chain")
        return LatentSampler(generator=chain, latent_dim=self.noise_dim)
