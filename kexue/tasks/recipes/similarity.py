"""Sentence similarity: a cross-encoder (STS-B Spearman), or a siamese encoder trained with AM-Softmax over paraphrase groups.

``--mode cross`` (bert4keras ``task_sentence_similarity_lcqmc.py``): ``[CLS] a [SEP] b [SEP]``
through the Transformer, a linear unit on the first token, trained by mean squared error on the
score scaled to [0, 1] (numeric labels: STS-B's 0-5), or a softmax over the labels (others);
scored by Spearman and Pearson correlation (or accuracy).

``--mode siamese`` (科学空间 5743, "sentence similarity as classification"): one encoder for
single sentences (masked mean of the last layer); the sentences of the training pairs scored at
least ``--group-threshold`` (4 of 5) are joined into paraphrase groups (connected pairs share a
group), each group is a class, and the encoder is trained to classify sentences into their group,
with AM-Softmax over cosine logits (``--loss am-softmax``, s = 30, m = 0.35) or a plain softmax
(``--loss softmax``). It is scored by top-1 retrieval (each sentence of a dev group queries all dev
sentences; a hit is a nearest neighbour from its own group) and by the Spearman correlation of
the cosine of each dev pair with its score.

Data: ``a<TAB>b<TAB>score_or_label`` (or CSV/JSON lines, see :mod:`kexue.tasks.data`).
``predict`` reads ``a<TAB>b`` lines and prints the predicted score (cross) or the cosine
(siamese).

Example:
    >>> pairs = [("a", "b", "5"), ("b", "c", "4"), ("d", "e", "1"), ("e", "f", "4.5")]
    >>> paraphrase_groups(pairs, threshold=4)
    [['a', 'b', 'c'], ['e', 'f']]
"""

from __future__ import annotations

import weakref

import keras
import numpy as np
from keras import ops

from kexue.layers.margins import CosineDense, l2_normalize
from kexue.layers.pooling import MaskedMeanPooling
from kexue.losses import SparseAMSoftmax, SparseSmoothedCrossentropy
from kexue.tasks.data import DataError, LabelledText, read_text_pairs
from kexue.tasks.metrics import accuracy, pearson, spearman, top1_retrieval
from kexue.tasks.recipe import Recipe
from kexue.tasks.recipes.classify import ordered_labels, softmax

__all__ = ["Similarity", "RECIPE", "paraphrase_groups"]


def paraphrase_groups(pairs, threshold: float) -> list[list[str]]:
    """Groups of sentences joined by pairs scored at least ``threshold`` (union-find over
    ``(a, b, score)``), each sorted, groups in order of their first sentence."""
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b, score in pairs:
        if float(score) >= threshold:
            parent[root(a)] = root(b)
    groups: dict[str, list[str]] = {}
    for sentence in parent:
        groups.setdefault(root(sentence), []).append(sentence)
    return sorted((sorted(g) for g in groups.values() if len(g) > 1), key=lambda g: g[0])


def _is_number(value: str) -> bool:
    try:
        float(value)
        return True
    except ValueError:
        return False


