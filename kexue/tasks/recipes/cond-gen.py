"""Conditional text generation: an LM whose LayerNorms are conditioned on the class (7124).

科学空间 7124 ("基于Conditional Layer Normalization的条件文本生成", bert4keras
``task_conditional_language_model.py``): a BERT-family Transformer with the left-to-right LM
mask, whose every LayerNorm takes its gain and bias from the class
(``build_transformer_model(..., layer_norm_cond=...)``; the condition projections start at
zero, so a pretrained checkpoint loads unchanged). Trained as a language model on labelled
texts, it then writes text of a requested class.

Dev is scored by teacher forcing: ``log_likelihood`` (mean log-probability per token given the
true label; the best epoch is kept), its ``perplexity``, and ``label_accuracy``: the label
under which the text is most likely (the LM as a classifier; chance is 1/classes) — a check
that the condition is used. ``predict`` reads one label per line and writes one generated text
per line, sampled (``--top-p 0.95`` by default; ``--greedy``, ``--top-k``, ``--temperature``,
``--decoder``). Decoding is KV-cached by folding each label's condition into plain
LayerNorms (:mod:`kexue.tasks.condition_folding`); ``--decoder uncached`` re-runs the
conditional model itself.

    kexue task cond-gen train --train train.tsv --dev dev.tsv --out runs/cg --scratch tiny
    printf '1\\n1\\n0\\n' | kexue task cond-gen predict --model runs/cg

Example:
    >>> RECIPE.metric
    'log_likelihood'
"""

from __future__ import annotations

import dataclasses

import keras
import numpy as np

from kexue.tasks.data import DataError, LabelledText, read_input_lines, read_labelled_texts
from kexue.tasks.generation_cli import GenerationRecipe, declare_decoding, decoding_options
from kexue.tasks.recipe import Recipe
from kexue.tasks.recipes.classify import ordered_labels
from kexue.tasks.seq2seq_decoding import RecomputeDecoder, cached_generate, fixed_width

__all__ = ["ConditionalGeneration", "RECIPE"]

ACTIVATION = "swish"  # of the condition's hidden layer, as bert4keras's example


