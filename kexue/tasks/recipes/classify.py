"""Sentence classification: [CLS] or mean pooling + softmax (optionally AM-Softmax, label smoothing).

The recipe of bert4keras's ``examples/task_sentiment_albert.py`` and its relatives: encode the
text, take the first token's vector (or the masked mean, or BERT's pooler), and put a dense
softmax layer on it; the best epoch on dev is kept. ``--am-softmax`` replaces the dense layer
by cosine logits trained with AM-Softmax (scale ``--scale``, margin ``--margin``), and
``--label-smoothing`` smooths the targets.

Data: ``text<TAB>label`` TSV, a CSV with ``label`` and ``text``/``review``/``sentence``
columns, or JSON lines (see :mod:`kexue.tasks.data`). ``predict`` prints
``label<TAB>probability`` per text; ``eval`` prints accuracy and macro-F1.

    kexue task classify train --train train.tsv --dev dev.tsv --out runs/cls --scratch tiny
    kexue task classify predict --model runs/cls texts.txt

Example:
    >>> ordered_labels(["neg", "pos", "neg"]), ordered_labels(["10", "2", "1"])
    (['neg', 'pos'], ['1', '2', '10'])
"""

from __future__ import annotations

import keras
import numpy as np

from kexue.layers.margins import CosineDense
from kexue.layers.pooling import MaskedMeanPooling
from kexue.losses import SparseAMSoftmax, SparseSmoothedCrossentropy
from kexue.tasks.data import DataError, read_labelled_texts
from kexue.tasks.metrics import accuracy, macro_f1
from kexue.tasks.recipe import Recipe

__all__ = ["Classify", "RECIPE", "ordered_labels"]


def ordered_labels(labels) -> list[str]:
    """The distinct labels, in numeric order when they are all numbers, else sorted."""
    distinct = set(labels)
    try:
        return sorted(distinct, key=float)
    except ValueError:
        return sorted(distinct)


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)


class Classify(Recipe):
    name = "classify"
    description = "sentence classification (bert4keras task_sentiment_albert.py and relatives)"
    metric = "accuracy"

    def add_arguments(self, options):
        options.add("--pooling", choices=("cls", "mean", "pooler"), default="cls",
                    help="sentence vector: first token (bert4keras), masked mean, or BERT's pooler")
        options.add("--dropout", type=float, default=0.1, help="dropout before the classifier")
        options.add("--am-softmax", action="store_true",
                    help="cosine logits trained with AM-Softmax instead of a softmax layer")
        options.add("--scale", type=float, default=30.0, help="AM-Softmax scale s")
        options.add("--margin", type=float, default=0.35, help="AM-Softmax margin m")
        options.add("--label-smoothing", type=float, default=0.0, help="label smoothing epsilon")

    def read(self, path, labelled=True):
        return read_labelled_texts(path, labelled)

    def setup(self, examples, ctx):
        labels = ordered_labels(e.label for e in examples)
        if len(labels) < 2:
            raise DataError(f"{examples[0].where.rsplit(':', 1)[0]}: every training example has "
                            f"the label {labels[0]!r}; classification needs at least two labels.")
        return {"labels": labels}

    def check(self, examples, ctx):
        known = set(ctx.settings["labels"])
        for example in examples:
            if example.label is not None and example.label not in known:
                raise DataError(f"{example.where}: label {example.label!r} is not one of the "
                                f"training labels {ctx.settings['labels']}; fix the row or "
                                "retrain with it in the training data.")

    def encode(self, example, ctx):
        token_ids, segment_ids = ctx.tokenizer.encode(example.text, maxlen=ctx.maxlen)
        label = None if example.label is None else ctx.settings["labels"].index(example.label)
        return (token_ids, segment_ids), label

    def build(self, ctx):
        pooling, classes = ctx.options["pooling"], len(ctx.settings["labels"])
        bert = ctx.transformer(with_pool=pooling == "pooler")
        if pooling == "cls":
            x = bert.output[:, 0]
        elif pooling == "mean":
            x = MaskedMeanPooling(ctx.pad_id, name="mean_pooling")(bert.output, token_ids=bert.inputs[0])
        else:
            x = bert.output
        x = keras.layers.Dropout(ctx.options["dropout"], name="classifier_dropout")(x)
        if ctx.options["am_softmax"]:
            output = CosineDense(classes, name="classifier")(x)
        else:
            output = keras.layers.Dense(classes, name="classifier")(x)  # logits
        return keras.Model(bert.inputs, output, name="classifier_model")

    def loss(self, ctx):
        if ctx.options["am_softmax"]:
            return SparseAMSoftmax(scale=ctx.options["scale"], margin=ctx.options["margin"])
        return SparseSmoothedCrossentropy(ctx.options["label_smoothing"], from_logits=True)

    def decode(self, ctx, outputs, items):
        logits = np.asarray(outputs, dtype="float64")
        if ctx.options["am_softmax"]:
            logits = logits * ctx.options["scale"]
        return list(softmax(logits))  # one probability vector per text

    def score(self, ctx, predictions, examples):
        labels = ctx.settings["labels"]
        predicted = [int(np.argmax(p)) for p in predictions]
        gold = [labels.index(e.label) for e in examples]
        return {"accuracy": accuracy(predicted, gold),
                "macro_f1": macro_f1(predicted, gold, labels=range(len(labels)))}

    def format(self, ctx, prediction):
        best = int(np.argmax(prediction))
        return f"{ctx.settings['labels'][best]}\t{prediction[best]:.4f}"


RECIPE = Classify()
