"""Named entity recognition with a CRF or (Efficient) GlobalPointer head (bert4keras's task_sequence_labeling_ner_crf.py, the GlobalPointer posts).

``--head crf`` (default) tags every token BIO (or ``--scheme BIOES``) and decodes with a
constrained Viterbi (:mod:`kexue.tasks.crf_tagging`); ``--head globalpointer`` scores every
(start, end) token pair per entity type (:class:`~kexue.layers.GlobalPointer`, trained with
the sparse multilabel cross-entropy; a span is predicted when its score is above 0), and
``--head efficient_globalpointer`` shares the pair projection across types
(:class:`~kexue.layers.EfficientGlobalPointer`). The pointer heads may predict nested
entities; the CRF cannot train on them (one clear error names the row). Each type's constant
score in a pointer head starts at the log share of that type's spans in the training data
(:func:`span_prior`): from random weights GlobalPointer otherwise learned nothing on Weibo.
From scratch the backbone is a RoFormer unless ``--model`` says otherwise.

Data: ``char<TAB or SPACE>tag`` per line with blank lines between sentences, BIO or BIOES
(MSRA, Resume; Weibo's ``char+digit`` form is recognised), or JSON lines
``{"text", "entities": [[start, end, type], ...]}`` (``end`` exclusive). Entities are mapped
onto tokens and back through the tokenizer's character offsets, so predictions slice the
original text exactly (Latin words, digits, full-width characters and spaces included).
``predict`` reads one text per line and prints JSON lines
``{"text", "entities": [[start, end, type, mention], ...]}``; ``eval`` prints entity
precision, recall and F1, overall and per type.

    kexue task ner train --train train.char.bio.tsv --dev dev.char.bio.tsv --out runs/ner \\
        --scratch small --head globalpointer
    echo 王小明在北京大学读书 | kexue task ner predict --model runs/ner

Example:
    >>> entity_line("张三在北京", [(0, 2, "PER"), (3, 5, "LOC")])
    '{"text": "张三在北京", "entities": [[0, 2, "PER", "张三"], [3, 5, "LOC", "北京"]]}'
"""

from __future__ import annotations

import json
import math

import numpy as np

from kexue.tasks.batching import bucket_length, pad_batch
from kexue.tasks.crf_tagging import build_crf_tagger, content_mask, crf_layer, viterbi_tags
from kexue.tasks.data import DataError
from kexue.tasks.prf import set_scores
from kexue.tasks.recipe import Recipe
from kexue.tasks.sequence_data import Annotated, read_entities
from kexue.tasks.span_tagging import content_positions, encode_text, predict_pieces, token_spans
from kexue.tasks.tagging import entity_labels, spans_from_tags, tags_from_spans

__all__ = ["EntityRecognition", "RECIPE", "entity_line"]

HEADS = ("crf", "globalpointer", "efficient_globalpointer")


def entity_line(text: str, entities) -> str:
    """One JSON line of ``predict``: the text and ``[start, end, type, mention]`` entities."""
    listed = [[a, b, kind, text[a:b]] for a, b, kind in entities]
    return json.dumps({"text": text, "entities": listed}, ensure_ascii=False)


