"""Training entry points of the GAN family, IMLE/GLANN and Deep INFOMAX (zoo protocol).

Each ``train_*(data, out_dir, *, epochs=None, seed=0, progress=True) -> dict`` loads
``load_dataset(data)``, trains with ``fit``, and writes into ``out_dir``: ``metrics.json``,
``samples.png`` (a scatter plot for 2-D data), ``interpolations.png`` for image models with a
latent space, ``model.keras`` and, per model, extra figures named in the metrics
(``"figures"``). Importing the module registers the models' Keras classes.

Example:
    >>> import tempfile
    >>> from kexue.generative.gan_trainers import train_gan
    >>> metrics = train_gan("moons", tempfile.mkdtemp(), epochs=1, progress=False)
    >>> metrics["model"]
    'gan'
"""

from __future__ import annotations

import time
from pathlib import Path

import keras
import numpy as np

from kexue.generative.cascade import cascade_discriminator
from kexue.generative.data import load_dataset
from kexue.generative.energy import EnergyGAN
from kexue.generative.gan_vi import VIRegularizedGAN
from kexue.generative.glo import GLANN, GLO, fit_glo
from kexue.generative.imle import LatentSampler, fit_imle
from kexue.generative.infomax import DeepInfomax, knn_label_agreement
from kexue.generative.ogan import OGAN
from kexue.generative.plots import save_image_grid, save_scatter
from kexue.generative.single_loss import SingleLossGAN, mlp_discriminator, mlp_generator
from kexue.generative.zoo import commit_outputs, write_outputs


def _setup(name: str, data: str, out_dir, seed: int):
    keras.utils.set_random_seed(seed)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    x_train, y_train, x_test, y_test = load_dataset(data, seed=seed)
    metrics = {"model": name, "data": data, "seed": seed, "backend": keras.backend.backend()}
    return out, metrics, x_train, y_train, x_test, y_test


def _is_image(x: np.ndarray) -> bool:
    return x.ndim == 4


def _nets(x: np.ndarray, latent_dim: int, outputs: int = 1, hidden: int = 256):
    shape = x.shape[1:]
    activation = "sigmoid" if _is_image(x) else None
    return (mlp_generator(latent_dim, shape, hidden=hidden, output_activation=activation),
            mlp_discriminator(shape, hidden=hidden, outputs=outputs))


def _timed_fit(model, x, epochs: int, progress: bool, metrics: dict, batch_size: int = 64, **kwargs):
    start = time.perf_counter()
    history = model.fit(x, epochs=epochs, batch_size=batch_size, verbose=1 if progress else 0, **kwargs)
    metrics.update(epochs=epochs, train_seconds=round(time.perf_counter() - start, 2),
                   final_train_loss=float(history.history["loss"][-1]))


def _interpolate(decode, latent_dim: int, seed: int, rows: int = 8, steps: int = 10) -> np.ndarray:
    """Spherical-ish paths between random latent pairs, decoded: (rows, steps, ...)."""
    rng = np.random.default_rng(seed + 1)
    a, b = rng.standard_normal((2, rows, latent_dim)).astype("float32")
    t = np.linspace(0.0, 1.0, steps, dtype="float32")[None, :, None]
    z = (np.cos(t * np.pi / 2) * a[:, None] + np.sin(t * np.pi / 2) * b[:, None]).reshape(-1, latent_dim)
    out = decode(z)
    return out.reshape((rows, steps) + out.shape[1:])


def _gan_outputs(out, gan, metrics, x_train, seed, figures=None):
    n = 2000 if not _is_image(x_train) else 100
    samples = gan.sample(n, seed=seed)
    inter = None
    if _is_image(x_train):
        inter = _interpolate(lambda z: gan.generator.predict(z, verbose=0), gan.latent_dim, seed)
    return write_outputs(out, gan, metrics, samples, x_train, inter, figures)


def _latent_size(data: str) -> int:
    return 16 if data in ("digits", "faces") else 2


def _train_single_loss(name, data, out_dir, epochs, seed, progress, make, default_epochs=100):
    """Build ``make(generator, discriminator, latent_dim, x_train)`` from the default MLPs, train
    it with Adam(2e-4, beta_1=0.5); returns ``(out, gan, metrics, x_train)``."""
    out, metrics, x_train, *_ = _setup(name, data, out_dir, seed)
    latent = _latent_size(data)
    generator, discriminator = _nets(x_train, latent)
    gan = make(generator, discriminator, latent, x_train)
    gan.compile(optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5))
    _timed_fit(gan, x_train, epochs or default_epochs, progress, metrics)
    return out, gan, metrics, x_train


