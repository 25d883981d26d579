"""What the character-span recipes (word segmentation, NER) share: encoding a text with its
token offsets, mapping labelled character spans onto tokens, and predicting over texts of any
length piece by piece.

Training rows are encoded up to ``maxlen`` tokens (spans beyond are dropped with the tokens).
Prediction never truncates: a text is cut into pieces of at most ``maxlen - 2`` characters at
sentence (then clause) punctuation (:func:`kexue.tasks.offsets.pieces`; a WordPiece tokenizer
never makes more tokens than a text has non-space characters, so each piece fits), the pieces
of all texts are batched through the model, each piece is decoded by the recipe into character
spans of the piece, and the spans are shifted back into the whole text.

Example:
    >>> from kexue.tasks.backbone import scratch_backbone
    >>> from kexue.tasks.recipe import Recipe, TaskContext
    >>> backbone = scratch_backbone("2x32x4", ["张三在 Keras 里"])
    >>> ctx = TaskContext(Recipe(), backbone, backbone.tokenizer(), maxlen=32)
    >>> encoded = encode_text(ctx, "张三在 Keras 里")
    >>> token_spans(encoded.offsets, [(0, 2, "PER"), (4, 9, "LIB")])
    [(1, 2, 'PER'), (4, 8, 'LIB')]
    >>> char_spans(encoded.offsets, [(4, 8, "LIB")])
    [(4, 9, 'LIB')]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from kexue.tasks.offsets import char_span, pieces, token_span

__all__ = ["Encoded", "encode_text", "token_spans", "char_spans", "content_positions",
           "predict_pieces"]


@dataclass(frozen=True)
class Encoded:
    """A text's token ids, segment ids and per-token character offsets."""

    token_ids: list
    segment_ids: list
    offsets: list


def encode_text(ctx, text: str, maxlen: int | None = None) -> Encoded:
    """``[CLS] text [SEP]`` with offsets, at most ``maxlen`` (default ``ctx.maxlen``) tokens."""
    ids, segments, offsets = ctx.tokenizer.encode(text, maxlen=maxlen or ctx.maxlen, return_offsets=True)
    return Encoded(ids, segments, [tuple(o) for o in offsets])


def content_positions(offsets: Sequence[tuple[int, int]]) -> list[int]:
    """Positions of the tokens that cover characters (not ``[CLS]``/``[SEP]``)."""
    return [i for i, (a, b) in enumerate(offsets) if b > a]


def token_spans(offsets, spans: Sequence[tuple]) -> list[tuple]:
    """Character spans ``(start, end, *rest)`` as token spans ``(first, last, *rest)``
    (inclusive); spans no token covers (cut off by ``maxlen``) are left out."""
    out = []
    for start, end, *rest in spans:
        hit = token_span(offsets, start, end)
        if hit is not None:
            out.append((*hit, *rest))
    return out


def char_spans(offsets, spans: Sequence[tuple]) -> list[tuple]:
    """Token spans ``(first, last, *rest)`` as character spans ``(start, end, *rest)``."""
    return [(*char_span(offsets, first, last), *rest) for first, last, *rest in spans]


def predict_pieces(ctx, model, texts: Sequence[str],
                   decode: Callable[[object, Encoded], list[tuple]]) -> list[list[tuple]]:
    """Character spans ``(start, end, *rest)`` for each text, predicted piece by piece.

    ``decode(output, encoded)`` turns the model's output row of one piece (a NumPy array, or
    a tuple of them for several outputs) into character spans of that piece.
    """
    import numpy as np

    limit = max(ctx.maxlen - 2, 1)
    jobs: list[tuple[int, int, Encoded]] = []
    for index, text in enumerate(texts):
        for start, end in pieces(text, limit):
            jobs.append((index, start, encode_text(ctx, text[start:end], maxlen=limit + 2)))
    items = [((job[2].token_ids, job[2].segment_ids), None) for job in jobs]
    results: list[list[tuple]] = [[] for _ in texts]
    for batch, x, _ in ctx.batches(items):
        outputs = model.predict_on_batch(x)
        several = isinstance(outputs, (list, tuple))
        for row, i in enumerate(batch):
            index, shift, encoded = jobs[i]
            output = (tuple(np.asarray(o[row]) for o in outputs) if several
                      else np.asarray(outputs[row]))
            for start, end, *rest in decode(output, encoded):
                results[index].append((start + shift, end + shift, *rest))
    return [sorted(r) for r in results]
