"""Decoding many sources with a trained generation model, cached or not, in few compiled
shapes: what the ``seq2seq`` and ``cond-gen`` recipes (and reading comprehension by UniLM)
share.

* :class:`DecodingOptions`: beam size, length penalty, top-k / top-p sampling, temperature,
  the most new tokens, the end token.
* :func:`cached_generate`: :class:`~kexue.decoding.CachedDecoder` over a list of sources
  (UniLM / LM prompts or T5 sources), in batches whose shape is fixed: each batch gets filler
  rows up to ``batch_size + 1`` rows, one of them exactly as long as the batch's bucketed width,
  so a JAX decoder compiles once per bucket instead of once per batch.
* :class:`RecomputeDecoder`: bert4keras's :class:`~kexue.decoding.AutoRegressiveDecoder` over a
  ``next_logits(sources, output_ids)`` function that re-runs the whole model on the prefix
  (any model: the LSTM seq2seq, or to check the cache); :meth:`RecomputeDecoder.decode` runs
  greedy search batched over many sources, beam search and sampling one source at a time.
* :func:`fixed_width`: right-pads the outputs so far to a fixed width (a causal decoder's
  earlier positions do not see the padding), so the re-run model also keeps one shape per
  bucket.

Example (a "model" that always prefers token ``source[-1] + 1`` and ends after three):
    >>> import numpy as np
    >>> def next_logits(sources, output_ids):
    ...     logits = np.full((len(sources), 10), -5.0)
    ...     for row, (source, out) in enumerate(zip(sources, output_ids)):
    ...         logits[row, 0 if out.shape[0] >= 3 else source[-1] + 1] = 5.0
    ...     return logits
    >>> decoder = RecomputeDecoder(next_logits, DecodingOptions(max_new_tokens=5, end_id=0))
    >>> [list(map(int, x)) for x in decoder.decode([[3], [6, 7]])]
    [[4, 4, 4], [8, 8, 8]]
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Sequence

import numpy as np

from kexue.backend import loop_seed
from kexue.decoding.autoregressive import AutoRegressiveDecoder
from kexue.decoding.options import GenerationConfig
from kexue.tasks.batching import bucket_length

__all__ = ["DecodingOptions", "cached_generate", "RecomputeDecoder", "fixed_width", "strip_end"]


# GenerationConfig's argument names as the generation recipes' flags (longest first)
_FLAGS = (("do_sample=True", "--top-k/--top-p"), ("num_beams>1", "--beams > 1"), ("num_beams", "--beams"),
          ("top_k", "--top-k"), ("top_p", "--top-p"), ("temperature", "--temperature"),
          ("length_penalty", "--length-penalty"), ("seed", "--decoding-seed"))


@dataclasses.dataclass(frozen=True)
class DecodingOptions:
    """How to decode.

    Attributes:
        max_new_tokens: most generated tokens, the end token included.
        end_id: the token that ends an output (``[SEP]``).
        num_beams: beam search when > 1.
        length_penalty: exponent ``a`` of ``score / length**a`` for finished beams (cached
            decoding only; the re-running decoder follows bert4keras: no penalty).
        top_k, top_p: sample from the ``top_k`` best tokens and/or the top-``top_p`` nucleus;
            either one turns sampling on.
        temperature: divides the logits before sampling.
        seed: the sampling seed.
    """

    max_new_tokens: int = 32
    end_id: int = 3
    num_beams: int = 1
    length_penalty: float = 1.0
    top_k: int | None = None
    top_p: float | None = None
    temperature: float = 1.0
    seed: int = 0

    def __post_init__(self):
        """The checks of :class:`~kexue.decoding.GenerationConfig`, whose messages name its
        arguments; said here with the command line's flags."""
        try:
            GenerationConfig(**self.generate_kwargs())
        except ValueError as error:
            message = str(error)
            for name, flag in _FLAGS:
                message = message.replace(name, flag)
            raise ValueError(message) from None

    @property
    def sample(self) -> bool:
        return self.top_k is not None or self.top_p is not None

    def generate_kwargs(self) -> dict:
        """The keyword arguments of :meth:`~kexue.decoding.CachedDecoder.generate`."""
        kwargs = dict(max_new_tokens=self.max_new_tokens, end_ids=[self.end_id], seed=self.seed)
        if self.num_beams > 1:
            kwargs.update(num_beams=self.num_beams, length_penalty=self.length_penalty)
        if self.sample:
            kwargs.update(do_sample=True, top_k=self.top_k, top_p=self.top_p, temperature=self.temperature)
        return kwargs


