"""Fast generation: a preallocated key/value cache and, on JAX, the whole loop compiled
(``keras.ops.while_loop`` under ``jax.jit``); on torch a Python loop of cached steps, eager or
(``compile=True``) with the step compiled by ``torch.compile``.

Works with models from :func:`kexue.models.build_transformer_model` built with
``application="lm"`` (GPT-2 and any LM) or ``"unilm"`` (the source is encoded bidirectionally,
the target left to right) and an LM head (``with_mlm``), and with encoder-decoders (T5 / mT5,
``with_lm``): the source is encoded once and the decoder starts from ``decoder_start_id``. Greedy search, sampling (temperature,
top-k, top-p) and beam search (length penalty, a pool of finished hypotheses,
``num_return_sequences``), with min/max length, several end ids, repetition penalty,
no-repeat-n-gram, banned tokens, a constraint hook and multi-passage voting.

Example:
    >>> import numpy as np
    >>> from kexue.models import build_transformer_model
    >>> from kexue.decoding import CachedDecoder
    >>> config = dict(vocab_size=30, n_embd=16, n_layer=2, n_head=2, n_positions=32)
    >>> model = build_transformer_model(config, model="gpt2", with_mlm="linear")
    >>> out = CachedDecoder(model).generate([[3, 4, 5], [6]], max_new_tokens=4, end_ids=[0])
    >>> len(out.sequences), [len(s[0]) <= 4 for s in out.sequences]
    (2, [True, True])
"""

from __future__ import annotations

import dataclasses

import keras
import numpy as np
from keras import ops

from kexue.backend import jit_with_variables, loop_seed, while_loop
from kexue.decoding import beam as beam_search
from kexue.decoding import samplers
from kexue.decoding.cache import CachedTransformer
from kexue.decoding.options import GenerationConfig
from kexue.decoding.seq2seq_cache import CachedSeq2Seq
from kexue.models.inputs import check_range, host_ids

__all__ = ["CachedDecoder", "GenerationConfig", "GenerationOutput", "generate"]


@dataclasses.dataclass
class GenerationOutput:
    """``sequences[i]`` lists the ``num_return_sequences`` outputs of input ``i`` (1-D arrays,
    ending with the end id when one was produced); ``scores[i]`` their scores (summed
    log-probabilities; length-normalised for beam search)."""

    sequences: list
    scores: np.ndarray