def _single_loss_run(name, data, out_dir, epochs, seed, progress, make, **extra_metrics) -> dict:
    out, gan, metrics, x = _train_single_loss(name, data, out_dir, epochs, seed, progress, make)
    metrics.update(extra_metrics)
    return _gan_outputs(out, gan, metrics, x, seed)


def train_gan(data: str, out_dir, *, epochs: int | None = None, seed: int = 0, progress: bool = True) -> dict:
    """A plain (non-saturating) GAN trained with the single-loss trick."""

    def make(g, d, latent, x):
        return SingleLossGAN(generator=g, discriminator=d, latent_dim=latent, seed=seed)

    return _single_loss_run("gan", data, out_dir, epochs, seed, progress, make)


def train_fgan(data: str, out_dir, *, epochs: int | None = None, seed: int = 0, progress: bool = True,
               divergence: str = "js") -> dict:
    """An f-GAN for one divergence of :mod:`kexue.generative.fgan` (default ``js``)."""

    def make(g, d, latent, x):
        return SingleLossGAN(generator=g, discriminator=d, latent_dim=latent, loss=divergence, seed=seed)

    return _single_loss_run("fgan", data, out_dir, epochs, seed, progress, make, divergence=divergence)


def train_cascade_gan(data: str, out_dir, *, epochs: int | None = None, seed: int = 0, progress: bool = True) -> dict:
    """A GAN whose critic is a 3-critic cascading-rejection head."""

    def make(g, d, latent, x):  # the default discriminator is replaced by the cascade
        return SingleLossGAN(generator=g, discriminator=cascade_discriminator(x.shape[1:], critics=3),
                             latent_dim=latent, seed=seed)

    return _single_loss_run("cascade_gan", data, out_dir, epochs, seed, progress, make)


def train_vi_gan(data: str, out_dir, *, epochs: int | None = None, seed: int = 0, progress: bool = True) -> dict:
    """A GAN with the VI regulariser ``λ||G(z) - G_old(z)||²`` (snapshot every 10 steps)."""

    def make(g, d, latent, x):
        return VIRegularizedGAN(generator=g, discriminator=d, latent_dim=latent, vi_weight=1.0,
                                refresh_every=10, seed=seed)

    return _single_loss_run("vi_gan", data, out_dir, epochs, seed, progress, make)


def train_energy_gan(data: str, out_dir, *, epochs: int | None = None, seed: int = 0, progress: bool = True) -> dict:
    """A GAN with the zero-centred gradient penalty; also writes ``samples_mala.png``."""

    def make(g, d, latent, x):
        return EnergyGAN(generator=g, discriminator=d, latent_dim=latent, penalty=10.0, seed=seed)

    out, gan, metrics, x = _train_single_loss("energy_gan", data, out_dir, epochs, seed, progress, make)
    n = 100 if _is_image(x) else 2000
    refined = gan.sample_mcmc(n, n_steps=100, step_size=0.01, seed=seed)
    if refined.ndim == 2:
        mala = {"samples_mala.png": lambda p: save_scatter(refined, p, reference=x)}
    else:
        mala = {"samples_mala.png": lambda p: save_image_grid(refined, p, ncols=10)}
    metrics["figures"] = ["samples.png", "samples_mala.png"]
    return _gan_outputs(out, gan, metrics, x, seed, mala)


def train_ogan(data: str, out_dir, *, epochs: int | None = None, seed: int = 0, progress: bool = True) -> dict:
    """O-GAN on images; also writes ``reconstructions.png`` (rows: x, G(N(E(x))))."""
    out, metrics, x_train, _, x_test, _ = _setup("ogan", data, out_dir, seed)
    if not _is_image(x_train):
        raise ValueError(f"O-GAN needs an image dataset (digits or faces), got {data!r}.")
    latent = 16
    g, d = _nets(x_train, latent, outputs=latent)
    gan = OGAN(generator=g, discriminator=d, latent_dim=latent, seed=seed)
    gan.compile(optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5))
    _timed_fit(gan, x_train, epochs or 100, progress, metrics)
    rec = gan.reconstruct(x_test)
    metrics.update(code_correlation=gan.code_correlation(1000, seed=seed),
                   reconstruction_mse=float(np.mean((rec - x_test) ** 2)),
                   random_sample_mse=float(np.mean((gan.sample(len(x_test), seed=seed) - x_test) ** 2)))
    grid = np.concatenate([x_test[:10], rec[:10], x_test[10:20], rec[10:20]])
    metrics["figures"] = ["samples.png", "interpolations.png", "reconstructions.png"]
    return _gan_outputs(out, gan, metrics, x_train, seed,
                        {"reconstructions.png": lambda p: save_image_grid(grid, p, ncols=10)})