def strip_end(tokens, end_id: int) -> list[int]:
    """The tokens before the first ``end_id``.

    >>> strip_end([5, 6, 3, 7], 3)
    [5, 6]
    """
    out = []
    for token in np.asarray(tokens).tolist():
        if token == end_id:
            break
        out.append(int(token))
    return out


def cached_generate(decoder, sources: Sequence[Sequence[int]], options: DecodingOptions,
                    batch_size: int = 32, maxlen: int = 512, progress=None) -> list[list[int]]:
    """Decode every source with ``decoder`` (a :class:`~kexue.decoding.CachedDecoder`),
    ``batch_size`` at a time in fixed shapes (see the module docstring); returns the tokens
    of each output without the end token. Filler rows are never longer than ``maxlen`` minus
    the new tokens (the positions a model has). ``progress(n)`` is called after each batch."""
    outputs: list[list[int]] = []
    kwargs = options.generate_kwargs()
    for start in range(0, len(sources), batch_size):
        batch = [list(map(int, s)) for s in sources[start : start + batch_size]]
        longest = max(len(s) for s in batch)
        width = max(longest, min(bucket_length(longest, maxlen), maxlen - options.max_new_tokens))
        filler = [[batch[0][0]] * width] + [[batch[0][0]]] * (batch_size - len(batch))
        if options.sample:  # each batch its own draws: equal prompts in two batches differ
            kwargs["seed"] = loop_seed(options.seed, start)
        result = decoder.generate(batch + filler, **kwargs)
        outputs += [strip_end(result.sequences[i][0], options.end_id) for i in range(len(batch))]
        if progress is not None:
            progress(len(batch))
    return outputs


def fixed_width(output_ids: np.ndarray, width: int, pad_id: int = 0) -> np.ndarray:
    """``output_ids`` ``(rows, t)`` right-padded with ``pad_id`` to ``(rows, width)``.

    >>> fixed_width(np.array([[5, 6]]), 4).tolist()
    [[5, 6, 0, 0]]
    """
    out = np.full((len(output_ids), width), pad_id, dtype="int32")
    out[:, : output_ids.shape[1]] = output_ids
    return out


class RecomputeDecoder(AutoRegressiveDecoder):
    """Decoding without a cache: ``next_logits(sources, output_ids)`` gets a list of source
    arrays (one per row) and the outputs so far ``(rows, t)`` and returns the next-token logits
    ``(rows, vocab)``. ``start_id``: a token every output starts with (it is not returned)."""

    def __init__(self, next_logits: Callable, options: DecodingOptions, start_id: int | None = None):
        super().__init__(start_id=start_id, end_id=options.end_id, maxlen=options.max_new_tokens)
        self.next_logits, self.options = next_logits, options

    @AutoRegressiveDecoder.wraps(default_rtype="logits")
    def predict(self, inputs, output_ids, states):
        return self.next_logits(list(inputs[0]), output_ids)

    def _prefix(self, rows: int) -> np.ndarray:
        return np.repeat(self.first_output_ids, rows, axis=0)

    def greedy(self, sources: Sequence[Sequence[int]]) -> list[list[int]]:
        """Greedy search for many sources at once (the argmax of every row at every step)."""
        sources = [np.asarray(s) for s in sources]
        output_ids = self._prefix(len(sources))
        done = np.zeros(len(sources), bool)
        for _ in range(self.options.max_new_tokens):
            logits = np.asarray(self.next_logits(sources, output_ids), "float64")
            token = np.where(done, self.options.end_id, logits.argmax(axis=-1))
            output_ids = np.concatenate([output_ids, token[:, None]], axis=1)
            done |= token == self.options.end_id
            if done.all():
                break
        skip = self.first_output_ids.shape[1]
        return [strip_end(row[skip:], self.options.end_id) for row in output_ids]

    def decode(self, sources: Sequence[Sequence[int]], batch_size: int = 32) -> list[list[int]]:
        """Every source's output (without the start and end tokens): greedy in batches of
        ``batch_size``, or beam search / sampling per source as ``options`` say."""
        options, skip = self.options, self.first_output_ids.shape[1]
        if options.num_beams == 1 and not options.sample:
            return [out for start in range(0, len(sources), batch_size)
                    for out in self.greedy(sources[start : start + batch_size])]
        outputs = []
        for i, source in enumerate(sources):
            if options.sample:
                row = self.random_sample([source], 1, topk=options.top_k, topp=options.top_p,
                                         temperature=options.temperature, seed=[options.seed, i])[0]
            else:
                row = self.beam_search([source], topk=options.num_beams)
            outputs.append(strip_end(np.asarray(row)[skip:], options.end_id))
        return outputs
