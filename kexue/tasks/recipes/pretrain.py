"""Pretraining on raw text: RoBERTa-style dynamic masked LM (optionally whole-word, jieba) or GPT-style LM.

    kexue task pretrain mlm --corpus a.txt b.txt --out runs/mlm --scratch tiny [--steps N]
        [--maxlen N --batch-size N --lr X --seed N --resume --whole-word --mask-rate 0.15]
    kexue task pretrain lm --corpus a.txt --out runs/lm --scratch tiny [--model bert|roformer|...]

The corpus lines (blank lines ignored) are cut at punctuation into pieces that fit ``--maxlen``
and consecutive pieces of a file are packed into segments of up to ``--maxlen`` tokens; 1% of
the segments (at most 2,000) are held out to score the model. ``mlm`` masks 15% of the tokens
of every segment afresh at every step (80% ``[MASK]``, 10% random, 10% kept; ``--whole-word``
masks whole jieba words) and predicts them from the masked positions only (the output layer
runs on those rows, not on every token); ``lm`` uses the left-to-right mask (bert4keras's
``application='lm'``) and predicts every next token. With ``--scratch`` the vocabulary is the
corpus' characters seen at least ``--min-count`` times.

The run folder is a Hugging Face model folder (``config.json``, ``model.safetensors``,
``vocab.txt``, ``tokenizer_config.json``, written by :func:`kexue.checkpoints.save_pretrained`
with the best weights on the held-out segments) plus ``task.json``, ``metrics.json`` and
``curve.csv``: ``transformers`` loads it (``BertForMaskedLM`` / ``BertLMHeadModel``, ...) and any
recipe takes it as ``--checkpoint``.

Example:
    >>> pack(["一二三，四五六。", "七八", "九"], 6)
    ['一二三，', '四五六。', '七八 九']
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import keras
import numpy as np
from keras import ops

from kexue.data import text_segmentate
from kexue.tasks.data import DataError
from kexue.tasks.masking import mask_tokens, max_masked, word_index
from kexue.tasks.recipe import Recipe

__all__ = ["Pretrain", "RECIPE", "pack", "read_corpus"]

SEPARATORS = "\n。！？!?；;，,、 "


def pack(lines, length: int) -> list[str]:
    """Pieces of at most ``length`` characters (cut at punctuation), consecutive pieces joined
    with a space while they fit."""
    segments, current = [], ""
    for line in lines:
        for piece in text_segmentate(line, length, SEPARATORS):
            while len(piece) > length:  # no separator left: cut hard
                segments.append(piece[:length])
                piece = piece[length:]
            if not piece:
                continue
            if current and len(current) + 1 + len(piece) > length:
                segments.append(current)
                current = ""
            current = f"{current} {piece}" if current else piece
    if current:
        segments.append(current)
    return segments


def read_corpus(paths, length: int) -> list[str]:
    """The packed segments of text files (UTF-8, one paragraph or document per line)."""
    segments = []
    for path in [paths] if isinstance(paths, (str, Path)) else paths:
        path = Path(path)
        if not path.is_file():
            raise DataError(f"--corpus {path}: no such file.")
        try:
            lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
        except UnicodeDecodeError as error:
            raise DataError(f"{path}: not UTF-8 text (byte {error.start}); convert it to UTF-8.") from None
        found = pack((line for line in lines if line), length)
        if not found:
            raise DataError(f"{path} is empty: it holds no text.")
        segments += found
    return segments


class Pretrain(Recipe):
    name = "pretrain"
    description = "masked-LM or left-to-right LM pretraining on raw text, written as a Hugging Face folder"
    metric = "accuracy"
    defaults = {"epochs": 1, "batch_size": 32, "maxlen": 128, "lr": 5e-5, "scratch_lr": 5e-4}
    # the export must tokenise the same in transformers, whose BertTokenizer does not fold widths
    fold_width = False

    def command_line(self, actions):
        from kexue.tasks.commands import add_train_arguments

        for objective, text in (("mlm", "masked LM (dynamic masking; --whole-word with jieba)"),
                                ("lm", "left-to-right LM (GPT-style, bert4keras application='lm')")):
            parser = actions.add_parser(objective, help=text, description=f"Pretrain a {text}.")
            parser.add_argument("--corpus", nargs="+", required=True, metavar="FILE",
                                help="UTF-8 text files, one paragraph or document per line")
            parser.add_argument("--steps", type=int, help="train this many steps (instead of --epochs)")
            parser.add_argument("--min-count", type=int, default=1,
                                help="with --scratch: keep characters seen at least this often")
            add_train_arguments(parser, self, data=False)
            parser.set_defaults(func=run_pretrain, objective=objective)

    def add_arguments(self, options):
        options.add("--mask-rate", type=float, default=0.15, help="fraction of tokens masked (mlm)")
        options.add("--whole-word", action="store_true", help="mask whole jieba words (mlm)")

    def __init__(self, segment_length: int = 126):
        self.segment_length = segment_length  # characters per segment: --maxlen less [CLS], [SEP]

    def read(self, paths, labelled=True):
        return read_corpus(paths, self.segment_length)

    def holdout(self, examples, seed):
        order = np.random.default_rng([seed, 99]).permutation(len(examples))
        size = min(2000, max(1, len(examples) // 100))
        if len(examples) < 2:
            raise DataError("the corpus holds fewer than 2 segments; give more text.")
        dev = sorted(order[:size].tolist())
        held = set(dev)
        return [e for i, e in enumerate(examples) if i not in held], [examples[i] for i in dev]

    def texts(self, examples):
        return examples

    def encode(self, text, ctx):
        if ctx.options["objective"] == "mlm" and ctx.options["whole_word"]:
            import jieba

            token_ids, _, offsets = ctx.tokenizer.encode(text, maxlen=ctx.maxlen, return_offsets=True)
            words = word_index(text, offsets[1:-1], jieba.lcut(text, HMM=False))
            return np.asarray(token_ids, "int32"), np.asarray([-1] + words + [-1], "int32")
        token_ids, _ = ctx.tokenizer.encode(text, maxlen=ctx.maxlen)
        return np.asarray(token_ids, "int32"), None

    def length(self, item):
        return len(item[0])

    def collate(self, ctx, items, length, rng):
        from kexue.data import sequence_padding

        if ctx.options["objective"] == "lm":
            ids = sequence_padding([item[0] for item in items], length=length, value=ctx.pad_id)
            labels = np.zeros_like(ids)
            labels[:, :-1] = ids[:, 1:]  # next token; padding (0) is ignored
            return [ids, np.zeros_like(ids)], labels
        limit = max_masked(length, ctx.options["mask_rate"])
        mask_id, vocab = ctx.tokenizer.token_to_id("[MASK]"), ctx.tokenizer.vocab_size
        rows, positions, labels = [], np.zeros((len(items), limit), "int32"), np.zeros((len(items), limit), "int32")
        for n, (token_ids, words) in enumerate(items):
            masked, where, original = mask_tokens(token_ids, rng, mask_id=mask_id, vocab_size=vocab,
                                                  rate=ctx.options["mask_rate"], word_ids=words, limit=limit)
            rows.append(masked)
            positions[n, : len(where)], labels[n, : len(where)] = where, original
        ids = sequence_padding(rows, length=length, value=ctx.pad_id)
        return [ids, np.zeros_like(ids), positions], labels

    def build(self, ctx):
        if ctx.options["objective"] == "lm":
            return ctx.transformer(application="lm", with_mlm="linear")
        bert = ctx.transformer(with_mlm="linear")
        # the MLM head on the masked rows only: the same layers, fed the gathered hidden states
        dense = bert.get_layer("mlm_dense")
        positions = keras.Input((None,), dtype="int32", name="masked_positions")
        hidden = ops.take_along_axis(dense.input, ops.expand_dims(positions, -1), axis=1)
        logits = bert.get_layer("mlm_bias")(
            bert.get_layer("token_embedding")(bert.get_layer("mlm_norm")(dense(hidden)), mode="logits"))
        return keras.Model(bert.inputs + [positions], logits, name="masked_lm")

    def loss(self, ctx):
        return keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0)

    def evaluate(self, ctx, model, examples, items):
        right = total = 0
        nll = 0.0
        for _, x, y in ctx.batches(items):
            logits = np.asarray(model.predict_on_batch(x), "float64")
            real = y != 0
            shifted = logits - logits.max(axis=-1, keepdims=True)
            log_p = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
            nll -= np.take_along_axis(log_p, y[..., None], -1)[..., 0][real].sum()
            right += int((logits.argmax(-1) == y)[real].sum())
            total += int(real.sum())
        loss = nll / max(total, 1)
        return {"accuracy": right / max(total, 1), "loss": loss, "perplexity": math.exp(min(loss, 50))}

    def saved_files(self, ctx, model):
        export = _Export(model, ctx.backbone)
        return {"model.safetensors": export.weights, "config.json": export.config,
                "tokenizer_config.json": export.tokenizer_config}


class _Export:
    """The Hugging Face files of the model, computed once when the first of them is written
    (the runner writes them under EMA weights when ``--ema`` is on)."""

    def __init__(self, model, backbone):
        self.model, self.backbone, self.found = model, backbone, None

    def _tensors(self):
        from kexue.checkpoints.export import hf_tensors

        if self.found is None:
            self.found = hf_tensors(self.model, self.backbone.family, self.backbone.config)
        return self.found

    def weights(self, path: Path) -> None:
        from safetensors.numpy import save_file

        save_file(self._tensors()[0], str(path), metadata={"format": "pt"})

    def config(self, path: Path) -> None:
        path.write_text(json.dumps(self._tensors()[1], indent=2) + "\n", encoding="utf-8")

    def tokenizer_config(self, path: Path) -> None:
        settings = {"do_lower_case": self.backbone.do_lower_case, "tokenizer_class": "BertTokenizer"}
        path.write_text(json.dumps(settings) + "\n", encoding="utf-8")


def run_pretrain(recipe: Pretrain, args) -> int:
    from kexue.cli import UsageError
    from kexue.tasks.backbone import BackboneError
    from kexue.tasks.commands import summary_line, train_options
    from kexue.tasks.runner import RunError, train

    options = train_options(args)
    options["options"]["objective"] = args.objective
    maxlen = args.maxlen or recipe.defaults["maxlen"]
    try:
        metrics = train(Pretrain(segment_length=maxlen - 2), train=list(args.corpus), dev=None, steps=args.steps,
                        min_count=args.min_count, **options)
    except (RunError, BackboneError) as error:
        raise UsageError(str(error)) from None
    print(summary_line(metrics, args.out))
    return 0


RECIPE = Pretrain()
