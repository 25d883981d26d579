"""The registry behind ``kexue gen train MODEL``: model name -> ``"module:function"``.

Every entry point has the signature::

    def train(data: str, out_dir: pathlib.Path, *, epochs: int | None = None,
              seed: int = 0, progress: bool = True) -> dict:

It trains on ``kexue.generative.data.load_dataset(data)``, writes into ``out_dir``
``metrics.json`` (the returned dict), ``samples.png`` (a sample grid),
``interpolations.png`` where the model has a latent space, and the saved model
(``model.keras`` or ``*.weights.h5``), and returns the metrics.
Entries are imported lazily, so registering a model costs nothing at start-up.
"""

from __future__ import annotations

import importlib
from typing import Callable

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