class ConditionalGeneration(GenerationRecipe, Recipe):
    name = "cond-gen"
    description = "class-conditional text generation with Conditional LayerNorm (7124)"
    metric = "log_likelihood"
    defaults = {**Recipe.defaults, "epochs": 5, "batch_size": 32, "maxlen": 128, "lr": 2e-5,
                "scratch_lr": 1e-3}

    def add_arguments(self, options):
        options.add("--condition-size", type=int, default=128,
                    help="width of each norm's condition layer (its input: the class as one-hot)")
        options.add("--max-new", type=int, default=64, help="longest generated text in tokens")
        declare_decoding(options, top_p=0.95)

    # -- data --------------------------------------------------------------------------------
    def read(self, path, labelled=True):
        return read_labelled_texts(path, labelled)

    def read_inputs(self, path):
        return [LabelledText("", e.text.strip(), e.where) for e in read_input_lines(path)]

    def setup(self, examples, ctx):
        labels = ordered_labels(e.label for e in examples)
        if len(labels) < 2:
            raise DataError(f"{examples[0].where.rsplit(':', 1)[0]}: every training example has the "
                            f"label {labels[0]!r}; conditional generation needs at least two classes.")
        return {"labels": labels, "cls_id": ctx.tokenizer.token_to_id("[CLS]"),
                "end_id": ctx.tokenizer.token_to_id("[SEP]")}

    def check(self, examples, ctx):
        for example in examples:
            if example.label not in ctx.settings["labels"]:
                raise DataError(f"{example.where}: label {example.label!r} is not one of the training "
                                f"labels {ctx.settings['labels']}.")

    def encode(self, example, ctx):
        if example.label not in ctx.settings["labels"]:
            raise DataError(f"{example.where}: label {example.label!r} is not one of the training "
                            f"labels {ctx.settings['labels']}.")
        label = ctx.settings["labels"].index(example.label)
        if not example.text:  # a generation request: the prompt is [CLS]
            return ([ctx.settings["cls_id"]], [0], label), None
        token_ids = list(ctx.tokenizer.encode(example.text, maxlen=ctx.maxlen)[0])
        return (token_ids, [0] * len(token_ids), label), token_ids[1:] + [0]

    # -- model -------------------------------------------------------------------------------
    def build(self, ctx):
        size = ctx.options["condition_size"]
        label = keras.Input((), dtype="int32", name="label")
        # the class as a one-hot vector; each norm's bias-free condition layer then holds one
        # learned vector per class (bert4keras's shared label embedding followed by that layer
        # is the same family of functions), and no weight lies outside the backbone's norms,
        # so a checkpoint still loads strictly
        condition = keras.layers.CategoryEncoding(len(ctx.settings["labels"]), output_mode="one_hot",
                                                  name="label_one_hot")(label)
        return ctx.transformer(application="lm", with_mlm="linear", layer_norm_cond=condition,
                               layer_norm_cond_hidden_size=size, layer_norm_cond_hidden_act=ACTIVATION,
                               additional_input_layers=[label])

    # -- scoring -----------------------------------------------------------------------------
    def evaluate(self, ctx, model, examples, items):
        """Teacher-forced log-likelihood under the true label, and the most likely label."""
        classes = len(ctx.settings["labels"])
        totals = np.zeros((len(items), classes))
        counts = np.zeros(len(items))
        for index, (token_ids, segment_ids, labels), y in ctx.batches(items):
            mask = y != 0
            counts[index] = mask.sum(axis=1)
            for c in range(classes):
                logits = np.asarray(model.predict_on_batch([token_ids, segment_ids, np.full_like(labels, c)]),
                                    "float64")
                logp = logits - np.logaddexp.reduce(logits, axis=-1, keepdims=True)
                picked = np.take_along_axis(logp, y[..., None].astype(int), axis=-1)[..., 0]
                totals[index, c] = (picked * mask).sum(axis=1)
        gold = np.array([item[0][2] for item in items])
        log_likelihood = totals[np.arange(len(items)), gold].sum() / counts.sum()
        return {"log_likelihood": float(log_likelihood), "perplexity": float(np.exp(-log_likelihood)),
                "label_accuracy": float(np.mean(totals.argmax(axis=1) == gold))}

    # -- generation --------------------------------------------------------------------------
    def _plain(self, ctx):
        def make(model):
            from kexue.decoding import CachedDecoder

            plain = ctx.backbone.without_weights().build(application="lm", with_mlm="linear")
            return plain, CachedDecoder(plain)

        return make

    def generate_ids(self, ctx, model, labels: list[int], cached: bool | None = None) -> list[list[int]]:
        """Generated token ids (without [CLS] and the end token) for each label index."""
        from kexue.tasks.condition_folding import fold_condition

        options = decoding_options(ctx, ctx.options["max_new"], ctx.settings["end_id"])
        choice = ctx.options.get("decoder") or "auto"
        cls_id = ctx.settings["cls_id"]
        outputs: list = [None] * len(labels)
        uncached = choice == "uncached" if cached is None else not cached
        if uncached:
            width = options.max_new_tokens + 1

            def next_logits(sources, output_ids):
                tokens = fixed_width(np.concatenate([np.full((len(sources), 1), cls_id), output_ids], 1), width)
                label = np.array([s[0] for s in sources], "int32")
                logits = model.predict_on_batch([tokens, np.zeros_like(tokens), label])
                return np.asarray(logits)[:, output_ids.shape[1]]

            decoder = RecomputeDecoder(next_logits, options)
            return decoder.decode([[label] for label in labels], ctx.batch_size)
        plain, decoder = self.decoders.get(model, self._plain(ctx))
        for label in sorted(set(labels)):
            fold_condition(model, plain, np.eye(len(ctx.settings["labels"]))[label], activation=ACTIVATION)
            rows = [i for i, wanted in enumerate(labels) if wanted == label]
            # one seed per class, so the classes' samples differ
            per_label = dataclasses.replace(options, seed=options.seed * 1000 + label)
            texts = cached_generate(decoder, [[cls_id]] * len(rows), per_label, ctx.batch_size, ctx.maxlen)
            for i, text in zip(rows, texts):
                outputs[i] = text
        return outputs

    def predict(self, ctx, model, items):
        labels = [item[0][2] for item in items]
        return [ctx.tokenizer.decode(ids) for ids in self.generate_ids(ctx, model, labels)]


RECIPE = ConditionalGeneration()
