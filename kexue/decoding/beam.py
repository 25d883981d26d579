"""One step of batched beam search with a pool of finished hypotheses, in ``keras.ops``.

Alive beams carry summed log-probabilities. Each step takes the best ``2k`` extensions of
the ``k`` alive beams: those ending in an end id enter the finished pool with the score
``sum_logp / length ** length_penalty``, the best ``k`` others stay alive. Search stops when
the pool is full and no alive beam can still beat its worst member (log-probabilities are
never positive, so an alive beam's best reachable score is bounded).

Example:
    >>> import numpy as np
    >>> from kexue.decoding.beam import init_beams
    >>> state = init_beams(batch=1, beams=2, max_new=3)
    >>> scores = np.asarray(state["scores"])   # only the first beam is alive at the start
    >>> float(scores[0, 0]), bool(scores[0, 1] <= -1e11)
    (0.0, True)
"""

from __future__ import annotations

from keras import ops

from kexue.decoding.samplers import NEG

VALID = NEG / 2  # scores above this belong to real hypotheses


def init_beams(batch: int, beams: int, max_new: int) -> dict:
    """Alive beams (only the first is real at the start) and an empty finished pool."""
    first = ops.concatenate([ops.zeros((batch, 1)), ops.full((batch, beams - 1), NEG)], axis=1)
    return {
        "tokens": ops.zeros((batch, beams, max_new), "int32"),
        "scores": ops.cast(first, "float32"),
        "pool_tokens": ops.zeros((batch, beams, max_new), "int32"),
        "pool_scores": ops.full((batch, beams), NEG, "float32"),
        "pool_lengths": ops.zeros((batch, beams), "int32"),
    }


def _gather_beams(x, index):
    """``x`` (batch, beams, ...) gathered along beams by ``index`` (batch, m)."""
    extra = len(ops.shape(x)) - 2
    idx = ops.reshape(index, tuple(ops.shape(index)) + (1,) * extra)
    return ops.take_along_axis(x, ops.broadcast_to(idx, tuple(ops.shape(index)) + tuple(ops.shape(x)[2:])), axis=1)


def _penalised(scores, length, length_penalty: float):
    return scores / ops.power(ops.cast(length, "float32"), length_penalty)


def beam_step(state: dict, logp, step, end_mask, length_penalty: float):
    """Advance the beams by one token.

    Args:
        state: from :func:`init_beams` or a previous step.
        logp: ``(batch, beams, vocab)`` next-token log-probabilities (forbidden = ``NEG``).
        step: number of tokens generated before this one.
        end_mask: ``(vocab,)`` True at end ids.
        length_penalty: exponent of the length normalisation of finished hypotheses.

    Returns:
        ``(state, origin, tokens)``: the new state, for each new alive beam the index of the
        beam it extends and the token it appended (both ``(batch, beams)``).
    """
    batch, beams, vocab = ops.shape(logp)
    total = ops.reshape(state["scores"][..., None] + logp, (batch, beams * vocab))
    values, flat = ops.top_k(total, 2 * beams)
    origin = ops.cast(flat // vocab, "int32")
    token = ops.cast(flat % vocab, "int32")
    max_new = ops.shape(state["tokens"])[2]
    written = ops.one_hot(step, max_new, dtype="int32")[None, None]  # (1, 1, max_new)
    seqs = _gather_beams(state["tokens"], origin) * (1 - written) + token[..., None] * written
    ended = ops.take(end_mask, token)
    real = values > VALID

    # Finished candidates join the pool; keep its best `beams`.
    finished = ops.where(
        ops.logical_and(ended, real), _penalised(values, step + 1, length_penalty), NEG
    )
    pool_scores = ops.concatenate([state["pool_scores"], finished], axis=1)
    pool_tokens = ops.concatenate([state["pool_tokens"], seqs], axis=1)
    lengths = ops.full(ops.shape(token), step + 1, "int32")
    pool_lengths = ops.concatenate([state["pool_lengths"], lengths], axis=1)
    best_pool, keep = ops.top_k(pool_scores, beams)

    # The best non-finished candidates stay alive.
    alive_values = ops.where(ended, NEG, values)
    alive_scores, alive = ops.top_k(alive_values, beams)
    new_state = {
        "tokens": _gather_beams(seqs, alive),
        "scores": alive_scores,
        "pool_tokens": _gather_beams(pool_tokens, keep),
        "pool_scores": best_pool,
        "pool_lengths": _gather_beams(pool_lengths, keep),
    }
    return new_state, _gather_beams(origin, alive), _gather_beams(token, alive)


def search_done(state: dict, step, max_new: int, length_penalty: float):
    """True when, for every batch item, no alive beam can beat the full pool's worst member."""
    worst = state["pool_scores"][:, -1]
    best_alive = ops.max(state["scores"], axis=1)
    length = max_new if length_penalty > 0 else step
    bound = _penalised(best_alive, ops.maximum(length, 1), length_penalty)
    done = ops.logical_or(ops.logical_and(worst > VALID, worst >= bound), best_alive <= VALID)
    return ops.all(done)


def finalize(state: dict, length, length_penalty: float, num_return: int):
    """Add the still-alive beams (``length`` tokens long) to the pool and return the best
    ``num_return``: ``(tokens, scores, lengths)`` of shapes ``(batch, n, max_new)``,
    ``(batch, n)``, ``(batch, n)``."""
    alive = ops.where(
        state["scores"] > VALID, _penalised(state["scores"], ops.maximum(length, 1), length_penalty), NEG
    )
    scores = ops.concatenate([state["pool_scores"], alive], axis=1)
    tokens = ops.concatenate([state["pool_tokens"], state["tokens"]], axis=1)
    full = ops.full(ops.shape(alive), length, "int32")
    lengths = ops.concatenate([state["pool_lengths"], full], axis=1)
    best, keep = ops.top_k(scores, num_return)
    return _gather_beams(tokens, keep), best, _gather_beams(lengths, keep)
