"""The three model shapes of ``kexue task seq2seq --arch``: how each encodes a
``(source, target)`` pair, batches it, builds its model and decodes with or without a cache.

* ``unilm`` (科学空间 6933, bert4keras ``task_seq2seq_autotitle.py``): one BERT-family
  Transformer with the UniLM mask over ``[CLS] source [SEP] target [SEP]`` (segments 0 then 1);
  the MLM head predicts each next target token. Cached decoding: the source is encoded once.
* ``t5``: a T5 v1.1 encoder-decoder of the backbone's size (random weights, the character
  vocabulary); the decoder starts from the padding id 0, as T5 does. Cached decoding.
* ``lstm`` (5861): :func:`kexue.tasks.copy_prior.build_lstm_seq2seq`, hidden size from the
  backbone's, with or without the copy prior. Decoded by re-running the model.

Every model outputs next-token logits; targets are ids with 0 where nothing is predicted
(:class:`~kexue.tasks.next_token_loss.NextTokenCrossentropy`).

Example:
    >>> from kexue.tasks.backbone import scratch_backbone
    >>> tokenizer = scratch_backbone("2x32x4", ["一二三四"]).tokenizer()
    >>> (token_ids, segment_ids), y = ARCHS["unilm"].encode(tokenizer, "一二", "三", 16, 8)
    >>> token_ids, segment_ids, y
    ([2, 5, 6, 3, 7, 3], [0, 0, 0, 0, 1, 1], [0, 0, 0, 7, 3, 0])
    >>> ARCHS["lstm"].encode(tokenizer, "一二", "三", 16, 8)
    (([2, 5, 6, 3], [2, 7]), [7, 3])
"""

from __future__ import annotations

import numpy as np

from kexue.tasks.batching import bucket_length, pad_field

__all__ = ["ARCHS", "Arch", "UniLM", "T5", "LSTM", "t5_config"]


def _source_ids(tokenizer, source: str, max_source: int) -> list[int]:
    return list(tokenizer.encode(source, maxlen=max_source)[0])


def _target_ids(tokenizer, target: str, max_target: int) -> list[int]:
    """The target's tokens and the end token (``[SEP]``), at most ``max_target`` in all."""
    return list(tokenizer.encode(target, maxlen=max_target + 1)[0][1:])


class Arch:
    """One ``--arch``: encoding, batching, the model and its decoders."""

    name = ""
    cached = False  # whether CachedDecoder can run the model

    def start_id(self, tokenizer) -> int | None:
        """The token a decoded output starts with (not part of the result), if any."""
        return None

    def encode(self, tokenizer, source: str, target: str | None, max_source: int, max_target: int):
        raise NotImplementedError

    def source_of(self, item) -> list[int]:
        """The ids decoding starts from (what a cached decoder is given)."""
        return list(item[0][0])

    def collate(self, items: list, length: int, max_target: int):
        raise NotImplementedError

    def build(self, ctx):
        raise NotImplementedError

    def next_logits(self, model, max_new_tokens: int, maxlen: int, start_id: int | None):
        """``f(sources, output_ids) -> logits (rows, vocab)`` that re-runs ``model`` in fixed
        shapes (sources padded to their bucket, outputs to ``max_new_tokens`` + 1)."""
        raise NotImplementedError

    def cached_decoder(self, model):
        from kexue.decoding import CachedDecoder

        return CachedDecoder(model)


class UniLM(Arch):
    name, cached = "unilm", True

    def encode(self, tokenizer, source, target, max_source, max_target):
        src = _source_ids(tokenizer, source, max_source)
        if target is None:
            return (src, [0] * len(src)), None
        tgt = _target_ids(tokenizer, target, max_target)
        y = [0] * (len(src) - 1) + tgt + [0]
        return (src + tgt, [0] * len(src) + [1] * len(tgt)), y

    def source_of(self, item):
        token_ids, segment_ids = item[0]
        return list(token_ids[: len(segment_ids) - int(np.sum(segment_ids))])

    def collate(self, items, length, max_target):
        from kexue.tasks.batching import pad_batch

        return pad_batch(items, length, 0)

    def build(self, ctx):
        return ctx.transformer(application="unilm", with_mlm="linear")

    def next_logits(self, model, max_new_tokens, maxlen, start_id):
        def run(sources, output_ids):
            t = output_ids.shape[1]
            longest = max(len(s) for s in sources)
            width = max(longest, min(bucket_length(longest, maxlen), maxlen - max_new_tokens)) + max_new_tokens
            tokens = np.zeros((len(sources), width), "int32")
            segments = np.zeros_like(tokens)
            for row, (source, out) in enumerate(zip(sources, output_ids)):
                tokens[row, : len(source)] = source
                tokens[row, len(source) : len(source) + t] = out
                segments[row, len(source) : len(source) + t] = 1
            logits = np.asarray(model.predict_on_batch([tokens, segments]))
            where = np.array([len(s) + t - 1 for s in sources])
            return logits[np.arange(len(sources)), where]

        return run


