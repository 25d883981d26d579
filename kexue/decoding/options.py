"""The options of :meth:`kexue.decoding.CachedDecoder.generate`, defined once:
:class:`GenerationConfig`'s fields are the method's keyword arguments.

Example:
    >>> from kexue.decoding.options import GenerationConfig
    >>> config = GenerationConfig.from_options(50, num_beams=4, end_ids=2)
    >>> config.num_beams, config.end_ids, config.beams
    (4, (2,), 4)
    >>> try:
    ...     GenerationConfig.from_options(50, beams=4)
    ... except TypeError as error:
    ...     print(str(error)[:60])
    generate() got unknown options ['beams']; the options are: m
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import numpy as np

from kexue.models.inputs import check_range, host_ids


@dataclasses.dataclass(frozen=True)
class GenerationConfig:
    """All decoding options, the keyword arguments of :meth:`CachedDecoder.generate`.

    Attributes:
        max_new_tokens, min_new_tokens: bounds on the generated length (end id included);
            before ``min_new_tokens`` the end ids are forbidden.
        end_ids: one id or several; any of them finishes a sequence.
        num_beams: >1 selects beam search; ``length_penalty`` is the exponent ``a`` of
            ``score / length**a`` for finished hypotheses.
        do_sample: sample instead of taking the argmax; with ``temperature``, ``top_k``,
            ``top_p``; ``num_return_sequences`` independent samples per input.
        repetition_penalty: CTRL's penalty on tokens already in the prompt or output.
        no_repeat_ngram_size: forbid repeating any n-gram of the prompt and output.
        banned_ids: tokens never generated.
        constraint: ``f(generated, step) -> allowed``: ``generated`` is ``(batch, beams,
            passages, max_new)`` (valid up to ``step``), ``allowed`` a boolean mask
            ``(batch, beams, passages, vocab)``, e.g. :class:`~kexue.decoding.samplers.
            SubstringConstraint`.
        passages: rows per input whose next-token distributions are combined by the vote
            ``Σp² / (Σp + 1)``.
        seed: sampling seed.
    """

    max_new_tokens: int = 32
    min_new_tokens: int = 0
    end_ids: tuple = ()
    num_beams: int = 1
    do_sample: bool = False
    num_return_sequences: int = 1
    length_penalty: float = 1.0
    temperature: float = 1.0
    top_k: int | None = None
    top_p: float | None = None
    repetition_penalty: float = 1.0
    no_repeat_ngram_size: int = 0
    banned_ids: tuple = ()
    constraint: Callable | None = None
    passages: int = 1
    seed: int = 0

    @classmethod
    def from_options(cls, vocab_size: int, base: "GenerationConfig | None" = None, **options) -> "GenerationConfig":
        """``base`` (default: the defaults) with ``options`` replacing fields, each converted
        to its field's type; ``end_ids`` / ``banned_ids`` (one id or several) must lie in
        ``[0, vocab_size)``. An unknown option raises a ``TypeError`` listing the valid ones."""
        names = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(set(options) - set(names))
        if unknown:
            raise TypeError(f"generate() got unknown options {unknown}; the options are: {', '.join(names)}.")
        values = {name: getattr(base or cls(), name) for name in names}  # no copies: a
        values.update(options)  # constraint's identity keys the compiled loops
        for field in dataclasses.fields(cls):
            value = values[field.name]
            if field.name in ("end_ids", "banned_ids"):
                values[field.name] = _id_list(value, field.name, vocab_size)
            elif field.type in _CONVERT:
                values[field.name] = _CONVERT[field.type](value)
        return cls(**values)

    def __post_init__(self):
        if self.max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be at least 1, got {self.max_new_tokens}.")
        if not 0 <= self.min_new_tokens <= self.max_new_tokens:
            raise ValueError("min_new_tokens must be in 0..max_new_tokens.")
        if self.num_beams < 1 or self.num_return_sequences < 1 or self.passages < 1:
            raise ValueError("num_beams, num_return_sequences and passages must be at least 1.")
        if self.do_sample and self.num_beams > 1:
            raise ValueError("choose sampling (do_sample=True) or beam search (num_beams>1).")
        if self.num_beams > 1 and self.num_return_sequences > self.num_beams:
            raise ValueError("num_return_sequences cannot exceed num_beams.")
        if not (self.do_sample or self.num_beams > 1) and self.num_return_sequences > 1:
            raise ValueError("greedy search returns one sequence; sample or use beams.")
        if not (math.isfinite(self.temperature) and self.temperature > 0):
            raise ValueError(f"temperature must be a positive number, got {self.temperature}.")
        if not (math.isfinite(self.repetition_penalty) and self.repetition_penalty > 0):
            raise ValueError(f"repetition_penalty must be positive (1.0 = off), got {self.repetition_penalty}.")
        if not math.isfinite(self.length_penalty):
            raise ValueError(f"length_penalty must be a finite number, got {self.length_penalty}.")
        if self.top_k is not None and (isinstance(self.top_k, bool) or int(self.top_k) != self.top_k or self.top_k < 1):
            raise ValueError(f"top_k must be a positive integer or None, got {self.top_k!r}.")
        if self.top_p is not None and not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must lie in (0, 1] or be None, got {self.top_p!r}.")
        if self.no_repeat_ngram_size < 0:
            raise ValueError(f"no_repeat_ngram_size must be >= 0 (0 = off), got {self.no_repeat_ngram_size}.")
        if isinstance(self.seed, bool) or not -(2**31) <= self.seed < 2**31:
            raise ValueError(f"seed must be a 32-bit integer, got {self.seed!r}.")
        if self.min_new_tokens > 0 and not self.end_ids:
            raise ValueError("min_new_tokens only has an effect with end_ids.")

    @property
    def beams(self) -> int:
        """Rows kept per input: beams, samples, or 1 for greedy."""
        if self.num_beams > 1:
            return self.num_beams
        return self.num_return_sequences if self.do_sample else 1


_CONVERT = {"int": int, "float": float, "bool": bool}  # field type -> conversion of a given value


def _id_list(ids, name: str, vocab_size: int) -> tuple:
    """``end_ids`` / ``banned_ids``: one id or several, whole numbers inside the vocabulary."""
    array = host_ids([ids] if np.isscalar(ids) else list(ids), name, ndim=1)
    check_range(array, name, vocab_size, "vocab_size")
    return tuple(int(i) for i in array)
