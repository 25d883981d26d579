"""Training entry points of the GAN family, IMLE/GLANN and Deep INFOMAX (zoo protocol).

Each ``train_*(data, out_dir, *, epochs, seed, progress, resume, image_size)`` trains on a
built-in dataset or the user's own data through :mod:`kexue.generative.training` and writes
into ``out_dir``, as one set: ``metrics.json``, ``samples.png`` (a scatter plot for 2-D data),
``interpolations.png`` for image models with a latent space, ``model.keras`` and, per model,
extra figures named in the metrics (``"figures"``). Models trained with Keras ``fit`` keep
per-epoch checkpoints (``resume``); IMLE and GLANN's own loops start over. Importing the
module registers the models' Keras classes.

Example:
    >>> import tempfile
    >>> from kexue.generative.gan_trainers import train_gan
    >>> metrics = train_gan("moons", tempfile.mkdtemp(), epochs=1, progress=False)
    >>> metrics["model"]
    'gan'
"""

from __future__ import annotations

import time

import keras
import numpy as np

from kexue.generative.cascade import cascade_discriminator
from kexue.generative.energy import EnergyGAN
from kexue.generative.gan_vi import VIRegularizedGAN
from kexue.generative.glo import GLANN, GLO, fit_glo
from kexue.generative.imle import LatentSampler, fit_imle
from kexue.generative.infomax import DeepInfomax, knn_label_agreement
from kexue.generative.ogan import OGAN
from kexue.generative.plots import save_image_grid, save_scatter
from kexue.generative.single_loss import SingleLossGAN, mlp_discriminator, mlp_generator
from kexue.generative.training import ZooRun, entry_point, needs_images


def _gan_optimizer():
    return keras.optimizers.Adam(2e-4, beta_1=0.5)


def _nets(x: np.ndarray, latent_dim: int, outputs: int = 1, hidden: int = 256):
    shape = x.shape[1:]
    activation = "sigmoid" if x.ndim == 4 else None
    return (mlp_generator(latent_dim, shape, hidden=hidden, output_activation=activation),
            mlp_discriminator(shape, hidden=hidden, outputs=outputs))


def _interpolate(decode, latent_dim: int, seed: int, rows: int = 8, steps: int = 10) -> np.ndarray:
    """Spherical-ish paths between random latent pairs, decoded: (rows, steps, ...)."""
    rng = np.random.default_rng(seed + 1)
    a, b = rng.standard_normal((2, rows, latent_dim)).astype("float32")
    t = np.linspace(0.0, 1.0, steps, dtype="float32")[None, :, None]
    z = (np.cos(t * np.pi / 2) * a[:, None] + np.sin(t * np.pi / 2) * b[:, None]).reshape(-1, latent_dim)
    out = decode(z)
    return out.reshape((rows, steps) + out.shape[1:])


def _gan_outputs(run: ZooRun, gan, figures=None) -> dict:
    image = run.data.is_image
    samples = gan.sample(100 if image else 2000, seed=run.seed)
    inter = (_interpolate(lambda z: gan.generator.predict(z, verbose=0), gan.latent_dim, run.seed)
             if image else None)
    return run.finish(gan, samples, inter, figures)


def _latent_size(run: ZooRun) -> int:
    return 16 if run.data.is_image else 2


def _single_loss(make, **extra_metrics):
    """A GAN built by ``make(run, generator, discriminator, latent_dim)`` from the default MLPs,
    trained with Adam(2e-4, beta_1=0.5)."""

    def body(run: ZooRun, epochs: int) -> dict:
        latent = _latent_size(run)
        gan = make(run, *_nets(run.data.x_train, latent), latent)
        run.fit(gan, run.data.x_train, epochs, optimizer=_gan_optimizer)
        run.metrics.update(extra_metrics)
        return _gan_outputs(run, gan)

    body.__doc__ = make.__doc__
    return body


def _gan(run, g, d, latent):
    """A plain (non-saturating) GAN trained with the single-loss trick."""
    return SingleLossGAN(generator=g, discriminator=d, latent_dim=latent, seed=run.seed)


def _fgan(run, g, d, latent):
    """An f-GAN with the Jensen-Shannon divergence of :mod:`kexue.generative.fgan`."""
    return SingleLossGAN(generator=g, discriminator=d, latent_dim=latent, loss="js", seed=run.seed)


def _cascade_gan(run, g, d, latent):
    """A GAN whose critic is a 3-critic cascading-rejection head."""
    return SingleLossGAN(generator=g, discriminator=cascade_discriminator(run.data.x_train.shape[1:], critics=3),
                         latent_dim=latent, seed=run.seed)


def _vi_gan(run, g, d, latent):
    """A GAN with the VI regulariser ``λ||G(z) - G_old(z)||²`` (snapshot every 10 steps)."""
    return VIRegularizedGAN(generator=g, discriminator=d, latent_dim=latent, vi_weight=1.0,
                            refresh_every=10, seed=run.seed)


def _energy_gan(run: ZooRun, epochs: int) -> dict:
    """A GAN with the zero-centred gradient penalty; also writes ``samples_mala.png``."""
    latent = _latent_size(run)
    g, d = _nets(run.data.x_train, latent)
    gan = EnergyGAN(generator=g, discriminator=d, latent_dim=latent, penalty=10.0, seed=run.seed)
    run.fit(gan, run.data.x_train, epochs, optimizer=_gan_optimizer)
    x = run.data.x_train
    refined = gan.sample_mcmc(100 if run.data.is_image else 2000, n_steps=100, step_size=0.01,
                              seed=run.seed)
    if refined.ndim == 2:
        mala = {"samples_mala.png": lambda p: save_scatter(refined, p, reference=x)}
    else:
        mala = {"samples_mala.png": lambda p: save_image_grid(refined, p, ncols=10)}
    run.metrics["figures"] = ["samples.png", "samples_mala.png"]
    return _gan_outputs(run, gan, mala)


