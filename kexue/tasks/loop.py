"""The runner's training loop: epochs of length-grouped batches, best-on-dev evaluation after
every epoch (bert4keras's ``Evaluator``), and snapshots that make ``--resume`` continue to the
very weights an uninterrupted run reaches.

What makes a resumed run equal to an uninterrupted one:

* the batches of an epoch are a function of ``(seed, epoch)``
  (:func:`kexue.tasks.batching.batch_order`), and random augmentation inside a batch draws from
  a generator seeded by ``(seed, step)``;
* before each step the global generators restart from ``(seed, step)``
  (:func:`kexue.training.reseed`);
* a snapshot holds every model and optimizer variable (dropout seed states, moments, EMA, the
  step counter) and the loop's counters, history and curve, written with the files they
  describe in one :func:`kexue.files.commit_files` (see :mod:`kexue.tasks.rundir`).

Snapshots are taken every ``save_every`` steps (or every ``save_seconds`` seconds of training
when ``save_every`` is 0) and after every epoch's evaluation.

Example:
    >>> import numpy as np
    >>> curve_row(step=10, epoch=0, losses=[0.5, 0.7], learning_rate=1e-4, seconds=3.14159)
    {'step': 10, 'epoch': 0, 'train_loss': 0.6, 'learning_rate': 0.0001, 'seconds': 3.14}
"""

from __future__ import annotations

import contextlib
import math
import sys
import time
from pathlib import Path
from typing import Callable

import keras
import numpy as np

from kexue.tasks import rundir
from kexue.training import read_training_state, reseed, write_training_state

__all__ = ["fit_task", "curve_row", "better"]


def curve_row(step: int, epoch: int, losses: list[float], learning_rate: float, seconds: float) -> dict:
    """One row of ``curve.csv``: the mean loss of the steps since the previous row."""
    return {"step": step, "epoch": epoch, "train_loss": round(float(np.mean(losses)), 6),
            "learning_rate": float(f"{learning_rate:.6g}"), "seconds": round(seconds, 2)}


def better(score: float, best: float | None) -> bool:
    """Whether a dev score beats the best so far: higher is better, the first epoch always
    counts, and a NaN score (a correlation of constant predictions) loses to any number.

    >>> better(0.8, 0.7), better(0.6, 0.7), better(float("nan"), None), better(0.1, float("nan"))
    (True, False, True, True)
    """
    if best is None:
        return True
    if math.isnan(score):
        return False
    return math.isnan(best) or score > best


def _loss_value(loss) -> float:
    return float(np.asarray(loss if np.ndim(loss) == 0 else loss[0]))


def _learning_rate(model) -> float:
    return float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))


class _Snapshots:
    """When to write the training state, and writing it together with the files it explains."""

    def __init__(self, out: Path, model, save_every: int, save_seconds: float):
        self.out, self.model = out, model
        self.save_every, self.save_seconds = save_every, save_seconds
        self.last = time.monotonic()

    def due(self, step: int) -> bool:
        if self.save_every:
            return step % self.save_every == 0
        return time.monotonic() - self.last >= self.save_seconds

    def write(self, counters: dict, **files) -> None:
        def state(path: Path) -> None:
            write_training_state(path, self.model, counters)

        rundir.commit(self.out, state=state, curve=counters["curve"], **files)
        self.last = time.monotonic()


