"""Training a recipe: the function behind ``kexue task NAME train`` (and its Python API).

:func:`train` reads the data (every error names file:line) before it touches the output folder,
takes the backbone from ``checkpoint`` or builds one ``scratch`` with a character vocabulary of
the training texts, lets the recipe put its head on it, and trains with a linear warm-up and
decay of the learning rate (AdamW, optional EMA), evaluating on dev after each epoch and keeping
the best model (:mod:`kexue.tasks.loop`). ``resume=True`` continues an interrupted run in the
same folder, to the weights an uninterrupted run reaches.

Example (from Python; the command line is ``kexue task classify train --train ... --out ...``)::

    from kexue.tasks import train
    summary = train("classify", train="train.tsv", dev="dev.tsv", out="runs/waimai",
                    scratch="tiny", epochs=3)
    summary["best"]      # {'epoch': 3, 'dev': {'accuracy': ...}, 'test': None}

    >>> from kexue.tasks.runner import resolve_defaults
    >>> resolve_defaults({"epochs": None, "lr": None, "batch_size": 8, "maxlen": None},
    ...                  {"epochs": 3, "batch_size": 32, "maxlen": 128, "lr": 2e-5, "scratch_lr": 5e-4},
    ...                  scratch=True)
    {'epochs': 3, 'lr': 0.0005, 'batch_size': 8, 'maxlen': 128}
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable

from kexue.tasks import rundir
from kexue.tasks.backbone import Backbone, BackboneError, checkpoint_backbone, scratch_backbone
from kexue.tasks.data import file_digest
from kexue.tasks.recipe import Recipe, TaskContext

__all__ = ["train", "resolve_defaults", "RunError"]

# training options that must not change when a run is resumed
_FIXED_ON_RESUME = ("batch_size", "maxlen", "lr", "seed", "warmup", "ema", "epochs", "steps")


class RunError(ValueError):
    """An option that does not fit the output folder or the data (the message says the fix)."""


def resolve_defaults(values: dict, defaults: dict, scratch: bool) -> dict:
    """Fill the options left ``None`` from a recipe's :attr:`~Recipe.defaults`."""
    out = dict(values)
    for key in ("epochs", "batch_size", "maxlen"):
        if out.get(key) is None:
            out[key] = defaults[key]
    if out.get("lr") is None:
        out["lr"] = defaults["scratch_lr" if scratch else "lr"]
    return out


def _get_recipe(recipe) -> Recipe:
    if isinstance(recipe, Recipe):
        return recipe
    from kexue.tasks.registry import get_recipe

    return get_recipe(recipe)


def _read(recipe: Recipe, path, what: str) -> list:
    if path is None:
        return []
    return recipe.read(path, labelled=True)


def _paths(*values) -> list:
    """The data files among ``values`` (each a path, a list of paths, or ``None``)."""
    out = []
    for value in values:
        if isinstance(value, (list, tuple)):
            out += list(value)
        elif value is not None:
            out.append(value)
    return out


def _check_positive(**values) -> None:
    for name, value in values.items():
        if value is not None and value < 1:
            raise RunError(f"--{name.replace('_', '-')} must be at least 1, got {value}.")


