"""The one training helper behind every ``kexue gen train`` entry point.

:func:`start_run` seeds Keras, checks the output folder, loads the data (a built-in name, a
``.npz``/``.npy`` file or a folder of images, :mod:`kexue.generative.user_data`) and returns a
:class:`ZooRun`. :meth:`ZooRun.fit` compiles and trains a model for one *stage* (most models
have one; the clustering VAE has a warm-up and a main stage) and saves the whole training state
after every epoch (``OUT/checkpoint/state.npz``, :mod:`kexue.training.state`). With
``resume=True`` a run killed at any point continues from its last saved epoch: finished stages
are skipped, the interrupted one is reloaded and carries on. :meth:`ZooRun.finish` writes the
pictures, ``model.keras`` and ``metrics.json`` as one set (:func:`kexue.files.commit_files`).

Example:
    >>> import tempfile, keras
    >>> from kexue.generative.vae import VAE
    >>> run = start_run("vae", "moons", tempfile.mkdtemp(), seed=0, progress=False)
    >>> model = VAE(input_shape=(2,), latent_dim=2, likelihood="gaussian", hidden=16)
    >>> run.fit(model, run.data.x_train, epochs=1, optimizer=lambda: keras.optimizers.Adam(1e-3))
    >>> sorted(run.metrics)[:4]
    ['backend', 'data', 'epochs', 'final_train_loss']
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np

from kexue.files import prepare_output_dir
from kexue.generative.user_data import Dataset, load_data
from kexue.training.state import STATE_FILE, load_training_state, save_training_state

CHECKPOINT = "checkpoint"


@dataclass
class ZooRun:
    """One training run of a zoo model: its data, output folder and checkpoints."""

    name: str
    data: Dataset
    out: Path
    seed: int = 0
    progress: bool = True
    resume: bool = False
    epochs: int | None = None
    metrics: dict = field(default_factory=dict)
    stage: int = 0
    saved: dict | None = None

    @property
    def checkpoint_dir(self) -> Path:
        return self.out / CHECKPOINT

    def identity(self) -> dict:
        """What a checkpoint must match to be resumed."""
        return {"model": self.name, "data": self.data.fingerprint(), "seed": self.seed,
                "epochs": self.epochs}

    def fit(self, model: keras.Model, x, epochs: int, *,
            optimizer: Callable[[], keras.optimizers.Optimizer], batch_size: int = 64,
            before: Callable[[], None] | None = None, **fit_kwargs) -> None:
        """Compile ``model`` with ``optimizer()`` and train it ``epochs`` epochs on ``x`` as the
        next stage, checkpointing every epoch. ``before()`` runs when the stage starts afresh
        (not when it is resumed). Records ``epochs``, ``final_train_loss`` and
        ``train_seconds`` (added up over stages) in :attr:`metrics`."""
        stage = self.stage
        self.stage += 1
        if self.resume and stage == 0:
            self.saved = _saved_state(self)
        saved = self.saved
        if saved is not None and saved["stage"] > stage:
            return  # finished before the interruption; its weights come with a later stage
        model.compile(optimizer=optimizer())
        first_epoch, loss = 0, None
        if saved is not None and saved["stage"] == stage:
            model.train_on_batch(x[:batch_size])  # build every variable, then overwrite them all
            load_training_state(self.checkpoint_dir, model)
            first_epoch, loss = saved["epoch"], saved.get("loss")
            self.metrics["resumed_from_epoch"] = first_epoch
        elif before is not None:
            before()
        start = time.perf_counter()
        if first_epoch < epochs:
            history = model.fit(x, epochs=epochs, initial_epoch=first_epoch, batch_size=batch_size,
                                verbose=1 if self.progress else 0,
                                callbacks=[_Checkpoint(self, stage)], **fit_kwargs)
            loss = float(history.history["loss"][-1])
        seconds = time.perf_counter() - start + self.metrics.get("train_seconds", 0.0)
        self.metrics.update(epochs=epochs, final_train_loss=loss, train_seconds=round(seconds, 2))

    def finish(self, model, samples: np.ndarray | None = None, interpolations=None,
               figures: dict | None = None) -> dict:
        """Write the outputs as one set; returns the sorted metrics."""
        from kexue.generative.zoo import commit_outputs, write_outputs

        if samples is None:
            return commit_outputs(self.out, model, self.metrics, figures or {})
        return write_outputs(self.out, model, self.metrics, samples, self.data.x_train,
                             interpolations, figures)


class _Checkpoint(keras.callbacks.Callback):
    """Saves the whole training state at the end of every epoch."""

    def __init__(self, run: ZooRun, stage: int):
        super().__init__()
        self.run, self.stage = run, stage

    def on_epoch_end(self, epoch, logs=None):
        counters = {"stage": self.stage, "epoch": epoch + 1, "run": self.run.identity(),
                    "loss": float((logs or {}).get("loss", float("nan")))}
        save_training_state(self.run.checkpoint_dir, self.model, counters)


def start_run(name: str, data: str | Dataset, out_dir, *, seed: int = 0, progress: bool = True,
              resume: bool = False, epochs: int | None = None,
              image_size: tuple[int, int] | None = None) -> ZooRun:
    """Seed Keras, prepare ``out_dir`` and load ``data`` (the checkpoint to resume from, if
    any, is read by the first :meth:`ZooRun.fit`)."""
    keras.utils.set_random_seed(seed)
    out = prepare_output_dir(out_dir)
    dataset = data if isinstance(data, Dataset) else load_data(data, image_size=image_size,
                                                                seed=seed)
    return ZooRun(name, dataset, out, seed, progress, resume, epochs,
                  {"model": name, "data": dataset.name, "seed": seed,
                   "backend": keras.backend.backend()})


def _saved_state(run: ZooRun) -> dict | None:
    path = run.checkpoint_dir / STATE_FILE
    if not path.exists():
        return None
    with np.load(path) as stored:
        counters = json.loads(bytes(stored["counters"]).decode())
    if counters.get("run") != run.identity():
        found, wanted = counters.get("run", {}), run.identity()
        differ = [k for k in wanted if found.get(k) != wanted[k]]
        raise ValueError(f"{path} was written by another run (its {', '.join(differ)} differ); "
                         "rerun with the same model, data, seed and --epochs, or without --resume "
                         "to start over.")
    return counters


def entry_point(name: str, body: Callable[[ZooRun, int], dict], default_epochs: int):
    """The public ``train_<name>(data, out_dir, *, epochs, seed, progress, resume, image_size)``
    of a zoo model whose work is ``body(run, epochs)``."""

    def train(data: str | Dataset, out_dir, *, epochs: int | None = None, seed: int = 0,
              progress: bool = True, resume: bool = False,
              image_size: tuple[int, int] | None = None) -> dict:
        if epochs is not None and epochs < 1:
            raise ValueError(f"epochs must be a positive integer; got {epochs}.")
        run = start_run(name, data, out_dir, seed=seed, progress=progress, resume=resume,
                        epochs=epochs, image_size=image_size)
        return body(run, epochs or default_epochs)

    train.__name__ = train.__qualname__ = f"train_{name}"
    train.__doc__ = body.__doc__
    return train


def needs_images(run: ZooRun) -> None:
    """Refuse 2-D point data for a model that works on images."""
    if not run.data.is_image:
        raise ValueError(f"{run.name} needs images (digits, faces, or an .npz or folder of "
                         f"images); {run.data.name!r} holds 2-D points.")
