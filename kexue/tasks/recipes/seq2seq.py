"""Text generation source -> target: UniLM, T5 or the LSTM with a copy prior (titles, couplets).

The recipes of 科学空间 6933 (bert4keras ``task_seq2seq_autotitle.py``: a BERT-family model
made seq2seq by the UniLM mask) and 5861 (a BiLSTM encoder, an LSTM decoder with attention,
and the copy prior), plus a T5 encoder-decoder. ``--arch`` picks the model
(:mod:`kexue.tasks.seq2seq_archs`):

* ``unilm``: any backbone family, from ``--checkpoint`` or ``--scratch``;
* ``t5``: a T5 v1.1 of the ``--scratch`` size;
* ``lstm``: hidden size from ``--scratch`` (``LAYERSxHIDDENxHEADS``: the hidden size and the
  attention heads are used), ``--no-copy-prior`` to leave the prior out.

Decoding (greedy by default; ``--beams``, ``--length-penalty``, ``--top-k``/``--top-p``,
``--temperature``) uses the KV-cached :class:`~kexue.decoding.CachedDecoder` for UniLM and T5
and re-runs the model per token (:class:`~kexue.decoding.AutoRegressiveDecoder`) for the
LSTM or with ``--decoder uncached``. ``predict`` and ``eval`` take the same options to change
the decoding of a trained model. Dev is scored every epoch by ROUGE-L on characters (the best
epoch is kept); ROUGE-1/2, BLEU and exact match are reported beside it.

Data: ``source<TAB>target`` TSV, ``task<TAB>source<TAB>target`` (CSL), or JSON lines
(:mod:`kexue.tasks.pair_data`); ``predict`` reads one source per line.

    kexue task seq2seq train --arch unilm --train train.tsv --dev dev.tsv --out runs/title --scratch tiny
    kexue task seq2seq predict --model runs/title abstracts.txt --beams 3

Example:
    >>> RECIPE.metric, sorted(ARCHS)
    ('rouge_l', ['lstm', 't5', 'unilm'])
"""

from __future__ import annotations

import argparse
import sys

import kexue.tasks.copy_prior  # noqa: F401  (registers the LSTM model's layers for loading)
from kexue.tasks.backbone import BackboneError
from kexue.tasks.generation_cli import GenerationRecipe, declare_decoding, decoding_options
from kexue.tasks.generation_metrics import generation_scores
from kexue.tasks.pair_data import read_source_target, read_sources
from kexue.tasks.recipe import Recipe
from kexue.tasks.runner import RunError
from kexue.tasks.seq2seq_archs import ARCHS
from kexue.tasks.seq2seq_decoding import RecomputeDecoder, cached_generate

__all__ = ["Seq2Seq", "RECIPE", "ARCHS"]


def _bar(total: int, what: str):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=what, disable=total < 200, file=sys.stderr, leave=False)


class Seq2Seq(GenerationRecipe, Recipe):
    name = "seq2seq"
    description = "source -> target generation: UniLM, T5 or LSTM + copy prior (6933, 5861)"
    metric = "rouge_l"
    defaults = {**Recipe.defaults, "epochs": 10, "batch_size": 32, "maxlen": 256, "lr": 2e-5,
                "scratch_lr": 1e-3}

    def add_arguments(self, options):
        options.add("--arch", choices=sorted(ARCHS), default="unilm",
                    help="unilm: a BERT-family model with the UniLM mask; t5: a T5 encoder-decoder "
                         "(--scratch); lstm: BiLSTM encoder, LSTM decoder with attention (--scratch)")
        options.add("--max-target", type=int, default=32,
                    help="longest target in tokens (the end token included); the source gets "
                         "--maxlen minus this with unilm, --maxlen otherwise")
        options.add("--copy-prior", action=argparse.BooleanOptionalAction, default=True,
                    help="lstm: average the logits with the scaled and shifted bag of source "
                         "characters (--no-copy-prior: leave it out)")
        declare_decoding(options)

    # -- data --------------------------------------------------------------------------------
    def read(self, path, labelled=True):
        return read_source_target(path, labelled)

    def read_inputs(self, path):
        return read_sources(path)

    def texts(self, examples):
        for example in examples:
            yield example.source
            if example.target is not None:
                yield example.target

    def setup(self, examples, ctx):
        arch, max_target = ctx.options["arch"], ctx.options["max_target"]
        if arch != "unilm" and ctx.backbone.checkpoint is not None:
            raise BackboneError(f"--arch {arch} trains from --scratch (its size: LAYERSxHIDDENxHEADS); "
                                "pretrained checkpoints go with --arch unilm.")
        if not 2 <= max_target < ctx.maxlen - 2:
            raise RunError(f"--max-target {max_target} must be at least 2 and leave room for "
                                f"the source within --maxlen {ctx.maxlen}.")
        max_source = ctx.maxlen - max_target if arch == "unilm" else ctx.maxlen
        return {"max_source": max_source, "end_id": ctx.tokenizer.token_to_id("[SEP]")}

    def _arch(self, ctx):
        return ARCHS[ctx.options["arch"]]

    def encode(self, example, ctx):
        return self._arch(ctx).encode(ctx.tokenizer, example.source, example.target,
                                      ctx.settings["max_source"], ctx.options["max_target"])

    def collate(self, ctx, items, length, rng):
        return self._arch(ctx).collate(items, length, ctx.options["max_target"])

    # -- model -------------------------------------------------------------------------------
    def build(self, ctx):
        return self._arch(ctx).build(ctx)

    # -- decoding ----------------------------------------------------------------------------
    def use_cache(self, ctx) -> bool:
        """Whether decoding goes through the KV cache (``--decoder``)."""
        choice, arch = ctx.options.get("decoder") or "auto", self._arch(ctx)
        if choice == "cached" and not arch.cached:
            raise ValueError(f"--decoder cached: the {arch.name} model has no cached decoder; "
                             "use --decoder uncached (or auto).")
        if choice == "uncached" and ctx.options.get("length_penalty") is not None:
            raise ValueError("--length-penalty applies to cached beam search; the uncached decoder "
                             "follows bert4keras (no penalty). Drop it or use --decoder cached.")
        return arch.cached if choice == "auto" else choice == "cached"

    def generate_ids(self, ctx, model, sources: list, cached: bool | None = None) -> list[list[int]]:
        """The generated token ids (without the end token) of each source's ids."""
        arch = self._arch(ctx)
        options = decoding_options(ctx, ctx.options["max_target"], ctx.settings["end_id"])
        cached = self.use_cache(ctx) if cached is None else cached
        with _bar(len(sources), "decoding") as bar:
            if cached:
                decoder = self.decoders.get(model, arch.cached_decoder)
                return cached_generate(decoder, sources, options, ctx.batch_size, ctx.maxlen, bar.update)
            start = arch.start_id(ctx.tokenizer)
            decoder = RecomputeDecoder(arch.next_logits(model, options.max_new_tokens, ctx.maxlen, start),
                                       options, start_id=start)
            outputs = []
            for i in range(0, len(sources), ctx.batch_size):
                outputs += decoder.decode(sources[i : i + ctx.batch_size], ctx.batch_size)
                bar.update(min(ctx.batch_size, len(sources) - i))
            return outputs

    def predict(self, ctx, model, items):
        sources = [self._arch(ctx).source_of(item) for item in items]
        return [ctx.tokenizer.decode(ids) for ids in self.generate_ids(ctx, model, sources)]

    def score(self, ctx, predictions, examples):
        return generation_scores(predictions, [e.target for e in examples])


RECIPE = Seq2Seq()
