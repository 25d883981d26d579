"""The contract between the runner and a recipe: :class:`Recipe` (what a task is) and
:class:`TaskContext` (what the runner hands it: tokenizer, backbone, options, settings).

A recipe holds only what is specific to its task: how to read its data, encode an example,
put a head and a loss on the Transformer, decode the outputs and score them. The runner
(:mod:`kexue.tasks.runner`) does the rest: reading files, the backbone, batching, the training
loop with best-on-dev evaluation and resumption, saving, loading and the command line.

A recipe is a subclass that overrides what differs from the defaults (which fit a
single-label task over ``(inputs, target)`` items) and is registered by name with
:func:`kexue.tasks.registry.register`. ``docs/tasks/runner.md`` walks through writing one.

Example (encoding and batching; ``docs/tasks/runner.md`` trains a whole recipe):
    >>> from kexue.tasks.backbone import scratch_backbone
    >>> class Length(Recipe):
    ...     name = "length"
    ...     def encode(self, text, ctx):
    ...         token_ids, segment_ids = ctx.tokenizer.encode(text, maxlen=ctx.maxlen)
    ...         return (token_ids, segment_ids), len(text)
    >>> backbone = scratch_backbone("2x32x4", ["你好世界"])
    >>> ctx = TaskContext(Length(), backbone, backbone.tokenizer(), maxlen=32, batch_size=2)
    >>> items = [ctx.recipe.encode(text, ctx) for text in ["你好", "世界你好", "好"]]
    >>> [(index.tolist(), x[0].shape, y.tolist()) for index, x, y in ctx.batches(items)]
    [([0, 1], (2, 16), [2, 4]), ([2], (1, 16), [1])]
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

import numpy as np

from kexue.tasks.batching import batch_order, bucket_length, pad_batch

__all__ = ["Recipe", "RecipeOptions", "TaskContext"]


class RecipeOptions:
    """What :meth:`Recipe.add_arguments` receives: ``add(...)`` takes ``argparse``'s
    ``add_argument`` arguments and remembers the option, so the runner can store its value in
    ``task.json`` and give it back as ``ctx.options[dest]`` on resume, predict and eval."""

    def __init__(self, group=None):
        self.group = group
        self.dests: list[str] = []
        self.defaults: dict[str, Any] = {}
        self._parser = argparse.ArgumentParser(add_help=False)  # for the defaults argparse gives

    def add(self, *flags: str, **kwargs) -> None:
        action = self._parser.add_argument(*flags, **kwargs)
        if self.group is not None:
            self.group.add_argument(*flags, **kwargs)
        self.dests.append(action.dest)
        self.defaults[action.dest] = self._parser.get_default(action.dest)


@dataclass
class TaskContext:
    """Everything a recipe method may need besides its arguments.

    Attributes:
        recipe: the :class:`Recipe`.
        backbone: the :class:`~kexue.tasks.backbone.Backbone` (family, config, vocabulary).
        tokenizer: a :class:`~kexue.tokenizers.Tokenizer` over the backbone's vocabulary.
        maxlen: the longest input in tokens (``--maxlen``).
        options: the recipe's own options (those declared in :meth:`Recipe.add_arguments`).
        settings: what :meth:`Recipe.setup` derived from the training data (labels, ...).
        batch_size: the batch size (evaluation uses it too).
        seed: the run's seed.
    """

    recipe: "Recipe"
    backbone: Any
    tokenizer: Any
    maxlen: int
    options: dict = field(default_factory=dict)
    settings: dict = field(default_factory=dict)
    batch_size: int = 32
    seed: int = 0

    def transformer(self, **kwargs):
        """The backbone Transformer (``build_transformer_model`` arguments such as
        ``with_pool=True``, ``with_mlm=True``, ``application="unilm"``), with the checkpoint's
        weights when training from one."""
        return self.backbone.build(**kwargs)

    @property
    def pad_id(self) -> int:
        pad = self.tokenizer.token_to_id("[PAD]")
        return 0 if pad is None else int(pad)

    def bucket(self, length: int) -> int:
        """The padded length of a batch whose longest row has ``length`` tokens."""
        return bucket_length(length, self.maxlen)

    def batches(self, items: list, *, batch_size: int | None = None, shuffle: bool = False,
                epoch: int = 0, start: int = 0, rng_step: int = 0) -> Iterator[tuple[np.ndarray, Any, Any]]:
        """``(indices, x, y)`` for the batches of ``items`` from batch ``start`` on: in order
        (``shuffle=False``), or in the run's length-grouped order of ``epoch``. Each batch is
        collated by :meth:`Recipe.collate` at its bucketed length, with a generator seeded from
        ``(seed, rng_step + position)`` for random augmentation (dynamic masking)."""
        size = batch_size or self.batch_size
        lengths = [self.recipe.length(item) for item in items]
        order = batch_order(lengths, size, self.seed, epoch, shuffle=shuffle)
        for position in range(start, len(order)):
            index = order[position]
            chosen = [items[i] for i in index]
            length = self.bucket(max(lengths[i] for i in index))
            rng = np.random.default_rng([self.seed, rng_step + position, 7])
            x, y = self.recipe.collate(self, chosen, length, rng)
            yield index, x, y


class Recipe:
    """A task the runner can train, evaluate and predict with (see the module docstring).

    Class attributes:
        name: the command name (``kexue task NAME``).
        description: one line for ``--help``.
        pair_input: ``predict`` reads ``a<TAB>b`` lines (pair tasks) instead of one text.
        metric: the key of :meth:`score`'s result that picks the best epoch (higher is better).
        defaults: ``epochs``, ``batch_size``, ``maxlen`` and the learning rates ``lr`` (from a
            checkpoint) and ``scratch_lr`` (from scratch) when the command line gives none.
        fold_width: a model trained from scratch reads full-width digits and letters as ASCII
            (its vocabulary and tokenizer fold them; :mod:`kexue.tokenizers.width`), so text in
            either width meets known tokens. Checkpoints keep their own tokenisation.
        scratch_model: the family of a model trained from scratch when ``--model`` is not given
            (``roformer`` for the character taggers and triples: rotary positions learn
            segmentation, entities and relations several times faster from random weights
            than BERT's learned ones).
    """

    name: str = ""
    description: str = ""
    pair_input: bool = False
    metric: str = "accuracy"
    defaults: dict = {"epochs": 3, "batch_size": 32, "maxlen": 128, "lr": 2e-5, "scratch_lr": 5e-4}
    fold_width: bool = True
    scratch_model: str = "bert"

    # -- options and data ----------------------------------------------------------------
    def command_line(self, actions) -> None:
        """Add this recipe's actions to ``kexue task NAME`` (``actions`` is an argparse
        subparsers object; each parser sets ``func(recipe, args)``). Default: ``train``,
        ``predict`` and ``eval`` (:mod:`kexue.tasks.commands`)."""
        from kexue.tasks.commands import add_standard_actions

        add_standard_actions(self, actions)

    def add_arguments(self, options: RecipeOptions) -> None:
        """Declare the recipe's own command-line options with ``options.add(...)``."""

    def option_defaults(self) -> dict:
        """The declared options at their defaults: what a run saved before an option existed
        reads for it (at loading and on ``--resume``)."""
        declared = RecipeOptions()
        self.add_arguments(declared)
        return dict(declared.defaults)

    def read(self, path, labelled: bool = True) -> list:
        """The examples of a data file (raise :class:`kexue.tasks.data.DataError` naming
        file:line on a bad row). ``labelled=False`` for files without answers."""
        raise NotImplementedError(f"recipe {self.name!r} must define read()")

    def read_inputs(self, path) -> list:
        """The examples ``predict`` reads (a file or ``-``); by default one text per line, or
        ``a<TAB>b`` when :attr:`pair_input`."""
        from kexue.tasks.data import read_input_lines

        return read_input_lines(path, pair=self.pair_input)

    def texts(self, examples: list) -> Iterable[str]:
        """The texts a scratch vocabulary is built from (default: ``text`` or ``first`` and
        ``second`` of each example)."""
        for example in examples:
            for name in ("text", "first", "second"):
                value = getattr(example, name, None)
                if isinstance(value, str):
                    yield value

    def setup(self, examples: list, ctx: TaskContext) -> dict:
        """What to learn from the training examples before training (e.g. the label set);
        JSON-able, stored in ``task.json`` and given back as ``ctx.settings``."""
        return {}

    def holdout(self, examples: list, seed: int) -> tuple[list, list]:
        """``(train, dev)`` when no dev file is given; by default a dev file is required."""
        from kexue.tasks.runner import RunError

        raise RunError(f"{self.name} needs --dev FILE.")

    def training_examples(self, examples: list, ctx: TaskContext) -> list:
        """The examples to train on, from the rows of the training file (after :meth:`setup`);
        e.g. sentences grouped by paraphrase from scored pairs. Default: the rows."""
        return examples

    def main_metric(self, ctx: TaskContext) -> str:
        """The metric that picks the best epoch for this run (default :attr:`metric`)."""
        return self.metric

    def check(self, examples: list, ctx: TaskContext) -> None:
        """Refuse examples the trained task cannot handle (a label it never saw), naming
        ``example.where``; called on dev/test data and at ``eval``."""

    # -- model -----------------------------------------------------------------------------
    def encode(self, example, ctx: TaskContext):
        """One example as an item: by default ``(inputs, target)`` with ``inputs`` a tuple of
        sequences (token ids first) and ``target`` a number, a sequence, or ``None`` when the
        example has no answer."""
        raise NotImplementedError(f"recipe {self.name!r} must define encode()")

    def length(self, item) -> int:
        """The length in tokens of an item (to group and bucket batches)."""
        return len(item[0][0])

    def collate(self, ctx: TaskContext, items: list, length: int, rng: np.random.Generator):
        """``(x, y)`` of a batch padded to ``length`` (see :func:`~kexue.tasks.batching.pad_batch`);
        ``rng`` is seeded per step, for random augmentation that a resumed run repeats."""
        return pad_batch(items, length, ctx.pad_id)

    def build(self, ctx: TaskContext):
        """The Keras model to train: ``ctx.transformer(...)`` plus the task's head."""
        raise NotImplementedError(f"recipe {self.name!r} must define build()")

    def loss(self, ctx: TaskContext):
        """The loss given to ``compile`` (``None`` when the model adds its own with
        ``add_loss``)."""
        return None

    def compile_loss(self, ctx: TaskContext, model):
        """The loss ``compile`` gets, with the built model at hand (a CRF's loss is a method
        of its layer); by default :meth:`loss`."""
        return self.loss(ctx)

    def optimizer(self, ctx: TaskContext, learning_rate, **kwargs):
        """The optimizer: AdamW with weight decay 0.01 on all but norms and biases.
        ``learning_rate`` is the run's schedule; ``kwargs`` are Keras optimizer options the
        runner sets (``use_ema``, ``ema_momentum`` with ``--ema``) and must be passed on."""
        import keras

        from kexue.optimizers import TRANSFORMER_NO_DECAY

        optimizer = keras.optimizers.AdamW(learning_rate, weight_decay=0.01, **kwargs)
        optimizer.exclude_from_weight_decay(var_names=TRANSFORMER_NO_DECAY)
        return optimizer

    def saved_files(self, ctx: TaskContext, model) -> dict:
        """``{file name: writer(path)}`` of the trained model in the run folder, written when
        the dev score improves (default: ``model.keras``, which ``predict`` and ``eval`` load)."""
        from kexue.tasks.rundir import MODEL

        return {MODEL: model.save}

    # -- prediction and scoring ------------------------------------------------------------
    def predict(self, ctx: TaskContext, model, items: list) -> list:
        """One prediction per item: by default, batches through ``model`` then :meth:`decode`.
        Generation recipes override this with their decoding loop."""
        predictions: list = [None] * len(items)
        for index, x, _ in ctx.batches(items):
            outputs = model.predict_on_batch(x)
            for i, prediction in zip(index, self.decode(ctx, outputs, [items[i] for i in index])):
                predictions[i] = prediction
        return predictions

    def decode(self, ctx: TaskContext, outputs, items: list) -> list:
        """Predictions from the model's outputs for one batch of items."""
        raise NotImplementedError(f"recipe {self.name!r} must define decode() or predict()")

    def evaluate(self, ctx: TaskContext, model, examples: list, items: list) -> dict:
        """Metrics on labelled examples (by default :meth:`score` of :meth:`predict`)."""
        return self.score(ctx, self.predict(ctx, model, items), examples)

    def score(self, ctx: TaskContext, predictions: list, examples: list) -> dict:
        """``{metric: value}`` comparing predictions with the examples' answers; must hold
        :attr:`metric`."""
        raise NotImplementedError(f"recipe {self.name!r} must define score()")

    def format(self, ctx: TaskContext, prediction) -> str:
        """One output line of ``predict`` for a prediction."""
        return str(prediction)