def _ogan(run: ZooRun, epochs: int) -> dict:
    """O-GAN on images; also writes ``reconstructions.png`` (rows: x, G(N(E(x))))."""
    needs_images(run)
    x_train, x_test, latent = run.data.x_train, run.data.x_test, 16
    g, d = _nets(x_train, latent, outputs=latent)
    gan = OGAN(generator=g, discriminator=d, latent_dim=latent, seed=run.seed)
    run.fit(gan, x_train, epochs, optimizer=_gan_optimizer)
    rec = gan.reconstruct(x_test)
    run.metrics.update(
        code_correlation=gan.code_correlation(1000, seed=run.seed),
        reconstruction_mse=float(np.mean((rec - x_test) ** 2)),
        random_sample_mse=float(np.mean((gan.sample(len(x_test), seed=run.seed) - x_test) ** 2)),
        figures=["samples.png", "interpolations.png", "reconstructions.png"])
    grid = np.concatenate([x_test[:10], rec[:10], x_test[10:20], rec[10:20]])
    return _gan_outputs(run, gan, {"reconstructions.png": lambda p: save_image_grid(grid, p, ncols=10)})


def _imle(run: ZooRun, rounds: int) -> dict:
    """IMLE (``epochs`` = IMLE rounds; no checkpoints: a resumed run starts over)."""
    x, image = run.data.x_train, run.data.is_image
    latent = 16 if image else 2
    g, _ = _nets(x, latent, hidden=128 if image else 64)
    start = time.perf_counter()
    distances = fit_imle(g, x, latent_dim=latent, rounds=rounds, batch_size=100,
                         learning_rate=3e-3, seed=run.seed, progress=run.progress)
    run.metrics.update(rounds=rounds, train_seconds=round(time.perf_counter() - start, 2),
                       nearest_sample_distance=distances[-1], first_round_distance=distances[0])
    sampler = LatentSampler(generator=g, latent_dim=latent)
    samples = sampler.sample(100 if image else 10 * len(x), seed=run.seed)
    inter = _interpolate(lambda z: g.predict(z, verbose=0), latent, run.seed) if image else None
    return run.finish(sampler, samples, inter)


def _glann(run: ZooRun, epochs: int) -> dict:
    """GLO on images (``epochs`` GLO epochs), then the IMLE noise-to-code mapper (no
    checkpoints: a resumed run starts over)."""
    needs_images(run)
    x, latent = run.data.x_train, 16
    glo = GLO(generator=mlp_generator(latent, x.shape[1:], hidden=256, output_activation="sigmoid"),
              num_codes=len(x), latent_dim=latent)
    start = time.perf_counter()
    losses = fit_glo(glo, x, epochs=epochs, batch_size=100, verbose=1 if run.progress else 0)
    glann = GLANN(glo, noise_dim=latent, hidden=128)
    glann.fit_mapper(rounds=20, seed=run.seed, batch_size=100, progress=run.progress)
    sampler = glann.as_sampler()
    run.metrics.update(epochs=epochs, glo_reconstruction_mse=losses[-1],
                       mean_image_mse=float(np.mean((x - x.mean(0)) ** 2)),
                       train_seconds=round(time.perf_counter() - start, 2))
    inter = _interpolate(lambda z: sampler.predict(z, verbose=0), latent, run.seed)
    return run.finish(sampler, sampler.sample(100, seed=run.seed), inter)


def _infomax(run: ZooRun, epochs: int) -> dict:
    """Deep INFOMAX on images; ``samples.png`` shows, per row, a held-out query and the 9
    held-out images with the nearest codes (retrieval: the model does not generate). With
    labels, k-NN label agreement of the codes, of a random encoder and of the pixels."""
    needs_images(run)
    data = run.data
    model = DeepInfomax(input_shape=data.x_train.shape[1:], latent_dim=64, channels=32,
                        hidden=256, seed=run.seed)
    random_codes = model.encode(data.x_test)
    run.fit(model, data.x_train, epochs, optimizer=lambda: keras.optimizers.Adam(1e-3),
            batch_size=128)
    codes = model.encode(data.x_test)
    if data.y_test is not None:
        run.metrics.update(knn_agreement_codes=knn_label_agreement(codes, data.y_test),
                           knn_agreement_random_encoder=knn_label_agreement(random_codes, data.y_test),
                           knn_agreement_pixels=knn_label_agreement(data.x_test, data.y_test))
    from sklearn.neighbors import NearestNeighbors

    idx = NearestNeighbors(n_neighbors=10).fit(codes).kneighbors(codes[:10], return_distance=False)
    retrieved = data.x_test[idx.reshape(-1)]
    return run.finish(model, figures={"samples.png": lambda p: save_image_grid(retrieved, p, ncols=10)})


train_gan = entry_point("gan", _single_loss(_gan), 100)
train_fgan = entry_point("fgan", _single_loss(_fgan, divergence="js"), 100)
train_cascade_gan = entry_point("cascade_gan", _single_loss(_cascade_gan), 100)
train_vi_gan = entry_point("vi_gan", _single_loss(_vi_gan), 100)
train_energy_gan = entry_point("energy_gan", _energy_gan, 100)
train_ogan = entry_point("ogan", _ogan, 100)
train_imle = entry_point("imle", _imle, 30)
train_glann = entry_point("glann", _glann, 150)
train_infomax = entry_point("infomax", _infomax, 80)