class CachedDecoder:
    """Decode with a model's own layers and a KV cache; compiled loops are reused per
    option set and input shape.

    Args:
        model: from ``build_transformer_model(..., application="lm"|"unilm", with_mlm=...)``,
            or a T5 from ``build_transformer_model(..., model="t5.1.1")`` (the combined model or
            the ``Seq2Seq`` with ``return_keras_model=False``).
        prefix: the ``prefix`` the model was built with.
        decoder_start_id: an encoder-decoder's first decoder token (T5: 0).
        compile: torch only: compile the per-step function (model step, scores and search
            update) with ``torch.compile`` and run it from a Python loop: about 2-3x more
            tokens/s at batch 1 on a CPU, but the first call for each option set and input
            shape compiles for about a minute (2-core CPU). Sampling (``do_sample``) always
            runs eagerly. JAX always compiles the whole loop; the option changes nothing there.
    """

    def __init__(
        self, model: keras.Model, prefix: str = "", decoder_start_id: int = 0, compile: bool = False
    ):
        self.compile = bool(compile)
        if _is_seq2seq(model, prefix):
            self.net = CachedSeq2Seq(model, prefix=prefix, decoder_start_id=decoder_start_id)
        else:
            self.net = CachedTransformer(model, prefix=prefix)
        self._compiled: dict = {}

    def generate(
        self, inputs, segment_ids=None, config: GenerationConfig | None = None, **options
    ) -> GenerationOutput:
        """Generate continuations of ``inputs``.

        Args:
            inputs: prompts (``lm``) or sources (``unilm``, encoder-decoders): a list of
                token-id lists of any lengths (left-padded internally) or a 2-D array. With
                ``passages=P``, each group of ``P`` consecutive rows is one input decoded
                jointly.
            segment_ids: optional, same shapes as ``inputs`` (default zeros).
            config: a :class:`GenerationConfig` (default: its defaults).
            **options: fields of :class:`GenerationConfig` replacing those of ``config``:
                ``max_new_tokens``, ``min_new_tokens``, ``end_ids``, ``num_beams``,
                ``do_sample``, ``num_return_sequences``, ``length_penalty``, ``temperature``,
                ``top_k``, ``top_p``, ``repetition_penalty``, ``no_repeat_ngram_size``,
                ``banned_ids``, ``constraint``, ``passages``, ``seed`` (meanings there).
        """
        config = GenerationConfig.from_options(self.net.vocab_size, config, **options)
        if isinstance(self.net, CachedSeq2Seq):  # inputs are sources; the decoder starts afresh
            if segment_ids is not None:
                raise ValueError("an encoder-decoder takes no segment_ids.")
            source, _, source_valid = _left_pad(_rows(inputs, "inputs", self.net.vocab_size), None,
                                                self.net.source_pad_id)
            source_valid &= source != self.net.source_pad_id  # the family's padding, anywhere
            tokens = np.full((len(source), 1), self.net.decoder_start_id, "int32")
            args = (tokens, np.zeros_like(tokens), np.ones(tokens.shape, bool), source, source_valid)
        else:
            rows = _rows(inputs, "inputs", self.net.vocab_size)
            segment_table = self.net.segment_embedding
            if segment_ids is not None:
                segment_size = segment_table.input_dim if segment_table is not None else 1
                segment_ids = _rows(segment_ids, "segment_ids", segment_size, "segment_vocab_size")
            _check_positions(self.net, rows, config.max_new_tokens)
            args = _left_pad(rows, segment_ids, self.net.pad_token_id)
        rows = len(args[0])
        if rows % config.passages:
            raise ValueError(f"{rows} input rows do not split into groups of {config.passages}.")
        # the seed is an argument of the compiled loop, not part of it: a new seed (one per
        # batch of samples) reuses the program
        unseeded = dataclasses.replace(config, seed=0)
        key = (unseeded,) + tuple(a.shape for a in args)
        if key not in self._compiled:
            compiled = self.compile and not config.do_sample
            run = lambda seed, *args: _decode(self.net, unseeded, *args, seed=seed, compile=compiled)
            self._compiled[key] = jit_with_variables(run, self.net.variables)
        out_tokens, out_scores, out_lengths = (
            ops.convert_to_numpy(x) for x in self._compiled[key](np.array(config.seed, "int32"), *args)
        )
        n = config.num_return_sequences
        sequences = [
            [out_tokens[b, r, : out_lengths[b, r]] for r in range(n)] for b in range(len(out_tokens))
        ]
        return GenerationOutput(sequences=sequences, scores=out_scores[:, :n])


def generate(model: keras.Model, inputs, segment_ids=None, **options) -> GenerationOutput:
    """One-shot :meth:`CachedDecoder.generate` (build a :class:`CachedDecoder` once to reuse
    its compiled loops across calls)."""
    return CachedDecoder(model).generate(inputs, segment_ids, **options)


def _is_seq2seq(model, prefix: str) -> bool:
    """An encoder-decoder from ``build_transformer_model(model="t5...")`` (or its ``Seq2Seq``)."""
    model = getattr(model, "model", model)
    return any(layer.name == f"{prefix}decoder_layer_0" for layer in model.layers)