def span_prior(examples, types: list[str], longest: int) -> list[float]:
    """The log share of positive spans per entity type in the training data: log(mentions of
    the type / candidate spans, n(n+1)/2 per text of n ≤ ``longest`` characters).

    Both pointer heads start each type's constant score here (the prior initialisation of a
    rare class's bias): the loss then starts near "no entity anywhere" instead of far above
    it, and the first steps do not push every token state alike to lower all scores (see
    :mod:`kexue.layers.pointers`). A type with no training mention counts as having one.

    Example:
        >>> rows = [Annotated("张三在北京", ((0, 2, "PER"), (3, 5, "LOC")))]
        >>> [round(p, 3) for p in span_prior(rows, ["LOC", "PER"], 100)]
        [-2.708, -2.708]
    """
    spans = sum(min(len(e.text), longest) * (min(len(e.text), longest) + 1) // 2 for e in examples)
    counts = {kind: 0 for kind in types}
    for example in examples:
        for _, _, kind in example.entities:
            counts[kind] += 1
    return [math.log(max(counts[kind], 1) / max(spans, 1)) for kind in types]


class EntityRecognition(Recipe):
    name = "ner"
    description = "named entities: CRF or (Efficient) GlobalPointer head"
    metric = "f1"
    scratch_model = "roformer"  # rotary positions: see Recipe.scratch_model
    defaults = {**Recipe.defaults, "epochs": 5, "maxlen": 256, "scratch_lr": 1e-3}

    def add_arguments(self, options):
        options.add("--head", choices=HEADS, default="crf", help="the tagging head")
        options.add("--scheme", choices=("BIO", "BIOES"), default="BIO", help="CRF tag scheme")
        options.add("--head-size", type=int, default=64, help="GlobalPointer query/key size")
        options.add("--crf-lr-multiplier", type=float, default=10.0,
                    help="learning-rate multiplier of the CRF transitions")
        options.add("--dropout", type=float, default=0.1, help="dropout before the head")

    def read(self, path, labelled=True):
        return read_entities(path, labelled)

    def read_inputs(self, path):
        from kexue.tasks.data import read_input_lines

        return [Annotated(e.text, None, e.where) for e in read_input_lines(path)]

    def setup(self, examples, ctx):
        types = sorted({kind for e in examples for _, _, kind in e.entities})
        if not types:
            raise DataError(f"{examples[0].where.rsplit(':', 1)[0]}: the training data has no "
                            "entities; NER needs labelled entities to learn from.")
        settings = {"types": types, "labels": entity_labels(types, ctx.options["scheme"])}
        if ctx.options["head"] != "crf":  # the pointer's starting score offsets (span_prior);
            # GlobalPointer runs saved without this key were built without offsets
            settings["pointer_prior"] = span_prior(examples, types, ctx.maxlen - 2)
        return settings

    def check(self, examples, ctx):
        known = set(ctx.settings["types"])
        for example in examples:
            for _, _, kind in example.entities or ():
                if kind not in known:
                    raise DataError(f"{example.where}: entity type {kind!r} is not one of the "
                                    f"training types {ctx.settings['types']}.")

    # -- encoding ------------------------------------------------------------------------------
    def encode(self, example, ctx):
        encoded = encode_text(ctx, example.text)
        target = None
        if example.entities is not None:
            spans = token_spans(encoded.offsets, example.entities)
            if ctx.options["head"] == "crf":
                target = self._tags(example, ctx, spans, len(encoded.token_ids))
            else:
                types = ctx.settings["types"]
                target = sorted({(types.index(kind), first, last) for first, last, kind in spans})
        return (encoded.token_ids, encoded.segment_ids), target, example.text

    def _tags(self, example, ctx, spans, length) -> list[int]:
        labels = ctx.settings["labels"]
        try:
            tags = tags_from_spans(length, [(a, b + 1, kind) for a, b, kind in set(spans)],
                                   ctx.options["scheme"])
        except ValueError:
            raise DataError(f"{example.where}: entities overlap, which a CRF cannot tag; use "
                            "--head globalpointer or remove the nested entity.") from None
        return [labels.index(t) for t in tags]

    def collate(self, ctx, items, length, rng):
        if ctx.options["head"] == "crf" or items[0][1] is None:
            return pad_batch(items, length, ctx.pad_id)
        x, _ = pad_batch([(item[0], None) for item in items], length, ctx.pad_id)
        heads = len(ctx.settings["types"])
        most = max([1] + [sum(1 for h, _, _ in item[1] if h == head) for item in items
                          for head in range(heads)])
        most = bucket_length(most, 1 << 20, smallest=4)  # a few shapes, so JAX traces few steps
        y = np.zeros((len(items), heads, most, 2), "int32")  # padded with the span (0, 0)
        for row, item in enumerate(items):
            filled = [0] * heads
            for head, first, last in item[1]:
                if last < length:
                    y[row, head, filled[head]] = (first, last)
                    filled[head] += 1
        return x, y

    # -- model ---------------------------------------------------------------------------------
    def build(self, ctx):
        head, options = ctx.options["head"], ctx.options
        if head == "crf":
            return build_crf_tagger(ctx, len(ctx.settings["labels"]), options["crf_lr_multiplier"],
                                    options["dropout"])
        import keras

        from kexue.layers import EfficientGlobalPointer, GlobalPointer

        bert = ctx.transformer()
        x = keras.layers.Dropout(options["dropout"], name="pointer_dropout")(bert.output)
        types, size = len(ctx.settings["types"]), options["head_size"]
        prior = ctx.settings.get("pointer_prior")
        if head == "globalpointer":
            pointer = GlobalPointer(types, size, offset=prior is not None, name="pointer")
        else:
            pointer = EfficientGlobalPointer(types, size, name="pointer")
        output = pointer(x, mask=content_mask(bert.inputs[0], ctx))
        model = keras.Model(bert.inputs, output, name="pointer_tagger")
        if prior is not None:  # each type's constant score starts at its prior
            prior = np.asarray(prior, "float32")
            if head == "globalpointer":
                pointer.offsets.assign(prior)
            else:  # the type's start and end biases, which the layer adds and halves
                pointer.q_dense.bias.assign(np.repeat(prior, 2))
        return model

    def compile_loss(self, ctx, model):
        if ctx.options["head"] == "crf":
            return crf_layer(model).sparse_loss
        from kexue.losses.multilabel import sparse_global_pointer_crossentropy

        return sparse_global_pointer_crossentropy

    # -- prediction ------------------------------------------------------------------------------
    def predict(self, ctx, model, items):
        texts = [item[2] for item in items]
        decode = self._crf_decoder(ctx, model) if ctx.options["head"] == "crf" else self._pointer_decoder(ctx)
        found = predict_pieces(ctx, model, texts, decode)
        return [(text, tuple(entities)) for text, entities in zip(texts, found)]

    def _crf_decoder(self, ctx, model):
        import keras

        trans = keras.ops.convert_to_numpy(crf_layer(model).trans)
        labels, scheme = ctx.settings["labels"], ctx.options["scheme"]

        def decode(nodes, encoded):
            positions = content_positions(encoded.offsets)
            tags = [labels[t] for t in viterbi_tags(nodes[positions], trans, labels, scheme)]
            return [(encoded.offsets[positions[a]][0], encoded.offsets[positions[b - 1]][1], kind)
                    for a, b, kind in spans_from_tags(tags, scheme)]

        return decode

    def _pointer_decoder(self, ctx):
        types = ctx.settings["types"]

        def decode(scores, encoded):
            n = len(encoded.offsets)
            heads, firsts, lasts = np.nonzero(scores[:, :n, :n] > 0)
            return [(encoded.offsets[a][0], encoded.offsets[b][1], types[h])
                    for h, a, b in zip(heads.tolist(), firsts.tolist(), lasts.tolist())
                    if encoded.offsets[a][1] > encoded.offsets[a][0] and a <= b]

        return decode

    def score(self, ctx, predictions, examples):
        return set_scores([entities for _, entities in predictions], [e.entities for e in examples],
                          key=lambda span: span[2])

    def format(self, ctx, prediction):
        return entity_line(*prediction)


RECIPE = EntityRecognition()