def train(recipe, *, train, dev, out, test=None, checkpoint=None, scratch=None, model=None,
          epochs: int | None = None, batch_size: int | None = None, maxlen: int | None = None,
          lr: float | None = None, seed: int = 0, resume: bool = False, ema: float | None = None,
          warmup: float = 0.1, save_every: int = 0, save_seconds: float = 300.0,
          options: dict | None = None, progress: bool = True, command: list[str] | None = None,
          on_step: Callable[[int], None] | None = None, steps: int | None = None,
          min_count: int = 1) -> dict:
    """Train ``recipe`` (a name or a :class:`Recipe`) and write the run folder ``out``.

    Args:
        train, dev, test: data files (``test`` optional; dev picks the best epoch). ``train``
            may be a list of files for a recipe that reads several (pretraining corpora);
            ``dev=None`` lets the recipe hold out part of the training data
            (:meth:`Recipe.holdout`).
        out: the run folder (see :mod:`kexue.tasks.rundir`); it must not hold another run
            unless ``resume``.
        checkpoint / scratch: the backbone, exactly one: a checkpoint path, or a size
            (``tiny``, ``small``, ``LAYERSxHIDDENxHEADS``); ``model`` picks the family
            (default: the checkpoint's, or the recipe's :attr:`~Recipe.scratch_model`).
        epochs, batch_size, maxlen, lr: ``None`` takes the recipe's defaults.
        warmup: the fraction of all steps over which the rate rises linearly (then decays
            linearly to 0 at the end).
        ema: keep an exponential moving average of the weights with this momentum, and
            evaluate and save it.
        save_every / save_seconds: snapshot the training state every N steps, or (N = 0)
            every so many seconds, besides after each epoch.
        options: the recipe's own options (``None``: the defaults it declares).
        on_step: called with the step number after each step.
        steps: stop after this many steps (the schedule spans them) instead of ``epochs``.
        min_count: a scratch vocabulary keeps the characters seen at least this often.

    Returns the metrics record written to ``metrics.json``.
    """
    recipe = _get_recipe(recipe)
    out = Path(out)
    resuming = resume and (out / rundir.TASK).exists()
    if resuming:
        stored = rundir.read_task(out)
        if stored.get("task") != recipe.name:
            raise RunError(f"--resume: {out} holds a {stored.get('task')!r} run, not {recipe.name!r}.")
    elif (out / rundir.TASK).exists() or (out / rundir.MODEL).exists():
        raise RunError(f"{out} already holds a run; pass --resume to continue it, or choose "
                       "another --out folder.")
    elif (checkpoint is None) == (scratch is None):
        raise RunError("give exactly one of --checkpoint PATH and --scratch tiny|small.")
    settings = resolve_defaults({"epochs": epochs, "batch_size": batch_size, "maxlen": maxlen, "lr": lr},
                                recipe.defaults, scratch is not None)
    _check_positive(epochs=settings["epochs"], batch_size=settings["batch_size"], maxlen=settings["maxlen"])
    if not 0 <= warmup < 1:
        raise RunError(f"--warmup is a fraction of the steps in [0, 1), got {warmup}.")
    if ema is not None and not 0 < ema < 1:
        raise RunError(f"--ema is a momentum in (0, 1), got {ema}.")
    _check_positive(steps=steps)
    settings.update(seed=int(seed), warmup=float(warmup), ema=ema, steps=steps)
    recipe_options = {**recipe.option_defaults(), **(options or {})}

    train_examples = _read(recipe, train, "train")
    dev_examples = _read(recipe, dev, "dev")
    test_examples = _read(recipe, test, "test")
    data = {"train": _file_record(train), "dev": _file_record(dev), "test": _file_record(test)}
    if dev is None:
        train_examples, dev_examples = recipe.holdout(train_examples, settings["seed"])

    if resuming:
        ctx, task = _resumed_context(recipe, stored, out, settings, recipe_options, data)
        if (rundir.read_metrics(out) or {}).get("finished"):
            print(f"{out}: this run has finished already; nothing to resume.", file=sys.stderr)
            return rundir.read_metrics(out)
    else:
        backbone = (checkpoint_backbone(checkpoint, model) if checkpoint is not None
                    else scratch_backbone(scratch, recipe.texts(train_examples), model or recipe.scratch_model,
                                          min_count=min_count, fold_width=recipe.fold_width))
        ctx = _context(recipe, backbone, settings, recipe_options)
        ctx.settings = recipe.setup(train_examples, ctx)
        task = _task_record(recipe, ctx, settings, data, command)
    if settings["maxlen"] > ctx.backbone.max_position:
        raise RunError(f"--maxlen {settings['maxlen']} exceeds the backbone's "
                       f"{ctx.backbone.max_position} positions; lower it.")
    recipe.check(dev_examples, ctx)
    recipe.check(test_examples, ctx)
    train_items = _encode(recipe, ctx, recipe.training_examples(train_examples, ctx), "train", progress)
    dev_pair = (dev_examples, _encode(recipe, ctx, dev_examples, "dev", progress))
    test_pair = (test_examples, _encode(recipe, ctx, test_examples, "test", progress)) if test else None

    if not resuming:
        inputs = _paths(train, dev, test, checkpoint)
        from kexue.files import prepare_output_dir

        prepare_output_dir(out, inputs=inputs)
        rundir.commit(out, task=task, vocab=ctx.backbone.vocab, inputs=inputs)
    batches = -(-len(train_items) // settings["batch_size"])
    total = settings["steps"] or settings["epochs"] * batches
    compiled, ema_callback = _compiled_model(recipe, ctx, total, settings, out)
    from kexue.tasks.loop import fit_task

    epochs = -(-total // batches) if settings["steps"] else settings["epochs"]
    return fit_task(ctx, compiled, train_items, dev_pair, test_pair, out, epochs=epochs,
                    save_every=save_every, save_seconds=save_seconds, progress=progress,
                    ema=ema_callback, on_step=on_step, max_steps=settings["steps"])


def _file_record(path) -> dict | list | None:
    if path is None:
        return None
    if isinstance(path, (list, tuple)):
        return [_file_record(p) for p in path]
    return {"path": str(path), "sha256": file_digest(path)}


def _context(recipe: Recipe, backbone: Backbone, settings: dict, options: dict) -> TaskContext:
    return TaskContext(recipe=recipe, backbone=backbone, tokenizer=backbone.tokenizer(),
                       maxlen=settings["maxlen"], options=options,
                       batch_size=settings["batch_size"], seed=settings["seed"])


def _task_record(recipe: Recipe, ctx: TaskContext, settings: dict, data: dict, command) -> dict:
    import kexue

    return {"task": recipe.name, "kexue": getattr(kexue, "__version__", ""),
            "backbone": {**ctx.backbone.describe(), "checkpoint": ctx.backbone.checkpoint},
            "maxlen": ctx.maxlen, "options": ctx.options, "settings": ctx.settings,
            "train": settings, "data": data,
            "command": list(command) if command is not None else list(sys.argv)}


def _resumed_context(recipe: Recipe, stored: dict, out: Path, settings: dict, options: dict,
                     data: dict) -> tuple[TaskContext, dict]:
    """The context of the stored run, after checking that nothing that shapes it changed."""
    from kexue.tokenizers import load_vocab

    for key in _FIXED_ON_RESUME:
        if stored["train"].get(key) != settings.get(key):
            raise RunError(f"--resume: {out} was trained with {key}={stored['train'].get(key)!r}, "
                           f"not {settings.get(key)!r}; rerun with the options in {out / rundir.TASK}.")
    defaults = recipe.option_defaults()
    for key, value in options.items():
        if key not in stored["options"] and value == defaults.get(key):
            continue  # an option added since the run was saved, asked for at its default
        if stored["options"].get(key) != value:
            raise RunError(f"--resume: {out} was trained with the recipe option {key}="
                           f"{stored['options'].get(key)!r}, not {value!r}.")
    for split, record in data.items():
        before = stored["data"].get(split)
        if _digests(before) != _digests(record):
            raise RunError(f"--resume: the {split} data differs from the run's "
                           f"({_digests(before, 'path')}); resume with the same files.")
    backbone = Backbone.from_description(stored["backbone"], load_vocab(out / rundir.VOCAB))
    if not (out / rundir.STATE).exists():  # killed before the first snapshot: start again
        backbone.checkpoint = stored["backbone"].get("checkpoint")
    ctx = _context(recipe, backbone, settings, {**defaults, **stored["options"]})
    ctx.settings = stored["settings"]
    return ctx, stored


def _digests(record, key: str = "sha256"):
    if record is None:
        return None
    if isinstance(record, list):
        return [r[key] for r in record]
    return record[key]


def _encode(recipe: Recipe, ctx: TaskContext, examples: list, what: str, progress: bool) -> list:
    from tqdm.auto import tqdm

    bar = tqdm(examples, desc=f"encoding {what}", disable=not progress or len(examples) < 2000,
               file=sys.stderr, leave=False)
    return [recipe.encode(example, ctx) for example in bar]


def _compiled_model(recipe: Recipe, ctx: TaskContext, total: int, settings: dict, out: Path):
    import keras

    from kexue.optimizers import linear_warmup_decay

    keras.utils.set_random_seed(settings["seed"])
    try:
        model = recipe.build(ctx)
    except BackboneError:
        raise
    except (OSError, ValueError) as error:
        if ctx.backbone.checkpoint is None:
            raise
        raise BackboneError(f"--checkpoint {ctx.backbone.checkpoint}: {error}") from None
    schedule = linear_warmup_decay(settings["lr"], int(settings["warmup"] * total), max(total, 1))
    extra = {"use_ema": True, "ema_momentum": settings["ema"]} if settings["ema"] else {}
    model.compile(optimizer=recipe.optimizer(ctx, schedule, **extra), loss=recipe.compile_loss(ctx, model))
    ema = None
    if settings["ema"]:
        from kexue.callbacks import EMAWeights

        ema = EMAWeights()
        ema.set_model(model)
    return model, ema