def _rows(values, name: str, upper: int, what: str = "vocab_size") -> list[np.ndarray]:
    """Prompt rows (a list of id lists or a 2-D array) as int32 arrays, each checked: whole
    numbers, at least one token, ids in ``[0, upper)``."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__len__"):
        raise ValueError(f"{name} must be a list of token-id lists (or a 2-D array), got {values!r:.60}.")
    rows = []
    for i, row in enumerate(values):
        array = host_ids(row, f"{name}[{i}]", ndim=1)
        if array is None:
            raise ValueError(f"{name} must be concrete data for generate(), not a symbolic tensor.")
        if array.size == 0:
            raise ValueError(f"{name}[{i}] is empty; every input needs at least one token.")
        check_range(array, f"{name}[{i}]", upper, what)
        rows.append(array.astype("int32"))
    if not rows:
        raise ValueError(f"{name} is empty; pass at least one prompt.")
    return rows


def _check_positions(net, rows: list[np.ndarray], max_new_tokens: int) -> None:
    """The longest prompt plus the new tokens must fit a learned position table."""
    table = getattr(net, "position_embedding", None)
    if table is None:
        return
    longest = max(len(r) for r in rows)
    if longest + max_new_tokens > table.input_dim:
        raise ValueError(
            f"the longest prompt has {longest} tokens and max_new_tokens={max_new_tokens}, but the "
            f"model has {table.input_dim} positions (max_position): shorten the prompt to at most "
            f"{table.input_dim - max_new_tokens} tokens or ask for fewer new tokens."
        )


def _left_pad(rows, segment_ids, pad_id: int):
    segs = [np.zeros_like(r) for r in rows] if segment_ids is None else segment_ids
    if [len(s) for s in segs] != [len(r) for r in rows]:
        raise ValueError(
            "segment_ids must have the same shapes as inputs (one segment id per token); got "
            f"lengths {[len(s) for s in segs][:8]} for inputs of lengths {[len(r) for r in rows][:8]}."
        )
    width = max(len(r) for r in rows)
    tokens = np.full((len(rows), width), max(pad_id, 0), "int32")
    segments = np.zeros((len(rows), width), "int32")
    valid = np.zeros((len(rows), width), bool)
    for i, (r, s) in enumerate(zip(rows, segs)):
        tokens[i, width - len(r) :], segments[i, width - len(r) :] = r, s
        valid[i, width - len(r) :] = True
    return tokens, segments, valid


def _expand(x, batch: int, beams: int, passages: int):
    """Rows ordered (batch, passages) -> (batch, beams, passages), flattened."""
    shape = tuple(ops.shape(x)[1:])
    x = ops.reshape(x, (batch, 1, passages) + shape)
    return ops.reshape(ops.broadcast_to(x, (batch, beams, passages) + shape), (-1,) + shape)


def _decode(
    net, config: GenerationConfig, tokens, segments, valid, source=None, source_valid=None, *, seed=0,
    compile=False
):
    """Prefill and the decoding loop; returns (tokens, scores, lengths) per (batch, beams).
    An encoder-decoder's ``source`` is encoded once; ``tokens`` then hold the decoder prompt.
    ``seed``: the sampling seed (an int32 scalar; ``config.seed`` is ignored).
    ``compile``: on torch, compile the loop body (see :func:`kexue.backend.while_loop`)."""
    rows0, width = ops.shape(tokens)
    passages, beams, max_new = config.passages, config.beams, config.max_new_tokens
    batch, vocab = rows0 // passages, net.vocab_size
    rows, max_len = batch * beams * passages, width + max_new
    tokens, segments, valid = (_expand(ops.convert_to_tensor(x), batch, beams, passages) for x in (tokens, segments, valid))
    if source is None:
        weights = net.weights(rows)
    else:  # beams of one input share its source: cross-attention keys are never reordered
        encoded = net.encode(ops.convert_to_tensor(source))
        expanded = (_expand(ops.convert_to_tensor(x), batch, beams, passages) for x in (encoded, source_valid))
        weights = net.weights(*expanded, rows=rows)
    key_valid = ops.logical_and(valid, ops.not_equal(tokens, net.pad_token_id))
    key_valid = ops.concatenate([key_valid, ops.ones((rows, max_new), "bool")], axis=1)
    history = ops.concatenate(
        [ops.where(valid, tokens, -1), ops.full((rows, max_new), -1, "int32")], axis=1
    )
    lengths = ops.sum(ops.cast(valid, "int32"), axis=1)
    positions = ops.maximum(ops.cumsum(ops.cast(valid, "int32"), axis=1) - 1, 0)
    mask = net.step_mask(key_valid, 0, width, causal=net.application != "unilm")
    logits, cache = net.step(tokens, segments, positions, net.init_cache(rows, max_len), 0, mask, weights)
    target_segment = 1 if net.application == "unilm" else 0
    end_mask = samplers.token_mask(config.end_ids, vocab)
    banned = samplers.token_mask(config.banned_ids, vocab)
    use_seen = config.repetition_penalty != 1.0
    seen = samplers.scatter_mask(history, history >= 0, vocab) if use_seen else ops.zeros((1,), "bool")
    search = beam_search.init_beams(batch, beams, max_new) if config.num_beams > 1 else {
        "tokens": ops.zeros((batch, beams, max_new), "int32"),
        "scores": ops.zeros((batch, beams), "float32"),
        "lengths": ops.full((batch, beams), max_new, "int32"),
        "done": ops.zeros((batch, beams), "bool"),
    }

    def scores_of(logits, search, history, seen, step):
        if use_seen:
            logits = samplers.repetition_penalty(logits, seen, config.repetition_penalty)
        logp = ops.log_softmax(logits / config.temperature, axis=-1)
        forbidden = ops.broadcast_to(banned[None], (rows, vocab))
        if config.min_new_tokens > 0:
            forbidden = ops.logical_or(forbidden, ops.logical_and(end_mask[None], step < config.min_new_tokens))
        if config.no_repeat_ngram_size > 0:
            ngram = samplers.no_repeat_ngram_mask(history, width + step, config.no_repeat_ngram_size, vocab)
            forbidden = ops.logical_or(forbidden, ngram)
        logp = ops.reshape(samplers.forbid(logp, forbidden), (batch, beams, passages, vocab))
        if config.constraint is not None:
            generated = ops.broadcast_to(search["tokens"][:, :, None], (batch, beams, passages, max_new))
            logp = samplers.forbid(logp, ops.logical_not(config.constraint(generated, step)))
        if passages > 1:
            return samplers.vote(logp, axis=2)
        return logp[:, :, 0]

    def choose(logp, search, step):
        if config.num_beams > 1:
            new, origin, token = beam_search.beam_step(search, logp, step, end_mask, config.length_penalty)
            return new, origin, token
        if config.do_sample:
            filtered = logp
            if config.top_k is not None:
                filtered = samplers.top_k_filter(filtered, config.top_k)
            if config.top_p is not None:
                filtered = samplers.top_p_filter(filtered, config.top_p)
            token = samplers.gumbel_sample(filtered, loop_seed(seed, step))
        else:
            token = ops.cast(ops.argmax(logp, axis=-1), "int32")
        done = search["done"]
        token = ops.where(done, config.end_ids[0] if config.end_ids else 0, token)
        gained = ops.squeeze(ops.take_along_axis(logp, token[..., None], axis=-1), -1)
        written = ops.one_hot(step, max_new, dtype="int32")[None, None]
        ended = ops.logical_and(ops.take(end_mask, token), ops.logical_not(done))
        new = {
            "tokens": search["tokens"] * (1 - written) + token[..., None] * written,
            "scores": search["scores"] + ops.where(done, 0.0, gained),
            "lengths": ops.where(ended, step + 1, search["lengths"]),
            "done": ops.logical_or(done, ended),
        }
        origin = ops.broadcast_to(ops.arange(beams, dtype="int32")[None], (batch, beams))
        return new, origin, token

    def body(step, logits, cache, key_valid, history, seen, search):
        logp = scores_of(logits, search, history, seen, step)
        search, origin, token = choose(logp, search, step)
        if config.num_beams > 1:  # rows follow the beams they extend
            source = ops.arange(batch, dtype="int32")[:, None] * beams + origin
            source = ops.reshape(source[..., None] * passages + ops.arange(passages, dtype="int32"), (-1,))
            cache = tuple((ops.take(k, source, axis=0), ops.take(v, source, axis=0)) for k, v in cache)
            key_valid, history = ops.take(key_valid, source, axis=0), ops.take(history, source, axis=0)
            seen = ops.take(seen, source, axis=0) if use_seen else seen
        token = ops.reshape(ops.broadcast_to(token[..., None], (batch, beams, passages)), (rows, 1))
        index = width + step
        at = ops.one_hot(index, max_len, dtype="int32")[None]
        history = history * (1 - at) + token * at
        key_valid = ops.logical_or(ops.logical_and(key_valid, at == 0), ops.logical_and(at > 0, token != net.pad_token_id))
        if use_seen:
            seen = ops.logical_or(seen, ops.one_hot(token[:, 0], vocab) > 0)
        mask = net.step_mask(key_valid, index, 1, causal=True)
        segment = ops.full((rows, 1), target_segment, "int32")
        position = (lengths + step)[:, None]
        logits, cache = net.step(token, segment, position, cache, index, mask, weights)
        return step + 1, logits, cache, key_valid, history, seen, search

    def cond(step, logits, cache, key_valid, history, seen, search):
        if config.num_beams > 1:
            finished = beam_search.search_done(search, step, max_new, config.length_penalty)
        else:
            finished = ops.all(search["done"])
        return ops.logical_and(step < max_new, ops.logical_not(finished))

    state = (0, logits, cache, key_valid, history, seen, search)
    step, *_, search = while_loop(cond, body, state, compile=compile)
    if config.num_beams > 1:
        return beam_search.finalize(search, step, config.length_penalty, config.num_return_sequences)
    return search["tokens"], search["scores"], search["lengths"]
