"""Relation triples (subject, predicate, object) with subject pointers, Conditional LayerNorm and object pointers per predicate (bert4keras's task_relation_extraction.py, post 7161).

The "half pointer, half tagging" scheme: two sigmoid pointers per token mark subject starts and
ends; one subject's start and end vectors condition the hidden states through a Conditional
LayerNorm (:class:`~kexue.layers.LayerNorm` with ``conditional=True``); then two pointers per
token *and predicate* mark the starts and ends of that subject's objects. The pointers predict
pⁿ (n = 2 for subjects, 4 for objects), decoded with the post's thresholds (start > 0.6,
end > 0.5, each start paired with the nearest end after it). Training picks one subject per
sentence at random (a start and any end after it, as bert4keras does), from a generator
seeded per step, so a resumed run repeats it. ``--no-cln`` adds a projection of the subject
vector to the hidden states before a plain LayerNorm instead (the post's comparison); use
``--ema`` (the post: 0.999, which needs thousands of steps) for the averaged weights.

Data: JSON lines ``{"text", "spo_list": [...]}`` with DuIE's ``{"subject", "predicate",
"object": {"@value": ...}}`` (or ``"object": "..."``) items, or ``[subject, predicate,
object]`` lists. ``--schema`` names DuIE's schema file (a JSON array or JSON lines of
``{"predicate", ...}``) to fix the predicate set; otherwise it comes from the training data.
``predict`` reads one text per line and prints JSON lines ``{"text", "spo_list": [{"subject",
"predicate", "object", "subject_span", "object_span"}]}`` (spans are character offsets,
end exclusive); ``eval`` prints exact-triple precision, recall and F1.

    kexue task triples train --train train.jsonl --dev dev.jsonl --out runs/spo --scratch small \\
        --schema duie_schema.json --ema 0.99

Example:
    >>> pair_pointers(np.array([0.9, 0.1, 0.7, 0.2]), np.array([0.1, 0.6, 0.2, 0.8]))
    [(0, 1), (2, 3)]
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
from keras import ops

from kexue.layers import LayerNorm
from kexue.tasks.batching import pad_batch
from kexue.tasks.data import DataError, _open_text, json_text_records
from kexue.tasks.prf import set_scores
from kexue.tasks.recipe import Recipe
from kexue.tasks.span_tagging import content_positions, encode_text

__all__ = ["Triples", "RECIPE", "Sentence", "read_triples", "read_schema", "pair_pointers",
           "PointerCrossentropy", "SpanEnds"]

SUBJECT_POWER, OBJECT_POWER = 2, 4
START_THRESHOLD, END_THRESHOLD = 0.6, 0.5


@dataclass(frozen=True)
class Sentence:
    """A text and its triples ``(subject, predicate, object)`` (``None`` when unlabelled)."""

    text: str
    triples: tuple | None
    where: str = ""


def _triple(where: str, item) -> tuple[str, str, str]:
    if isinstance(item, (list, tuple)) and len(item) == 3:
        subject, predicate, obj = item
    elif isinstance(item, dict) and {"subject", "predicate", "object"} <= set(item):
        subject, predicate, obj = item["subject"], item["predicate"], item["object"]
        if isinstance(obj, dict):
            obj = obj.get("@value")
    else:
        raise DataError(f"{where}: each spo_list item is {{\"subject\", \"predicate\", \"object\"}} "
                        f"or [subject, predicate, object], got {item!r}.")
    if not all(isinstance(v, str) and v for v in (subject, predicate, obj)):
        raise DataError(f"{where}: triple {item!r} needs a non-empty subject, predicate and object.")
    return subject, predicate, obj


def read_triples(path, labelled: bool = True) -> list[Sentence]:
    """JSON lines of texts and their ``spo_list`` (see the module docstring)."""
    path = Path(path)
    out = []
    for where, record in json_text_records(path):
        triples = None
        if labelled:
            if not isinstance(record.get("spo_list"), list):
                raise DataError(f"{where}: the object has no \"spo_list\" list.")
            triples = tuple(dict.fromkeys(_triple(where, item) for item in record["spo_list"]))
        out.append(Sentence(record["text"], triples, where))
    if not out:
        raise DataError(f"{path} is empty: it holds no examples.")
    return out


def read_schema(path) -> list[str]:
    """The predicates of a schema file, in file order without repeats."""
    path = Path(path)
    text = "".join(line + "\n" for _, line in _open_text(path))
    try:
        records = json.loads(text)
    except json.JSONDecodeError:
        records = [json.loads(line) for line in text.splitlines() if line.strip()]
    predicates = [r.get("predicate") for r in records if isinstance(r, dict)]
    if not predicates or not all(isinstance(p, str) and p for p in predicates):
        raise DataError(f"--schema {path}: expected JSON objects with a \"predicate\" each.")
    return list(dict.fromkeys(predicates))


def pair_pointers(starts: np.ndarray, ends: np.ndarray, start_threshold: float = START_THRESHOLD,
                  end_threshold: float = END_THRESHOLD) -> list[tuple[int, int]]:
    """Spans ``(first, last)``: each position whose start score passes, with the nearest
    position at or after it whose end score passes."""
    ending = np.nonzero(ends > end_threshold)[0]
    out = []
    for first in np.nonzero(starts > start_threshold)[0]:
        after = ending[ending >= first]
        if len(after):
            out.append((int(first), int(after[0])))
    return out


def pointer_rates(examples, predicates: int, longest: int) -> list[float]:
    """The shares of positive pointer targets in the training data: subject boundaries per
    token, and object boundaries per token and predicate given one subject.

    The pointers' biases start where their outputs pⁿ equal these rates (the prior
    initialisation of a rare class): with zero biases every output starts at 0.5ⁿ, the loss is
    ruled by thousands of negative targets, and from random weights the model first learns to
    predict no triple at all (DuIE: dev F1 0 for 7 of 25 epochs).

    Example:
        >>> rows = [Sentence("张三生于北京", (("张三", "出生地", "北京"),))]
        >>> [round(r, 4) for r in pointer_rates(rows, predicates=2, longest=126)]
        [0.1667, 0.0833]
    """
    tokens = subjects = triples = 0
    for example in examples:
        tokens += min(len(example.text), longest)
        subjects += len({s for s, _, _ in example.triples})
        triples += len(example.triples)
    subject_rate = subjects / max(tokens, 1)
    object_rate = triples / max(subjects, 1) / max(tokens / max(len(examples), 1), 1) / predicates
    return [max(subject_rate, 1e-6), max(object_rate, 1e-6)]


def _starting_bias(rates, which: int, power: int):
    """The bias initializer that makes sigmoid(bias)ⁿ equal ``rates[which]`` (zeros when the
    run has no rates)."""
    if rates is None:
        return "zeros"
    probability = rates[which] ** (1 / power)
    return keras.initializers.Constant(float(np.log(probability / (1 - probability))))


@keras.saving.register_keras_serializable(package="kexue")
class PointerCrossentropy(keras.losses.Loss):
    """Binary cross-entropy of pointer probabilities, averaged over the last axis, summed over
    the others but the position, and averaged over real positions (targets < 0 are padding)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("name", "pointer_crossentropy")
        super().__init__(**kwargs)

    def call(self, y_true, y_pred):
        y_true = ops.cast(y_true, "float32")
        y_pred = ops.clip(ops.cast(y_pred, "float32"), 1e-7, 1 - 1e-7)
        valid = ops.cast(y_true >= 0, "float32")
        target = ops.maximum(y_true, 0.0)
        loss = -(target * ops.log(y_pred) + (1 - target) * ops.log(1 - y_pred)) * valid
        loss = ops.mean(loss, axis=-1)
        while len(loss.shape) > 2:
            loss = ops.sum(loss, axis=-1)
        mask = valid[..., 0] if len(valid.shape) == 3 else valid[..., 0, 0]
        return ops.sum(loss, axis=1) / ops.maximum(ops.sum(mask, axis=1), 1.0)


