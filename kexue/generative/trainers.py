"""Training entry points of the VAE and flow models (see :mod:`kexue.generative.zoo`).

Each ``train_*(data, out_dir, *, epochs, seed, progress, resume, image_size)`` trains on a
built-in dataset or the user's own data through :mod:`kexue.generative.training` (per-epoch
checkpoints, ``resume``), and writes ``metrics.json``, ``samples.png`` (a scatter plot for 2-D
data), ``interpolations.png`` where the model has a latent space and ``model.keras`` into
``out_dir``, as one set; it returns the metrics. Importing this module registers the models'
Keras classes, which ``kexue gen sample`` relies on to reload ``model.keras``.

Example:
    >>> import tempfile
    >>> from kexue.generative.trainers import train_vae
    >>> metrics = train_vae("digits", tempfile.mkdtemp(), epochs=1, progress=False)
    >>> sorted(metrics)[:3]
    ['backend', 'data', 'epochs']
"""

from __future__ import annotations

import keras
import numpy as np

from kexue.generative.cluster_vae import ClusterVAE, cluster_accuracy
from kexue.generative.flows.actnorm import data_dependent_init
from kexue.generative.flows.baseline import diagonal_gaussian_nll
from kexue.generative.flows.fvae import FVAE
from kexue.generative.flows.glow import FlowModel
from kexue.generative.training import ZooRun, entry_point, needs_images
from kexue.generative.vae import VAE


def _adam(learning_rate: float = 1e-3):
    return lambda: keras.optimizers.Adam(learning_rate)


def _mean_output(model, x) -> float:
    return float(np.mean(model.predict(x, batch_size=256, verbose=0)))


def _latent_model_outputs(model, x_test):
    """100 samples and, for images, up to 8 interpolations between held-out pairs."""
    samples = model.sample(100, seed=0)
    rows = min(8, len(x_test) // 2)
    if len(model.data_shape) == 1 or not rows:
        return samples, None
    return samples, model.interpolate(x_test[:rows], x_test[rows:2 * rows], steps=10)


def _elbo_model(make):
    """VAE-like models: ``make(run, input_shape, latent_dim, likelihood)`` builds the model
    (Bernoulli decoder and 8-D latent on images, Gaussian and 2-D on points); metric:
    held-out -ELBO."""

    def body(run: ZooRun, epochs: int) -> dict:
        data = run.data
        model = make(run, data.x_train.shape[1:], 8 if data.is_image else 2,
                     "bernoulli" if data.is_image else "gaussian")
        run.fit(model, data.x_train, epochs, optimizer=_adam())
        run.metrics["test_negative_elbo_nats"] = _mean_output(model, data.x_test)
        return run.finish(model, *_latent_model_outputs(model, data.x_test))

    return body


def _vae(run, input_shape, latent_dim, likelihood):
    """VAE (Bernoulli decoder on images, Gaussian on 2-D points); metric: held-out -ELBO."""
    return VAE(input_shape=input_shape, latent_dim=latent_dim, likelihood=likelihood, seed=run.seed)


def _fvae(run, input_shape, latent_dim, likelihood):
    """f-VAE (flow posterior, 4 steps); metric: held-out -ELBO."""
    return FVAE(input_shape=input_shape, latent_dim=latent_dim, flow_steps=4,
                likelihood=likelihood, seed=run.seed)


def _cluster_vae(run: ZooRun, epochs: int) -> dict:
    """Clustering VAE: warm-up (a third of the epochs), cluster means started from k-means on the
    pixels (mean code per k-means cluster), then the full loss. The reconstruction term is
    weighted by ``recon_weight=2.5``, the post's ``lamb``. Clusters: one per label class, or 10
    without labels.

    Metrics with labels: cluster accuracy (majority mapping learned on the training rows) on
    both splits. Samples: one row per cluster (conditional generation).
    """
    needs_images(run)
    data = run.data
    n_clusters = data.n_classes or 10
    model = ClusterVAE(input_shape=data.x_train.shape[1:], n_clusters=n_clusters, latent_dim=10,
                       hidden=512, recon_weight=2.5, seed=run.seed)
    warmup = max(1, epochs // 3)
    run.fit(model, data.x_train, warmup, optimizer=_adam())
    run.fit(model, data.x_train, epochs - warmup or 1, optimizer=_adam(),
            before=lambda: model.init_clusters(data.x_train, seed=run.seed, on="pixels"))
    run.metrics.update(epochs=epochs, n_clusters=n_clusters)
    if data.y_train is not None:
        train_clusters = model.predict_clusters(data.x_train)
        test_clusters = model.predict_clusters(data.x_test)
        run.metrics.update(
            train_cluster_accuracy=cluster_accuracy(train_clusters, data.y_train),
            test_cluster_accuracy=cluster_accuracy(test_clusters, data.y_test,
                                                   mapping_from=(train_clusters, data.y_train)))
    samples = np.concatenate([model.generate(c, n=10, seed=c) for c in range(n_clusters)])
    _, interpolations = _latent_model_outputs(model, data.x_test)
    return run.finish(model, samples, interpolations)


FLOW_SETTINGS = {  # architecture -> (constructor arguments, default epochs)
    "nice": ({"steps": 4, "hidden": 128}, 30),
    "realnvp": ({"steps": 6, "hidden": 128}, 30),
    "glow": ({"levels": 2, "steps": 4, "hidden": 64}, 30),
    "iresnet": ({"steps": 4, "hidden": 128}, 20),
}


def _flow(architecture: str):
    def body(run: ZooRun, epochs: int) -> dict:
        data = run.data
        if architecture == "glow" and not data.is_image:
            raise ValueError(f"glow is multi-scale and needs images; for the 2-D set "
                             f"{data.name!r} train realnvp, nice or iresnet instead.")
        settings, _ = FLOW_SETTINGS[architecture]
        n_bins = data.levels if data.is_image else None
        model = FlowModel(architecture, input_shape=data.x_train.shape[1:], n_bins=n_bins,
                          seed=run.seed, **settings)
        data_dependent_init(model, data.x_train[:512])
        run.fit(model, data.x_train, epochs, optimizer=_adam())
        unit = "bits_per_dim" if n_bins else "nats_per_dim"
        run.metrics.update({
            f"test_{unit}": _mean_output(model, data.x_test),
            f"diagonal_gaussian_test_{unit}": diagonal_gaussian_nll(data.x_train, data.x_test,
                                                                    n_bins, run.seed)})
        samples = model.sample(100 if data.is_image else 2000,
                               temperature=0.8 if data.is_image else 1.0, seed=run.seed)
        return run.finish(model, samples)

    body.__doc__ = (f"The {architecture} flow by maximum likelihood; metric: held-out bits/dim "
                    "(images, dequantised to the data's grey levels) or nats/dim (2-D points), "
                    "next to a diagonal Gaussian's.")
    return body


train_vae = entry_point("vae", _elbo_model(_vae), 50)
train_fvae = entry_point("fvae", _elbo_model(_fvae), 50)
train_vae.__doc__, train_fvae.__doc__ = _vae.__doc__, _fvae.__doc__
train_cluster_vae = entry_point("cluster_vae", _cluster_vae, 150)
train_nice, train_realnvp, train_glow, train_iresnet = (
    entry_point(name, _flow(name), FLOW_SETTINGS[name][1]) for name in FLOW_SETTINGS)
