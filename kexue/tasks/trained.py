"""A trained task loaded from its run folder: predict and evaluate (``kexue task NAME
predict|eval``, or from Python).

Example::

    from kexue.tasks import load_task
    task = load_task("runs/waimai")
    task.predict_texts(["送餐很快，味道不错"])     # ['1\\t0.9731']
    task.evaluate("test.tsv")                     # {'accuracy': 0.89, 'macro_f1': 0.88}

    >>> from kexue.tasks.trained import load_task
    >>> load_task("no/such/folder")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    FileNotFoundError: no/such/folder: no such run folder; give the --out folder of `train`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kexue.tasks import rundir
from kexue.tasks.backbone import Backbone
from kexue.tasks.recipe import Recipe, TaskContext

__all__ = ["TrainedTask", "load_task"]


@dataclass
class TrainedTask:
    """A recipe, its context and its trained Keras model."""

    recipe: Recipe
    ctx: TaskContext
    model: Any
    folder: Path

    def predict(self, examples: list) -> list:
        """Predictions for examples (as the recipe reads them; labels are ignored)."""
        items = [self.recipe.encode(example, self.ctx) for example in examples]
        return self.recipe.predict(self.ctx, self.model, items)

    def predict_lines(self, path=None) -> list[str]:
        """``predict``'s output lines for a file of inputs (``None`` or ``-``: standard input)."""
        predictions = self.predict(self.recipe.read_inputs(path))
        return [self.recipe.format(self.ctx, p) for p in predictions]

    def evaluate(self, path: str | os.PathLike) -> dict:
        """The recipe's metrics on a labelled data file."""
        examples = self.recipe.read(path, labelled=True)
        self.recipe.check(examples, self.ctx)
        items = [self.recipe.encode(example, self.ctx) for example in examples]
        return self.recipe.evaluate(self.ctx, self.model, examples, items)


def load_task(folder: str | os.PathLike, batch_size: int | None = None,
              recipe: Recipe | None = None) -> TrainedTask:
    """Load the run folder of ``kexue task NAME train`` (the best model on dev). ``recipe``:
    the recipe object, for one that is not registered in :mod:`kexue.tasks.recipes`."""
    import keras

    from kexue.tasks.registry import get_recipe
    from kexue.tokenizers import load_vocab

    folder = Path(folder)
    task = rundir.read_task(folder)
    if recipe is None:
        recipe = get_recipe(task["task"])
    elif recipe.name != task["task"]:
        raise ValueError(f"{folder} holds a {task['task']!r} run, not {recipe.name!r}.")
    if not (folder / rundir.MODEL).exists():
        raise ValueError(f"{folder} has no trained model yet (training stopped before its first "
                         "evaluation); continue it with `train --resume`.")
    backbone = Backbone.from_description(task["backbone"], load_vocab(folder / rundir.VOCAB))
    ctx = TaskContext(recipe=recipe, backbone=backbone, tokenizer=backbone.tokenizer(),
                      maxlen=task["maxlen"], options={**recipe.option_defaults(), **task["options"]},
                      settings=task["settings"],
                      batch_size=batch_size or task["train"]["batch_size"],
                      seed=task["train"]["seed"])
    import kexue.layers  # noqa: F401  (registers the layers the saved model names)
    import kexue.models.transformer  # noqa: F401

    model = keras.saving.load_model(folder / rundir.MODEL, compile=False)
    return TrainedTask(recipe, ctx, model, folder)