def train_imle(data: str, out_dir, *, epochs: int | None = None, seed: int = 0, progress: bool = True) -> dict:
    """IMLE (``epochs`` = IMLE rounds)."""
    out, metrics, x_train, *_ = _setup("imle", data, out_dir, seed)
    latent = 16 if _is_image(x_train) else 2
    g, _ = _nets(x_train, latent, hidden=128 if _is_image(x_train) else 64)
    start = time.perf_counter()
    rounds = epochs or 30
    distances = fit_imle(g, x_train, latent_dim=latent, rounds=rounds, batch_size=100,
                         learning_rate=3e-3, seed=seed, progress=progress)
    metrics.update(rounds=rounds, train_seconds=round(time.perf_counter() - start, 2),
                   nearest_sample_distance=distances[-1], first_round_distance=distances[0])
    sampler = LatentSampler(generator=g, latent_dim=latent)
    samples = sampler.sample(10 * len(x_train) if not _is_image(x_train) else 100, seed=seed)
    inter = _interpolate(lambda z: g.predict(z, verbose=0), latent, seed) if _is_image(x_train) else None
    return write_outputs(out, sampler, metrics, samples, x_train, inter)


def train_glann(data: str, out_dir, *, epochs: int | None = None, seed: int = 0, progress: bool = True) -> dict:
    """GLO on images (``epochs`` GLO epochs), then the IMLE noise-to-code mapper."""
    out, metrics, x_train, *_ = _setup("glann", data, out_dir, seed)
    if not _is_image(x_train):
        raise ValueError(f"GLANN needs an image dataset (digits or faces), got {data!r}.")
    latent = 16
    glo = GLO(generator=mlp_generator(latent, x_train.shape[1:], hidden=256, output_activation="sigmoid"),
              num_codes=len(x_train), latent_dim=latent)
    start = time.perf_counter()
    losses = fit_glo(glo, x_train, epochs=epochs or 150, batch_size=100, verbose=1 if progress else 0)
    glann = GLANN(glo, noise_dim=latent, hidden=128)
    glann.fit_mapper(rounds=20, seed=seed, batch_size=100, progress=progress)
    sampler = glann.as_sampler()
    metrics.update(epochs=epochs or 150, glo_reconstruction_mse=losses[-1],
                   mean_image_mse=float(np.mean((x_train - x_train.mean(0)) ** 2)),
                   train_seconds=round(time.perf_counter() - start, 2))
    inter = _interpolate(lambda z: sampler.predict(z, verbose=0), latent, seed)
    return write_outputs(out, sampler, metrics, sampler.sample(100, seed=seed), x_train, inter)


def train_infomax(data: str, out_dir, *, epochs: int | None = None, seed: int = 0, progress: bool = True) -> dict:
    """Deep INFOMAX on images; ``samples.png`` shows, per row, a held-out query and the 9 held-out
    images with the nearest codes (retrieval: the model does not generate)."""
    out, metrics, x_train, _, x_test, y_test = _setup("infomax", data, out_dir, seed)
    if not _is_image(x_train):
        raise ValueError(f"Deep INFOMAX needs an image dataset (digits or faces), got {data!r}.")
    model = DeepInfomax(input_shape=x_train.shape[1:], latent_dim=64, channels=32, hidden=256, seed=seed)
    random_codes = model.encode(x_test)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    _timed_fit(model, x_train, epochs or 80, progress, metrics, batch_size=128)
    codes = model.encode(x_test)
    metrics.update(knn_agreement_codes=knn_label_agreement(codes, y_test),
                   knn_agreement_random_encoder=knn_label_agreement(random_codes, y_test),
                   knn_agreement_pixels=knn_label_agreement(x_test, y_test))
    from sklearn.neighbors import NearestNeighbors

    idx = NearestNeighbors(n_neighbors=10).fit(codes).kneighbors(codes[:10], return_distance=False)
    retrieved = x_test[idx.reshape(-1)]
    return commit_outputs(out, model, metrics,
                          {"samples.png": lambda p: save_image_grid(retrieved, p, ncols=10)})