def fit_task(ctx, model, train_items: list, dev: tuple[list, list], test: tuple[list, list] | None,
             out: Path, *, epochs: int, save_every: int = 0, save_seconds: float = 300.0,
             log_every: int = 50, progress: bool = True, ema=None,
             on_step: Callable[[int], None] | None = None, max_steps: int | None = None) -> dict:
    """Train ``model`` (compiled) on ``train_items``, evaluating ``dev`` (and ``test``) —
    ``(examples, items)`` pairs — after each epoch and keeping the best model in ``out``.

    Continues from ``out/train_state.npz`` when it is there. ``ema`` is an
    :class:`kexue.callbacks.EMAWeights` bound to the model (evaluation and saving then use the
    averaged weights). ``on_step(step)`` is called after every step (tests kill the process
    there). ``max_steps`` ends training (with an evaluation) at that step, even mid-epoch.
    Returns the metrics record (``metrics.json``).
    """
    recipe, seed = ctx.recipe, ctx.seed
    metric = recipe.main_metric(ctx)
    state_path = out / rundir.STATE
    counters = {"epoch": 0, "batch": 0, "step": 0, "history": [], "best": None, "curve": [],
                "losses": [], "seconds": 0.0}
    if state_path.exists():
        counters = read_training_state(state_path, model)
    num_batches = -(-len(train_items) // ctx.batch_size)
    snapshots = _Snapshots(out, model, save_every, save_seconds)
    report = print if progress else (lambda *a, **k: None)
    started = time.monotonic() - counters["seconds"]
    losses: list[float] = counters["losses"]  # the steps since the last curve row
    epoch, start, step = counters["epoch"], counters["batch"], counters["step"]
    while epoch < epochs:
        last = num_batches if not max_steps else min(num_batches, max_steps - epoch * num_batches)
        bar = _progress_bar(last, start, f"epoch {epoch + 1}/{epochs}", progress)
        batches = ctx.batches(train_items, shuffle=True, epoch=epoch, start=start,
                              rng_step=epoch * num_batches)
        for position, (_, x, y) in enumerate(batches, start):
            reseed(seed, step)
            loss = _loss_value(model.train_on_batch(x, y))
            if not math.isfinite(loss):
                raise FloatingPointError(f"the training loss became {loss} at step {step + 1}; "
                                         "lower --lr or check the data.")
            losses.append(loss)
            step += 1
            bar.update(1)
            bar.set_postfix(loss=f"{np.mean(losses[-50:]):.4f}", refresh=False)
            if step % log_every == 0 or position + 1 == num_batches or step == max_steps:
                counters["curve"].append(curve_row(step, epoch, losses, _learning_rate(model),
                                                   time.monotonic() - started))
                losses.clear()
            at_end = position + 1 == num_batches or step == max_steps
            counters.update(epoch=epoch + at_end, batch=0 if at_end else position + 1, step=step,
                            seconds=time.monotonic() - started)
            if not at_end and snapshots.due(step):
                snapshots.write(counters)
            if on_step is not None:
                on_step(step)
            if step == max_steps:
                break
        bar.close()
        record = _evaluate_epoch(ctx, model, dev, test, epoch, step, ema)
        counters["history"].append(record)
        improved = better(record["dev"][metric], (counters["best"] or {}).get("dev", {}).get(metric))
        if improved:
            counters["best"] = {"epoch": record["epoch"], "dev": record["dev"], "test": record.get("test")}
        counters["seconds"] = time.monotonic() - started
        metrics = _metrics(metric, counters, finished=False)
        snapshots.write(counters, metrics=metrics, files=_model_files(ctx, model, ema) if improved else None)
        report(_epoch_line(metric, record, improved), file=sys.stderr)
        epoch, start = epoch + 1, 0
    metrics = _metrics(metric, counters, finished=True)
    rundir.commit(out, metrics=metrics)
    state_path.unlink(missing_ok=True)
    return metrics


def _model_files(ctx, model, ema) -> dict:
    """The recipe's files of the trained model, written with the averaged weights under EMA
    (the training state keeps the trained ones)."""
    def swapped(write):
        def run(path: Path) -> None:
            with ema.swapped() if ema is not None else contextlib.nullcontext():
                write(path)

        return run

    return {name: swapped(write) for name, write in ctx.recipe.saved_files(ctx, model).items()}


def _evaluate_epoch(ctx, model, dev, test, epoch: int, step: int, ema) -> dict:
    record = {"epoch": epoch + 1, "step": step}
    with ema.swapped() if ema is not None else contextlib.nullcontext():
        record["dev"] = ctx.recipe.evaluate(ctx, model, *dev)
        if test is not None:
            record["test"] = ctx.recipe.evaluate(ctx, model, *test)
    metric = ctx.recipe.main_metric(ctx)
    if metric not in record["dev"]:
        raise KeyError(f"recipe {ctx.recipe.name!r}: score() returned {sorted(record['dev'])}, "
                       f"without its metric {metric!r}.")
    return record


def _metrics(metric: str, counters: dict, finished: bool) -> dict:
    return {"metric": metric, "best": counters["best"], "epochs": counters["history"],
            "steps": counters["step"], "train_seconds": round(counters["seconds"], 1),
            "finished": finished}


def _epoch_line(metric: str, record: dict, improved: bool) -> str:
    text = f"epoch {record['epoch']}: dev {metric} {record['dev'][metric]:.4f}"
    if "test" in record:
        text += f", test {metric} {record['test'][metric]:.4f}"
    return text + (" (best so far, saved)" if improved else "")


def _progress_bar(total: int, initial: int, description: str, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, desc=description, disable=not enabled,
                file=sys.stderr, dynamic_ncols=True, leave=False)