@keras.saving.register_keras_serializable(package="kexue")
class SpanEnds(keras.layers.Layer):
    """The hidden vectors at a span's first and last token, concatenated: ``(batch, 2·hidden)``
    from hidden states ``(batch, length, hidden)`` and ``(batch, 2)`` positions. The output is one
    vector per sentence, so the padding mask of ``hidden`` ends here."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, hidden, span, mask=None):
        index = ops.cast(span, "int32")[:, :, None]
        picked = ops.take_along_axis(hidden, ops.broadcast_to(index, (ops.shape(hidden)[0], 2, ops.shape(hidden)[2])), axis=1)
        return ops.reshape(picked, (ops.shape(hidden)[0], 2 * hidden.shape[-1]))

    def compute_mask(self, hidden, span=None, mask=None):
        return None

    def compute_output_shape(self, hidden_shape, span_shape):
        return (hidden_shape[0], 2 * hidden_shape[-1])


def _locate(encoded, text: str, mention: str) -> tuple[int, int] | None:
    """The tokens of the first occurrence of ``mention`` in ``text`` (``None``: absent or cut)."""
    from kexue.tasks.offsets import token_span

    start = text.find(mention)
    return None if start < 0 else token_span(encoded.offsets, start, start + len(mention))


def _content_only(scores: np.ndarray, positions: list[int]) -> np.ndarray:
    kept = np.zeros_like(scores)
    kept[positions] = scores[positions]
    return kept


class Triples(Recipe):
    name = "triples"
    description = "relation triples: subject pointers, Conditional LayerNorm, object pointers (post 7161)"
    metric = "f1"
    scratch_model = "roformer"  # rotary positions: see Recipe.scratch_model
    defaults = {**Recipe.defaults, "epochs": 10, "maxlen": 128, "scratch_lr": 1e-3}

    def add_arguments(self, options):
        options.add("--schema", help="the predicate schema (DuIE's duie_schema.json)")
        options.add("--no-cln", action="store_true",
                    help="condition by adding the subject vector before a plain LayerNorm, not by CLN")

    def read(self, path, labelled=True):
        return read_triples(path, labelled)

    def read_inputs(self, path):
        from kexue.tasks.data import read_input_lines

        return [Sentence(e.text, None, e.where) for e in read_input_lines(path)]

    def setup(self, examples, ctx):
        schema = ctx.options.get("schema")
        if schema:
            predicates = read_schema(schema)
        else:
            predicates = sorted({p for e in examples for _, p, _ in e.triples})
        if not predicates:
            raise DataError(f"{examples[0].where.rsplit(':', 1)[0]}: no triples to learn from.")
        settings = {"predicates": predicates}
        self.check(examples, type("Context", (), {"settings": settings})())
        # the pointers start at the data's rates of positive positions (runs saved without
        # the key were built with zero biases)
        settings["pointer_rates"] = pointer_rates(examples, len(predicates), ctx.maxlen - 2)
        return settings

    def check(self, examples, ctx):
        known = set(ctx.settings["predicates"])
        for example in examples:
            for _, predicate, _ in example.triples or ():
                if predicate not in known:
                    raise DataError(f"{example.where}: predicate {predicate!r} is not in the "
                                    "schema; fix the row or the --schema file.")

    def encode(self, example, ctx):
        encoded = encode_text(ctx, example.text)
        meta = {"text": example.text, "offsets": encoded.offsets}
        spoes = None
        if example.triples is not None:
            predicates = ctx.settings["predicates"]
            spoes = []
            for subject, predicate, obj in example.triples:
                s, o = _locate(encoded, example.text, subject), _locate(encoded, example.text, obj)
                if s is not None and o is not None:
                    spoes.append((*s, predicates.index(predicate), *o))
            spoes = tuple(spoes)
        return (encoded.token_ids, encoded.segment_ids), spoes, meta

    def collate(self, ctx, items, length, rng):
        x, _ = pad_batch([(item[0], None) for item in items], length, ctx.pad_id)
        count, predicates = len(items), len(ctx.settings["predicates"])
        subject_ids = np.zeros((count, 2), "int32")
        if items[0][1] is None:  # prediction: the subject to condition on, if any
            for row, item in enumerate(items):
                subject_ids[row] = item[2].get("subject", (0, 0))
            return [*x, subject_ids], None
        subject_labels = np.full((count, length, 2), -1.0, "float32")  # -1: padding
        object_labels = np.full((count, length, predicates, 2), -1.0, "float32")
        for row, (inputs, spoes, _) in enumerate(items):
            n = len(inputs[0])
            subject_labels[row, :n] = 0
            object_labels[row, :n] = 0
            subjects = sorted({(a, b) for a, b, _, _, _ in spoes})
            for a, b in subjects:
                subject_labels[row, a, 0] = subject_labels[row, b, 1] = 1
            if not subjects:
                continue
            starts, ends = np.array(subjects).T
            start = rng.choice(starts)
            end = rng.choice(ends[ends >= start])  # not always a real subject: on purpose (bert4keras)
            subject_ids[row] = (start, end)
            for a, b, p, c, d in spoes:
                if (a, b) == (start, end):
                    object_labels[row, c, p, 0] = object_labels[row, d, p, 1] = 1
        return [*x, subject_ids], (subject_labels, object_labels)

    def build(self, ctx):
        bert = ctx.transformer()
        hidden = bert.output
        size = hidden.shape[-1]
        subject_ids = keras.Input((2,), dtype="int32", name="subject_ids")
        rates = ctx.settings.get("pointer_rates")
        subject = keras.layers.Dense(2, activation="sigmoid", name="subject_pointers",
                                     bias_initializer=_starting_bias(rates, 0, SUBJECT_POWER))(hidden)
        subject = ops.power(subject, SUBJECT_POWER)
        ends = SpanEnds(name="subject_vector")(hidden, subject_ids)
        if ctx.options["no_cln"]:
            added = keras.layers.Dense(size, name="subject_projection")(ends)
            conditioned = LayerNorm(name="subject_norm")(hidden + ops.expand_dims(added, 1))
        else:
            conditioned = LayerNorm(conditional=True, name="subject_norm")(hidden, condition=ends)
        count = len(ctx.settings["predicates"])
        obj = keras.layers.Dense(2 * count, activation="sigmoid", name="object_pointers",
                                 bias_initializer=_starting_bias(rates, 1, OBJECT_POWER))(conditioned)
        obj = keras.layers.Reshape((-1, count, 2), name="per_predicate")(ops.power(obj, OBJECT_POWER))
        return keras.Model([*bert.inputs, subject_ids], [subject, obj], name="triple_extractor")

    def loss(self, ctx):
        return [PointerCrossentropy(), PointerCrossentropy()]

    def predict(self, ctx, model, items):
        items = [(item[0], None, item[2]) for item in items]
        jobs = []
        for batch, x, _ in ctx.batches(items):
            subjects = np.asarray(model.predict_on_batch(x)[0])
            for row, i in enumerate(batch):
                positions = content_positions(items[i][2]["offsets"])
                scores = _content_only(subjects[row, : len(items[i][0][0])], positions)
                jobs += [(i, span) for span in pair_pointers(scores[:, 0], scores[:, 1])]
        conditioned = [(items[i][0], None, {**items[i][2], "subject": span}) for i, span in jobs]
        found: list[set] = [set() for _ in items]
        predicates = ctx.settings["predicates"]
        for batch, x, _ in ctx.batches(conditioned):
            objects = np.asarray(model.predict_on_batch(x)[1])
            for row, j in enumerate(batch):
                i, (a, b) = jobs[j]
                offsets = items[i][2]["offsets"]
                scores = _content_only(objects[row, : len(offsets)], content_positions(offsets))
                for p in range(len(predicates)):
                    for c, d in pair_pointers(scores[:, p, 0], scores[:, p, 1]):
                        found[i].add(((offsets[a][0], offsets[b][1]), predicates[p],
                                      (offsets[c][0], offsets[d][1])))
        return [(item[2]["text"], tuple(sorted(spo))) for item, spo in zip(items, found)]

    @staticmethod
    def strings(text: str, spoes) -> set:
        return {(text[s[0]:s[1]], p, text[o[0]:o[1]]) for s, p, o in spoes}

    def score(self, ctx, predictions, examples):
        def norm(triples):
            return {tuple(part.lower() for part in triple) for triple in triples}

        predicted = [norm(self.strings(text, spoes)) for text, spoes in predictions]
        scores = set_scores(predicted, [norm(e.triples) for e in examples])
        return {k: scores[k] for k in ("f1", "precision", "recall")}

    def format(self, ctx, prediction):
        text, spoes = prediction
        listed = [{"subject": text[s[0]:s[1]], "predicate": p, "object": text[o[0]:o[1]],
                   "subject_span": list(s), "object_span": list(o)} for s, p, o in spoes]
        return json.dumps({"text": text, "spo_list": listed}, ensure_ascii=False)


RECIPE = Triples()
