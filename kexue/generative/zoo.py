"""The registry behind ``kexue gen train MODEL``: model name -> ``"module:function"``.

Every entry point has the signature::

    def train(data: str, out_dir: pathlib.Path, *, epochs: int | None = None,
              seed: int = 0, progress: bool = True) -> dict:

It trains on ``kexue.generative.data.load_dataset(data)``, writes into ``out_dir``
``metrics.json`` (the returned dict), ``samples.png`` (a sample grid),
``interpolations.png`` where the model has a latent space, and the saved model
(``model.keras`` or ``*.weights.h5``), and returns the metrics.
Entries are imported lazily, so registering a model costs nothing at start-up.

Example:
    >>> from kexue.generative.zoo import MODELS, get_trainer
    >>> get_trainer("vae").__name__, "glow" in MODELS
    ('train_vae', True)
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from pathlib import Path

# One line per model; add yours in alphabetical order.
MODELS: dict[str, str] = {
    "cascade_gan": "kexue.generative.gan_trainers:train_cascade_gan",
    "cluster_vae": "kexue.generative.trainers:train_cluster_vae",
    "energy_gan": "kexue.generative.gan_trainers:train_energy_gan",
    "fgan": "kexue.generative.gan_trainers:train_fgan",
    "fvae": "kexue.generative.trainers:train_fvae",
    "gan": "kexue.generative.gan_trainers:train_gan",
    "glann": "kexue.generative.gan_trainers:train_glann",
    "glow": "kexue.generative.trainers:train_glow",
    "imle": "kexue.generative.gan_trainers:train_imle",
    "infomax": "kexue.generative.gan_trainers:train_infomax",
    "iresnet": "kexue.generative.trainers:train_iresnet",
    "nice": "kexue.generative.trainers:train_nice",
    "ogan": "kexue.generative.gan_trainers:train_ogan",
    "realnvp": "kexue.generative.trainers:train_realnvp",
    "vae": "kexue.generative.trainers:train_vae",
    "vi_gan": "kexue.generative.gan_trainers:train_vi_gan",
}


def get_trainer(name: str) -> Callable[..., dict]:
    """Resolve a registered model name to its ``train`` function."""
    if name not in MODELS:
        raise ValueError(
            f"Unknown model {name!r}; available: {', '.join(sorted(MODELS)) or 'none'}."
        )
    module_name, function_name = MODELS[name].split(":")
    return getattr(importlib.import_module(module_name), function_name)


def write_metrics(out_dir: Path, metrics: dict) -> dict:
    """Write ``metrics.json`` (keys sorted) into ``out_dir``; returns the sorted metrics."""
    metrics = {key: metrics[key] for key in sorted(metrics)}
    (Path(out_dir) / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    return metrics


def write_outputs(out_dir: Path, model, metrics: dict, samples, x_reference,
                  interpolations=None) -> dict:
    """The end of every entry point: ``samples.png`` (a grid of the first 100 images, or a
    scatter plot over ``x_reference`` for 2-D points), ``interpolations.png`` when given,
    ``model.keras`` and ``metrics.json``; returns the sorted metrics."""
    from kexue.generative.plots import (
        save_image_grid,
        save_interpolations,
        save_scatter,
    )

    out_dir = Path(out_dir)
    if samples.ndim == 2:
        save_scatter(samples, out_dir / "samples.png", reference=x_reference)
    else:
        save_image_grid(samples[:100], out_dir / "samples.png", ncols=10)
    if interpolations is not None:
        save_interpolations(interpolations, out_dir / "interpolations.png")
    model.save(out_dir / "model.keras")
    return write_metrics(out_dir, metrics)
