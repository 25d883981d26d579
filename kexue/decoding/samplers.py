"""Next-token score processors and samplers, written with ``keras.ops`` so they run inside a
compiled decoding loop. Scores are log-probabilities ``(..., vocab)``; a forbidden token gets
:data:`NEG`, kexue's one masking value :data:`kexue.masking.LARGE_NEGATIVE` (finite, so sums
and differences never produce NaN; scores in float16 get :func:`kexue.masking.large_negative`).

Example:
    >>> import keras, numpy as np
    >>> from kexue.decoding.samplers import top_k_filter, top_p_filter
    >>> logp = np.log(np.array([[0.5, 0.3, 0.15, 0.05]], "float32"))
    >>> (keras.ops.convert_to_numpy(top_k_filter(logp, 2)) > -1e8).tolist()
    [[True, True, False, False]]
    >>> (keras.ops.convert_to_numpy(top_p_filter(logp, 0.9)) > -1e8).tolist()
    [[True, True, True, False]]
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
from keras import ops

from kexue.masking import LARGE_NEGATIVE, large_negative

NEG = LARGE_NEGATIVE


def forbid(scores, mask):
    """Set ``scores`` to :data:`NEG` (its float16-safe value for float16 scores) where ``mask``
    is True."""
    return ops.where(mask, ops.full_like(scores, large_negative(scores.dtype)), scores)


def token_mask(ids: Sequence[int], vocab_size: int):
    """Boolean ``(vocab,)`` mask, True at ``ids``."""
    hits = ops.zeros((vocab_size,), "bool")
    if len(ids) == 0:
        return hits
    for i in ids:
        if not 0 <= int(i) < vocab_size:
            raise ValueError(f"token id {i} is outside the vocabulary (size {vocab_size}).")
    return ops.any(ops.one_hot(ops.convert_to_tensor(list(ids), "int32"), vocab_size) > 0, axis=0)


def scatter_mask(ids, hit, vocab_size: int):
    """``(rows, vocab)`` mask, True at ``ids[r, j]`` wherever ``hit[r, j]`` (ids may be -1)."""
    rows, width = ops.shape(ids)[0], ops.shape(ids)[1]
    row_index = ops.repeat(ops.arange(rows, dtype="int32")[:, None], width, axis=1)
    safe = ops.where(ids >= 0, ids, ops.zeros_like(ids))
    index = ops.reshape(ops.stack([row_index, ops.cast(safe, "int32")], axis=-1), (-1, 2))
    values = ops.reshape(ops.cast(ops.logical_and(hit, ids >= 0), "float32"), (-1,))
    return ops.scatter(index, values, (rows, vocab_size)) > 0


def repetition_penalty(logits, seen, penalty: float):
    """CTRL's penalty: logits of already seen tokens are divided by ``penalty`` when positive
    and multiplied by it when negative."""
    penalised = ops.where(logits > 0, logits / penalty, logits * penalty)
    return ops.where(seen, penalised, logits)


def no_repeat_ngram_mask(history, index, n: int, vocab_size: int):
    """Tokens that would repeat an ``n``-gram already in ``history[:, :index]``.

    ``history`` ``(rows, max_len)`` holds the tokens so far (-1 where there is none, e.g. left
    padding); ``index`` is the position the next token goes to.
    """
    max_len = ops.shape(history)[1]
    starts = ops.arange(max_len, dtype="int32")
    nxt = ops.take(history, ops.minimum(starts + n - 1, max_len - 1), axis=1)
    ok = ops.logical_and(starts + n - 1 < index, nxt >= 0)[None] if n > 1 else nxt >= 0
    if n == 1:
        ok = ops.logical_and(ok, (starts < index)[None])
    for j in range(n - 1):
        window = ops.take(history, ops.minimum(starts + j, max_len - 1), axis=1)
        last = ops.take(history, ops.maximum(index - (n - 1) + j, 0)[None], axis=1)
        ok = ops.logical_and(ok, ops.logical_and(ops.equal(window, last), window >= 0))
    return scatter_mask(nxt, ok, vocab_size)


def top_k_filter(scores, k: int):
    """Keep the ``k`` highest scores per row (ties with the k-th are kept too)."""
    if int(k) < 1:
        raise ValueError(f"top_k must be at least 1, got {k}.")
    scores = ops.convert_to_tensor(scores)
    if k >= ops.shape(scores)[-1]:
        return scores
    kth = ops.top_k(scores, int(k))[0][..., -1:]
    return forbid(scores, scores < kth)


def top_p_filter(scores, p: float):
    """Nucleus filter: keep the most probable tokens until their mass reaches ``p``."""
    if not 0 < p <= 1:
        raise ValueError(f"top_p must be in (0, 1], got {p}.")
    scores = ops.convert_to_tensor(scores)
    order = ops.argsort(-scores, axis=-1)
    ranked = ops.take_along_axis(scores, order, axis=-1)
    probs = ops.softmax(ranked, axis=-1)
    before = ops.cumsum(probs, axis=-1) - probs
    keep_ranked = before < p
    keep = ops.take_along_axis(keep_ranked, ops.argsort(order, axis=-1), axis=-1)
    return forbid(scores, ops.logical_not(keep))


def gumbel_sample(scores, seed):
    """One sample per row from ``softmax(scores)`` (Gumbel-max trick)."""
    u = keras.random.uniform(ops.shape(scores), minval=1e-20, maxval=1.0, seed=seed)
    return ops.cast(ops.argmax(scores - ops.log(-ops.log(u)), axis=-1), "int32")


def vote(logp, axis: int):
    """Combine the distributions of several passages along ``axis`` into one score:
    ``log(Σp² / (Σp + 1))``. Confident passages dominate, and a token only a few passages
    support is down-weighted relative to plain averaging."""
    p = ops.exp(logp)
    combined = ops.sum(p * p, axis=axis) / (ops.sum(p, axis=axis) + 1.0)
    return ops.log(combined + 1e-30)


class SubstringConstraint:
    """Constraint hook: the output must be a contiguous substring of a source sequence
    (extractive reading comprehension), and end ids are allowed once it is non-empty.

    Args:
        source_ids: ``(batch * passages, source_len)`` int array, padded with -1.
        vocab_size: vocabulary size.
        end_ids: ids that may end the answer.

    Call with ``generated`` of shape ``(batch, beams, passages, max_new)`` and the number of
    tokens generated so far; returns the allowed-token mask ``(batch, beams, passages, vocab)``.
    """

    def __init__(self, source_ids, vocab_size: int, end_ids: Sequence[int], passages: int = 1):
        self.source = ops.convert_to_tensor(source_ids, "int32")
        if len(ops.shape(self.source)) != 2:
            raise ValueError("source_ids must be a 2-D (rows, length) array padded with -1.")
        self.vocab_size = int(vocab_size)
        self.end_ids = tuple(int(i) for i in end_ids)
        self.passages = int(passages)

    def __call__(self, generated, step):
        b, k, p, n = (ops.shape(generated)[i] for i in range(4))
        rows, s = ops.shape(self.source)
        src = ops.reshape(self.source, (rows // self.passages, 1, self.passages, s))
        src = ops.reshape(ops.broadcast_to(src, (b, k, p, s)), (b * k * p, s))
        gen = ops.reshape(generated, (b * k * p, n))
        padded = ops.concatenate([ops.full((b * k * p, 1), -1, "int32"), src], axis=1)
        ends = ops.arange(s + 1, dtype="int32")  # answer so far ends at padded[:, e]
        match = ops.ones((b * k * p, s + 1), "bool")
        for j in range(n):  # generated[:, j] must sit at padded[:, e - step + 1 + j]
            pos = ends - step + 1 + j
            token = ops.take(padded, ops.clip(pos, 0, s), axis=1)
            ok = ops.logical_and(ops.equal(token, gen[:, j : j + 1]), (pos >= 1)[None])
            match = ops.logical_and(match, ops.logical_or(ok, j >= step))
        nxt = ops.take(padded, ops.minimum(ends + 1, s), axis=1)
        allowed = scatter_mask(nxt, ops.logical_and(match, (ends < s)[None]), self.vocab_size)
        ends_ok = ops.logical_and(token_mask(self.end_ids, self.vocab_size)[None], step > 0)
        allowed = ops.logical_or(allowed, ends_ok)
        return ops.reshape(allowed, (b, k, p, self.vocab_size))