class Similarity(Recipe):
    name = "similarity"
    description = "sentence similarity: cross-encoder, or siamese encoder with AM-Softmax over paraphrase groups"
    pair_input = True
    metric = "spearman"
    defaults = {**Recipe.defaults, "maxlen": 64}

    def add_arguments(self, options):
        options.add("--mode", choices=("cross", "siamese"), default="cross",
                    help="score pairs jointly (cross) or compare sentence vectors (siamese)")
        options.add("--loss", choices=("am-softmax", "softmax"), default="am-softmax",
                    help="siamese: classify into paraphrase groups with AM-Softmax or plain softmax")
        options.add("--group-threshold", type=float, default=4.0,
                    help="siamese: pairs scored at least this are paraphrases")
        options.add("--scale", type=float, default=30.0, help="AM-Softmax scale s")
        options.add("--margin", type=float, default=0.35, help="AM-Softmax margin m")

    def read(self, path, labelled=True):
        return read_text_pairs(path, labelled)

    def main_metric(self, ctx):
        if ctx.options["mode"] == "siamese":
            return "top1"
        return "spearman" if ctx.settings["regression"] else "accuracy"

    def setup(self, examples, ctx):
        labels = [e.label for e in examples]
        if ctx.options["mode"] == "siamese":
            if not all(_is_number(v) for v in labels):
                raise DataError(f"{examples[0].where}: --mode siamese needs numeric scores.")
            groups = paraphrase_groups(((e.first, e.second, e.label) for e in examples),
                                       ctx.options["group_threshold"])
            if len(groups) < 2:
                raise DataError(f"{examples[0].where.rsplit(':', 1)[0]}: fewer than 2 paraphrase "
                                f"groups with scores >= {ctx.options['group_threshold']}; lower "
                                "--group-threshold or give more pairs.")
            return {"regression": True, "groups": len(groups), "low": None, "high": None}
        if all(_is_number(v) for v in labels):
            values = [float(v) for v in labels]
            if min(values) == max(values):
                raise DataError(f"{examples[0].where}: every pair has the score {values[0]}.")
            return {"regression": True, "low": min(values), "high": max(values)}
        return {"regression": False, "labels": ordered_labels(labels)}

    def training_examples(self, examples, ctx):
        if ctx.options["mode"] != "siamese":
            return examples
        groups = paraphrase_groups(((e.first, e.second, e.label) for e in examples),
                                   ctx.options["group_threshold"])
        return [LabelledText(text, str(n)) for n, group in enumerate(groups) for text in group]

    def check(self, examples, ctx):
        for example in examples:
            label = example.label
            if label is None:
                continue
            if ctx.settings["regression"] and not _is_number(label):
                raise DataError(f"{example.where}: the score {label!r} is not a number.")
            if not ctx.settings["regression"] and label not in ctx.settings["labels"]:
                raise DataError(f"{example.where}: label {label!r} is not one of the training "
                                f"labels {ctx.settings['labels']}.")

    # -- encoding ----------------------------------------------------------------------------
    def _target(self, label, ctx):
        if label is None:
            return None
        if ctx.settings["regression"]:
            low, high = ctx.settings["low"], ctx.settings["high"]
            return np.float32((float(label) - low) / (high - low))
        return ctx.settings["labels"].index(label)

    def encode(self, example, ctx):
        if isinstance(example, LabelledText):  # a sentence of a paraphrase group (siamese training)
            return ctx.tokenizer.encode(example.text, maxlen=ctx.maxlen), int(example.label)
        if ctx.options["mode"] == "siamese":  # a pair scored by the cosine of its two vectors
            return ((ctx.tokenizer.encode(example.first, maxlen=ctx.maxlen),
                     ctx.tokenizer.encode(example.second, maxlen=ctx.maxlen)), example.label)
        return (ctx.tokenizer.encode(example.first, example.second, maxlen=ctx.maxlen),
                self._target(example.label, ctx))

    def length(self, item):
        inputs = item[0]
        return len(inputs[0]) if isinstance(inputs[0][0], (int, np.integer)) else len(inputs[0][0])

    # -- model -------------------------------------------------------------------------------
    def build(self, ctx):
        bert = ctx.transformer()
        if ctx.options["mode"] == "siamese":
            vector = MaskedMeanPooling(ctx.pad_id, name="sentence_vector")(bert.output, token_ids=bert.inputs[0])
            groups = ctx.settings["groups"]
            if ctx.options["loss"] == "am-softmax":
                output = CosineDense(groups, name="group_cosine")(vector)
            else:
                output = keras.layers.Dense(groups, name="group_logits")(vector)
            return keras.Model(bert.inputs, output, name="siamese_encoder")
        first = bert.output[:, 0]
        units = 1 if ctx.settings["regression"] else len(ctx.settings["labels"])
        return keras.Model(bert.inputs, keras.layers.Dense(units, name="pair_score")(first), name="cross_encoder")

    def loss(self, ctx):
        if ctx.options["mode"] == "siamese":
            if ctx.options["loss"] == "am-softmax":
                return SparseAMSoftmax(scale=ctx.options["scale"], margin=ctx.options["margin"])
            return SparseSmoothedCrossentropy(from_logits=True)
        if ctx.settings["regression"]:
            return keras.losses.MeanSquaredError()
        return SparseSmoothedCrossentropy(from_logits=True)

    # -- prediction and scoring --------------------------------------------------------------
    def predict(self, ctx, model, items):
        if ctx.options["mode"] != "siamese":
            return super().predict(ctx, model, items)
        first = self._vectors(ctx, model, [item[0][0] for item in items])
        second = self._vectors(ctx, model, [item[0][1] for item in items])
        return [float(c) for c in np.sum(first * second, axis=-1)]

    def __init__(self):
        self._encoders = weakref.WeakKeyDictionary()  # model -> its sentence encoder (compiled once)

    def _vectors(self, ctx, model, encoded: list) -> np.ndarray:
        """Unit sentence vectors of encoded sentences (``(token_ids, segment_ids)`` each)."""
        if model not in self._encoders:
            self._encoders[model] = keras.Model(model.inputs, model.get_layer("sentence_vector").output)
        encoder = self._encoders[model]
        items = [(e, None) for e in encoded]
        out = np.zeros((len(items), encoder.output.shape[-1]), "float32")
        for index, x, _ in ctx.batches(items):
            out[index] = keras.ops.convert_to_numpy(l2_normalize(ops.convert_to_tensor(encoder.predict_on_batch(x))))
        return out

    def decode(self, ctx, outputs, items):
        outputs = np.asarray(outputs, "float64")
        if ctx.settings["regression"]:
            low, high = ctx.settings["low"], ctx.settings["high"]
            return [float(low + (high - low) * v) for v in outputs[:, 0]]
        return list(softmax(outputs))

    def evaluate(self, ctx, model, examples, items):
        scores = self.score(ctx, self.predict(ctx, model, items), examples)
        if ctx.options["mode"] == "siamese":
            scores["top1"] = self._retrieval(ctx, model, examples)
        return scores

    def _retrieval(self, ctx, model, examples) -> float:
        """Top-1 retrieval among all the sentences of ``examples``, in paraphrase groups."""
        groups = paraphrase_groups(((e.first, e.second, e.label) for e in examples),
                                   ctx.options["group_threshold"])
        group_of = {text: n for n, group in enumerate(groups) for text in group}
        sentences = sorted({t for e in examples for t in (e.first, e.second)})
        ids = [group_of.get(t, -1 - i) for i, t in enumerate(sentences)]  # singletons: distractors
        vectors = self._vectors(ctx, model, [ctx.tokenizer.encode(t, maxlen=ctx.maxlen) for t in sentences])
        return top1_retrieval(vectors, ids)

    def score(self, ctx, predictions, examples):
        if ctx.settings["regression"]:
            gold = [float(e.label) for e in examples]
            return {"spearman": spearman(predictions, gold), "pearson": pearson(predictions, gold)}
        labels = ctx.settings["labels"]
        predicted = [int(np.argmax(p)) for p in predictions]
        return {"accuracy": accuracy(predicted, [labels.index(e.label) for e in examples])}

    def format(self, ctx, prediction):
        if isinstance(prediction, float):
            return f"{prediction:.4f}"
        best = int(np.argmax(prediction))
        return f"{ctx.settings['labels'][best]}\t{prediction[best]:.4f}"


RECIPE = Similarity()
