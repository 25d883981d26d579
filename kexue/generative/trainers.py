"""Training entry points of the VAE and flow models (see :mod:`kexue.generative.zoo`).

Each ``train_*`` function follows the zoo protocol: it loads a dataset, trains with Keras ``fit``
(Keras' progress bar when ``progress``), writes ``metrics.json``, ``samples.png`` (a scatter plot
for 2-D data), ``interpolations.png`` where the model has a latent space and ``model.keras`` into
``out_dir``, and returns the metrics. Importing this module registers the models' Keras classes, which
``kexue gen sample`` relies on to reload ``model.keras``.

Example:
    >>> import tempfile
    >>> from kexue.generative.trainers import train_vae
    >>> metrics = train_vae("digits", tempfile.mkdtemp(), epochs=1, progress=False)
    >>> sorted(metrics)[:2]
    ['data', 'epochs']
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from kexue.generative.cluster_vae import ClusterVAE, cluster_accuracy
from kexue.generative.data import load_dataset
from kexue.generative.flows.actnorm import data_dependent_init
from kexue.generative.flows.baseline import diagonal_gaussian_nll
from kexue.generative.flows.fvae import FVAE
from kexue.generative.flows.glow import FlowModel
from kexue.generative.vae import VAE
from kexue.generative.zoo import write_outputs


def _start(data: str, out_dir, seed: int):
    import keras

    keras.utils.set_random_seed(seed)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    x_train, y_train, x_test, y_test = load_dataset(data, seed=seed)
    return out, x_train, y_train, x_test, y_test


def _fit(model, x, epochs: int, progress: bool, learning_rate: float = 1e-3,
         batch_size: int = 64) -> dict:
    import keras

    model.compile(optimizer=keras.optimizers.Adam(learning_rate))
    start = time.perf_counter()
    history = model.fit(x, batch_size=batch_size, epochs=epochs, verbose=1 if progress else 0)
    seconds = time.perf_counter() - start
    return {"final_train_loss": float(history.history["loss"][-1]),
            "train_seconds": round(seconds, 2)}


def _mean_output(model, x) -> float:
    return float(np.mean(model.predict(x, batch_size=256, verbose=0)))


def _latent_model_outputs(model, x_test):
    samples = model.sample(100, seed=0)
    if len(model.data_shape) == 1:
        return samples, None
    return samples, model.interpolate(x_test[:8], x_test[8:16], steps=10)


def _train_elbo_model(name: str, make, data: str, out_dir, epochs: int | None, seed: int,
                      progress: bool) -> dict:
    """VAE-like models: ``make(input_shape, latent_dim, likelihood)`` builds the model (Bernoulli
    decoder and 8-D latent on images, Gaussian and 2-D on points); metric: held-out -ELBO."""
    out, x_train, _, x_test, _ = _start(data, out_dir, seed)
    image = x_train.ndim == 4
    model = make(x_train.shape[1:], 8 if image else 2, "bernoulli" if image else "gaussian")
    epochs = epochs or 50
    metrics = {"model": name, "data": data, "epochs": epochs, "seed": seed,
               **_fit(model, x_train, epochs, progress),
               "test_negative_elbo_nats": _mean_output(model, x_test)}
    samples, interpolations = _latent_model_outputs(model, x_test)
    return write_outputs(out, model, metrics, samples, x_train, interpolations)


def train_vae(data: str, out_dir, *, epochs: int | None = None, seed: int = 0,
              progress: bool = True) -> dict:
    """VAE (Bernoulli decoder on images, Gaussian on 2-D points); metric: held-out -ELBO."""

    def make(input_shape, latent_dim, likelihood):
        return VAE(input_shape=input_shape, latent_dim=latent_dim, likelihood=likelihood,
                   seed=seed)

    return _train_elbo_model("vae", make, data, out_dir, epochs, seed, progress)


def train_fvae(data: str, out_dir, *, epochs: int | None = None, seed: int = 0,
               progress: bool = True) -> dict:
    """f-VAE (flow posterior, 4 steps); metric: held-out -ELBO."""

    def make(input_shape, latent_dim, likelihood):
        return FVAE(input_shape=input_shape, latent_dim=latent_dim, flow_steps=4,
                    likelihood=likelihood, seed=seed)

    return _train_elbo_model("fvae", make, data, out_dir, epochs, seed, progress)


def train_cluster_vae(data: str, out_dir, *, epochs: int | None = None, seed: int = 0,
                      progress: bool = True) -> dict:
    """Clustering VAE: warm-up (a third of the epochs), cluster means started from k-means on the
    pixels (mean code per k-means cluster), then the full loss. The reconstruction term is
    weighted by ``recon_weight=2.5``, the post's ``lamb``.

    Metrics: cluster accuracy (majority mapping learned on the training rows) on both splits.
    Samples: one row per cluster (conditional generation).
    """

    out, x_train, y_train, x_test, y_test = _start(data, out_dir, seed)
    if x_train.ndim != 4:
        raise ValueError(f"cluster_vae needs an image dataset (digits or faces); got {data!r}.")
    n_clusters = len(np.unique(y_train))
    model = ClusterVAE(input_shape=x_train.shape[1:], n_clusters=n_clusters, latent_dim=10,
                       hidden=512, recon_weight=2.5, seed=seed)
    epochs = epochs or 150
    warmup = max(1, epochs // 3)
    fit_info = _fit(model, x_train, warmup, progress)
    model.init_clusters(x_train, seed=seed, on="pixels")
    fit_info = _fit(model, x_train, epochs - warmup or 1, progress)
    train_clusters = model.predict_clusters(x_train)
    test_clusters = model.predict_clusters(x_test)
    metrics = {"model": "cluster_vae", "data": data, "epochs": epochs, "seed": seed, **fit_info,
               "n_clusters": n_clusters,
               "train_cluster_accuracy": cluster_accuracy(train_clusters, y_train),
               "test_cluster_accuracy": cluster_accuracy(test_clusters, y_test,
                                                         mapping_from=(train_clusters, y_train))}
    samples = np.concatenate([model.generate(c, n=10, seed=c) for c in range(n_clusters)])
    _, interpolations = _latent_model_outputs(model, x_test)
    return write_outputs(out, model, metrics, samples, x_train, interpolations)


FLOW_SETTINGS = {  # architecture -> (constructor arguments, default epochs)
    "nice": ({"steps": 4, "hidden": 128}, 30),
    "realnvp": ({"steps": 6, "hidden": 128}, 30),
    "glow": ({"levels": 2, "steps": 4, "hidden": 64}, 30),
    "iresnet": ({"steps": 4, "hidden": 128}, 20),
}


def train_flow(architecture: str, data: str, out_dir, *, epochs: int | None = None,
               seed: int = 0, progress: bool = True) -> dict:
    """NICE / RealNVP / Glow / i-ResNet by maximum likelihood; metric: held-out bits/dim (images)
    or nats/dim (2-D points), next to a diagonal Gaussian's."""

    out, x_train, _, x_test, _ = _start(data, out_dir, seed)
    image = x_train.ndim == 4
    if architecture == "glow" and not image:
        raise ValueError(f"glow is multi-scale and needs images; for the 2-D set {data!r} train "
                         "realnvp, nice or iresnet instead.")
    settings, default_epochs = FLOW_SETTINGS[architecture]
    n_bins = 17 if data == "digits" else (256 if image else None)
    model = FlowModel(architecture, input_shape=x_train.shape[1:], n_bins=n_bins, seed=seed,
                      **settings)
    data_dependent_init(model, x_train[:512])
    epochs = epochs or default_epochs
    unit = "bits_per_dim" if n_bins else "nats_per_dim"
    metrics = {"model": architecture, "data": data, "epochs": epochs, "seed": seed,
               **_fit(model, x_train, epochs, progress),
               f"test_{unit}": _mean_output(model, x_test),
               f"diagonal_gaussian_test_{unit}": diagonal_gaussian_nll(x_train, x_test, n_bins,
                                                                        seed)}
    samples = model.sample(100 if image else 2000, temperature=0.8 if image else 1.0, seed=seed)
    return write_outputs(out, model, metrics, samples, x_train)


def _flow_trainer(architecture: str):
    def train(data: str, out_dir, *, epochs: int | None = None, seed: int = 0,
              progress: bool = True) -> dict:
        return train_flow(architecture, data, out_dir, epochs=epochs, seed=seed, progress=progress)

    train.__doc__ = f"Train the {architecture} flow (see :func:`train_flow`)."
    train.__name__ = f"train_{architecture}"
    return train


train_nice = _flow_trainer("nice")
train_realnvp = _flow_trainer("realnvp")
train_glow = _flow_trainer("glow")
train_iresnet = _flow_trainer("iresnet")