def _pair_collate(items, length: int, max_target: int):
    """``[source, target_in]`` and ``target_out``: sources padded to ``length``, both target
    sides to the bucket of the longest target (at most ``max_target``)."""
    width = bucket_length(max(len(item[0][1]) for item in items), max_target)
    x = [pad_field([item[0][0] for item in items], length),
         pad_field([item[0][1] for item in items], width)]
    y = None if items[0][1] is None else pad_field([item[1] for item in items], width)
    return x, y


class _EncoderDecoder(Arch):
    """Source and target in separate inputs; the decoder input is the target shifted right."""

    def decoder_start(self, tokenizer) -> int:
        raise NotImplementedError

    def encode(self, tokenizer, source, target, max_source, max_target):
        src = _source_ids(tokenizer, source, max_source)
        if target is None:
            return (src, [self.decoder_start(tokenizer)]), None
        tgt = _target_ids(tokenizer, target, max_target)
        return (src, [self.decoder_start(tokenizer)] + tgt[:-1]), tgt

    def collate(self, items, length, max_target):
        return _pair_collate(items, length, max_target)

    def next_logits(self, model, max_new_tokens, maxlen, start_id):
        first = [] if start_id is not None else [self.decoder_start(None)]

        def run(sources, output_ids):
            t = output_ids.shape[1] + len(first)
            width = bucket_length(max(len(s) for s in sources), maxlen)
            source = pad_field([np.asarray(s) for s in sources], width)
            target = np.zeros((len(sources), max_new_tokens + 1), "int32")
            target[:, : len(first)] = first
            target[:, len(first) : t] = output_ids
            logits = np.asarray(model.predict_on_batch([source, target]))
            return logits[:, t - 1]

        return run


def t5_config(backbone_config: dict, vocab_size: int) -> dict:
    """A T5 v1.1 config of the scratch backbone's size (layers, hidden, heads, feed-forward)."""
    hidden, heads = backbone_config["hidden_size"], backbone_config["num_attention_heads"]
    return dict(vocab_size=vocab_size, d_model=hidden, d_kv=hidden // heads,
                d_ff=backbone_config.get("intermediate_size", 4 * hidden),
                num_layers=backbone_config["num_hidden_layers"], num_heads=heads,
                feed_forward_proj="gated-gelu", tie_word_embeddings=False, dropout_rate=0.1,
                pad_token_id=0, decoder_start_token_id=0)


class T5(_EncoderDecoder):
    name, cached = "t5", True

    def decoder_start(self, tokenizer):
        return 0  # T5 starts decoding from its padding id

    def build(self, ctx):
        from kexue.models import build_transformer_model

        config = t5_config(ctx.backbone.config, len(ctx.backbone.vocab))
        return build_transformer_model(config, model="t5.1.1", with_lm="linear")

    def cached_decoder(self, model):
        from kexue.decoding import CachedDecoder

        return CachedDecoder(model, decoder_start_id=0)


class LSTM(_EncoderDecoder):
    name, cached = "lstm", False

    def decoder_start(self, tokenizer):
        return 2 if tokenizer is None else tokenizer.token_to_id("[CLS]")

    def start_id(self, tokenizer):
        return self.decoder_start(tokenizer)

    def build(self, ctx):
        from kexue.tasks.copy_prior import build_lstm_seq2seq

        hidden = ctx.backbone.config["hidden_size"]
        heads = ctx.backbone.config["num_attention_heads"]
        return build_lstm_seq2seq(len(ctx.backbone.vocab), hidden, heads,
                                  copy_prior=ctx.options["copy_prior"], pad_id=ctx.pad_id)


ARCHS = {arch.name: arch for arch in (UniLM(), T5(), LSTM())}
