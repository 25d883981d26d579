"""The output folder of a task run (``--out DIR``) and how it changes.

=================  ===============================================================
``task.json``      the task, its backbone (family, config, source), ``maxlen``, the
                   recipe's options and settings (labels, ...), the training options,
                   digests of the data files and the command line
``vocab.txt``      the vocabulary (one token per line, the line number is the id)
``model.keras``    the model with the best dev score so far (Keras format)
``metrics.json``   dev and test metrics of every epoch, the best epoch, ``finished``
``curve.csv``      the training curve: ``step,epoch,train_loss,learning_rate,seconds``
``train_state.npz`` the whole training state for ``--resume`` (removed when finished)
=================  ===============================================================

Every change goes through :func:`kexue.files.commit_files`, so the files that belong
together (a snapshot of the state with the curve and metrics it produced, the best model with
the metrics that chose it) change together, and a kill at any moment leaves the previous set or
the new one; readers call :func:`kexue.files.recover_folder` first.

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = Path(tempfile.mkdtemp())
    >>> commit(folder, task={"task": "classify"}, vocab={"[PAD]": 0, "[UNK]": 1},
    ...        curve=[{"step": 1, "epoch": 0, "train_loss": 0.7}])
    >>> read_task(folder)["task"], sorted(p.name for p in folder.iterdir())
    ('classify', ['curve.csv', 'task.json', 'vocab.txt'])
"""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Callable

from kexue.files import commit_files, read_json, recover_folder, write_json

__all__ = ["TASK", "VOCAB", "MODEL", "METRICS", "CURVE", "STATE", "commit", "read_task", "read_metrics",
           "CURVE_COLUMNS"]

TASK, VOCAB, MODEL = "task.json", "vocab.txt", "model.keras"
METRICS, CURVE, STATE = "metrics.json", "curve.csv", "train_state.npz"
CURVE_COLUMNS = ("step", "epoch", "train_loss", "learning_rate", "seconds")


def _vocab_writer(vocab: dict[str, int]) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        tokens = sorted(vocab, key=vocab.get)
        if [vocab[t] for t in tokens] != list(range(len(tokens))):
            raise ValueError("the vocabulary ids must be 0..n-1 without gaps.")
        path.write_text("".join(t + "\n" for t in tokens), encoding="utf-8")

    return write


def _curve_writer(rows: list[dict]) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        with open(path, "w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, CURVE_COLUMNS, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)

    return write


def commit(out: str | os.PathLike, *, task: dict | None = None, vocab: dict | None = None,
           model=None, metrics: dict | None = None, curve: list[dict] | None = None,
           state: Callable[[Path], None] | None = None, files: dict | None = None,
           inputs=()) -> None:
    """Replace the given parts of the run folder ``out`` together (parts left ``None`` stay
    as they are). ``state`` is a writer ``path -> None`` (the training state); ``files`` maps
    more file names to writers (a recipe's saved model)."""
    writers: dict[str, Callable[[Path], None]] = {}
    if task is not None:
        writers[TASK] = lambda p: write_json(p, task)
    if vocab is not None:
        writers[VOCAB] = _vocab_writer(vocab)
    if model is not None:  # a Keras model, or a writer path -> None
        writers[MODEL] = model.save if hasattr(model, "save") else model
    if metrics is not None:
        writers[METRICS] = lambda p: write_json(p, metrics)
    if curve is not None:
        writers[CURVE] = _curve_writer(curve)
    if state is not None:
        writers[STATE] = state
    writers.update(files or {})
    commit_files(out, writers, inputs=inputs)


def read_task(out: str | os.PathLike) -> dict:
    """``task.json`` of a run folder (after finishing any interrupted commit)."""
    out = Path(out)
    if not out.is_dir():
        raise FileNotFoundError(f"{out}: no such run folder; give the --out folder of `train`.")
    recover_folder(out)
    if not (out / TASK).exists():
        raise ValueError(f"{out} holds no {TASK}: it is not the output folder of `kexue task ... train`.")
    return read_json(out / TASK)


def read_metrics(out: str | os.PathLike) -> dict | None:
    """``metrics.json`` of a run folder, or ``None`` before the first evaluation."""
    path = Path(out) / METRICS
    return read_json(path) if path.exists() else None
