"""The registry behind ``kexue gen train MODEL``: model name -> ``"module:function"``.

Every entry point (made by :func:`kexue.generative.training.entry_point`) has the signature::

    def train(data: str, out_dir: pathlib.Path, *, epochs: int | None = None, seed: int = 0,
              progress: bool = True, resume: bool = False,
              image_size: tuple[int, int] | None = None) -> dict:

It trains on ``data`` (a built-in name or the user's file or folder,
:func:`kexue.generative.user_data.load_data`), writes into ``out_dir`` ``metrics.json`` (the
returned dict), ``samples.png`` (a sample grid), ``interpolations.png`` where the model has a
latent space, and ``model.keras`` as one set, and returns the metrics.
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


def commit_outputs(out_dir: Path, model, metrics: dict, figures: dict) -> dict:
    """Replace ``model.keras``, ``metrics.json`` (keys sorted) and the ``figures`` (file name ->
    function writing that PNG at the path it is given) in ``out_dir`` together, with
    :func:`kexue.files.commit_files`: a kill leaves the previous run's outputs or these, never a
    mix. Returns the sorted metrics."""
    from kexue.files import commit_files

    metrics = {key: metrics[key] for key in sorted(metrics)}
    text = json.dumps(metrics, indent=2) + "\n"
    writers = {**figures, "model.keras": model.save,
               "metrics.json": lambda path: Path(path).write_text(text, encoding="utf-8")}
    commit_files(out_dir, writers)
    return metrics


def write_outputs(out_dir: Path, model, metrics: dict, samples, x_reference,
                  interpolations=None, figures: dict | None = None) -> dict:
    """The end of every entry point: ``samples.png`` (a grid of the first 100 images, or a
    scatter plot over ``x_reference`` for 2-D points), ``interpolations.png`` when given, the
    extra ``figures`` (name -> writer), ``model.keras`` and ``metrics.json``, committed together
    (:func:`commit_outputs`); returns the sorted metrics."""
    from kexue.generative.plots import (
        save_image_grid,
        save_interpolations,
        save_scatter,
    )

    if samples.ndim == 2:
        pictures = {"samples.png": lambda p: save_scatter(samples, p, reference=x_reference)}
    else:
        pictures = {"samples.png": lambda p: save_image_grid(samples[:100], p, ncols=10)}
    if interpolations is not None:
        pictures["interpolations.png"] = lambda p: save_interpolations(interpolations, p)
    return commit_outputs(out_dir, model, metrics, {**pictures, **(figures or {})})
