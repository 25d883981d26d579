"""What every kexue tokenizer shares: special tokens, bert4keras-style truncation, the
``encode``/``encode_batch`` assembly of ``[CLS] first [SEP] second [SEP]`` and segment ids.

A subclass supplies the *content* encoding (ids and character offsets of a text without any
special token, for a whole batch at once) plus the id/token look-ups; everything else lives here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from kexue.data.sequences import truncate_sequences
from kexue.tokenizers.inputs import (
    check_options,
    check_text,
    check_text_or_tokens,
    check_texts,
    int_ids,
)

__all__ = ["TokenizerBase", "check_texts", "int_ids", "kept_lengths"]

Offsets = list[tuple[int, int]]


def kept_lengths(first: int, second: int, budget: int) -> tuple[int, int]:
    """How many content tokens of each text survive when ``first + second`` must fit in
    ``budget``: tokens are removed one at a time from the longer text, the first text losing
    on ties (bert4keras' ``truncate_sequences`` rule), computed in O(1).

    >>> kept_lengths(10, 3, 8), kept_lengths(5, 5, 9), kept_lengths(2, 9, 20)
    ((5, 3), (4, 5), (2, 9))
    """
    removals = first + second - budget
    if removals <= 0:
        return first, second
    if first >= second and first - second >= removals:
        return first - removals, second
    if second > first and second - first >= removals:
        return first, second - removals
    # Both reach the same length, then lose a token in turn, the first text going first.
    return budget // 2, budget - budget // 2


class TokenizerBase:
    """Shared machinery of :class:`~kexue.tokenizers.Tokenizer` and
    :class:`~kexue.tokenizers.SpTokenizer`; not used directly.

    Args:
        token_start: token put before each text (``None`` for none), ``"[CLS]"`` by default.
        token_end: token put after each text (``None`` for none), ``"[SEP]"`` by default.
        pre_tokenize: a function splitting a text into words first (e.g. ``jieba.lcut``);
            what each tokenizer does with the words is described in its class.
        token_translate: ``{token: replacement}`` applied to the tokens of every text (and
            undone by ``SpTokenizer.decode``), as in bert4keras.
    """

    _token_pad = "[PAD]"
    _token_unk = "[UNK]"
    _token_mask = "[MASK]"

    def __init__(
        self,
        token_start: str | None = "[CLS]",
        token_end: str | None = "[SEP]",
        pre_tokenize: Callable[[str], Iterable[str]] | None = None,
        token_translate: Mapping[str, str] | None = None,
    ):
        self._token_start = token_start
        self._token_end = token_end
        if pre_tokenize is not None and not callable(pre_tokenize):
            raise TypeError("pre_tokenize must be a function from a text to its words")
        self._pre_tokenize = pre_tokenize
        self._token_translate = dict(token_translate or {})
        self._token_translate_inv = {v: k for k, v in self._token_translate.items()}
        self._id_translate: dict[int, int] = {}

    # -- to be supplied by subclasses -------------------------------------------------------
    def token_to_id(self, token: str) -> int:
        """The id of ``token`` (the unknown token's id when it is not in the vocabulary)."""
        raise NotImplementedError

    def id_to_token(self, i: int) -> str:
        """The token with id ``i``."""
        raise NotImplementedError

    def _content_tokens(self, text: str) -> list[str]:
        """The tokens of ``text`` without special tokens."""
        raise NotImplementedError

    def _content_batch(self, texts: list[str], offsets: bool) -> list[tuple[list[int], Any]]:
        """``(ids, offsets or None)`` of each text, without special tokens."""
        raise NotImplementedError

    # -- look-ups ---------------------------------------------------------------------------
    @property
    def vocab_size(self) -> int:
        """Number of ids (the size of the embedding matrix this tokenizer feeds)."""
        return self._vocab_size

    def tokens_to_ids(self, tokens: Sequence[str]) -> list[int]:
        """Map a token sequence to ids."""
        return [self.token_to_id(token) for token in tokens]

    def ids_to_tokens(self, ids: Sequence[int]) -> list[str]:
        """Map an id sequence to tokens."""
        return [self.id_to_token(i) for i in int_ids(ids)]

    def _lookup_specials(self) -> None:
        """Set ``_token_<name>_id`` (``None`` when the vocabulary lacks it) and the id form of
        ``token_translate``."""
        for name in ("pad", "unk", "mask", "start", "end"):
            token = getattr(self, f"_token_{name}")
            token_id = self._special_id(token) if token is not None else None
            setattr(self, f"_token_{name}_id", token_id)
        # Only tokens of the vocabulary can be translated at the id level (an unknown token's id
        # would stand for every unknown token).
        self._id_translate = {
            self._special_id(a): self.token_to_id(b)
            for a, b in self._token_translate.items()
            if self._special_id(a) is not None
        }

    def _contents(self, texts: list[str], offsets: bool) -> list[tuple[list[int], Any]]:
        """:meth:`_content_batch` with ``token_translate`` applied."""
        contents = self._content_batch(texts, offsets)
        if self._id_translate:
            get = self._id_translate.get
            contents = [([get(i, i) for i in ids], spans) for ids, spans in contents]
        return contents

    def _special_id(self, token: str) -> int | None:
        raise NotImplementedError

    # -- tokenize ---------------------------------------------------------------------------
    def _wrap(self, content: list) -> list:
        start = [self._token_start] if self._token_start is not None else []
        end = [self._token_end] if self._token_end is not None else []
        return start + content + end

    def _n_specials(self) -> tuple[int, int]:
        return int(self._token_start is not None), int(self._token_end is not None)

    def _budget(self, maxlen: int, pair: bool, pattern: str) -> int:
        s, e = self._n_specials()
        n_special = s + e + (e + (s if pattern == "S*ES*E" else 0) if pair else 0)
        if maxlen - n_special < 0:
            raise ValueError(
                f"maxlen={maxlen} cannot even hold the {n_special} special tokens; "
                f"use maxlen >= {n_special}"
            )
        return maxlen - n_special

    @staticmethod
    def _cut(seq: list, keep: int, truncate_from: str) -> list:
        if keep >= len(seq):
            return seq
        return seq[:keep] if truncate_from == "right" else seq[len(seq) - keep :]

    def tokenize(self, text: str, maxlen: int | None = None) -> list[str]:
        """Split ``text`` into tokens and add the start/end tokens; with ``maxlen``, drop tokens
        from the end of the text (before the end token) until at most ``maxlen`` remain."""
        check_text(text, "text")
        tokens = self._content_tokens(text)
        if self._token_translate:
            tokens = [self._token_translate.get(t, t) for t in tokens]
        if maxlen is not None:
            tokens = tokens[: self._budget(maxlen, False, "S*E*E")]
        return self._wrap(tokens)

    # -- encode -----------------------------------------------------------------------------
    def _assemble(self, first, second, maxlen, pattern, truncate_from, offsets):
        """Turn content ``(ids, offsets)`` of one or two texts into the model's inputs."""
        ids_a, off_a = first
        if maxlen is not None:
            if second is None:
                keep_a, keep_b = min(len(ids_a), self._budget(maxlen, False, pattern)), 0
            else:
                keep_a, keep_b = kept_lengths(
                    len(ids_a), len(second[0]), self._budget(maxlen, True, pattern)
                )
            ids_a = self._cut(ids_a, keep_a, truncate_from)
            off_a = self._cut(off_a, keep_a, truncate_from) if offsets else None
        token_ids = self._wrap_ids(ids_a)
        segment_ids = [0] * len(token_ids)
        out_offsets = self._wrap_offsets(off_a) if offsets else None
        if second is not None:
            ids_b, off_b = second
            if maxlen is not None:
                ids_b = self._cut(ids_b, keep_b, truncate_from)
                off_b = self._cut(off_b, keep_b, truncate_from) if offsets else None
            skip = int(pattern == "S*E*E" and self._token_start is not None)
            part = self._wrap_ids(ids_b)[skip:]
            token_ids += part
            segment_ids += [1] * len(part)
            if offsets:
                out_offsets += self._wrap_offsets(off_b)[skip:]
        if offsets:
            return token_ids, segment_ids, out_offsets
        return token_ids, segment_ids

    def _wrap_ids(self, ids: list[int]) -> list[int]:
        s, e = self._token_start_id, self._token_end_id
        if s is not None and e is not None:
            return [s, *ids, e]
        return ([s] if s is not None else []) + list(ids) + ([e] if e is not None else [])

    def _wrap_offsets(self, offsets: Offsets) -> Offsets:
        s, e = self._n_specials()
        return [(0, 0)] * s + list(offsets) + [(0, 0)] * e

    def encode(
        self,
        first_text: str | Sequence[str],
        second_text: str | Sequence[str] | None = None,
        maxlen: int | None = None,
        pattern: str = "S*E*E",
        truncate_from: str = "right",
        return_offsets: bool = False,
        first_length: int | None = None,
        second_length: int | None = None,
    ):
        """Token ids and segment ids of one text or a text pair (see :meth:`_encode_pair`).

        ``first_length`` / ``second_length`` (bert4keras' older arguments) cut or pad, with the
        padding id, the first text's part (its special tokens included) and the second's to
        exactly that many tokens, after ``maxlen``.
        """
        result = self._encode_pair(first_text, second_text, maxlen, pattern, truncate_from, return_offsets)
        if first_length is None and second_length is None:
            return result
        return self._fixed_lengths(result, first_length, second_length)

    def _fixed_lengths(self, result, first_length, second_length):
        if self._token_pad_id is None:
            raise ValueError("first_length/second_length pad with the padding token, which this vocabulary lacks.")
        token_ids, segment_ids = result[0], result[1]
        split = segment_ids.count(0)
        parts = [[token_ids[:split], first_length], [token_ids[split:], second_length]]
        offsets = [result[2][:split], result[2][split:]] if len(result) == 3 else None
        for k, (ids, length) in enumerate(parts):
            if length is not None:
                parts[k][0] = ids[:length] + [self._token_pad_id] * max(0, length - len(ids))
                if offsets is not None:
                    offsets[k] = offsets[k][:length] + [(0, 0)] * max(0, length - len(offsets[k]))
        first, second = parts[0][0], parts[1][0]
        out = (first + second, [0] * len(first) + [1] * len(second))
        return out + (offsets[0] + offsets[1],) if offsets is not None else out

    def _encode_pair(
        self,
        first_text: str | Sequence[str],
        second_text: str | Sequence[str] | None = None,
        maxlen: int | None = None,
        pattern: str = "S*E*E",
        truncate_from: str = "right",
        return_offsets: bool = False,
    ):
        """Token ids and segment ids of one text or a text pair.

        ``pattern="S*E*E"`` gives ``[CLS] a [SEP] b [SEP]`` (BERT); ``"S*ES*E"`` keeps the
        second ``[CLS]``. With ``maxlen`` the output has at most ``maxlen`` tokens: content
        tokens are removed from the longer text (the first on ties), from its end
        (``truncate_from="right"``) or its beginning (``"left"``). Either text may also be a
        token list as :meth:`tokenize` returns it. With ``return_offsets=True`` a third list
        gives each token's ``(start, end)`` character span in its own text (``(0, 0)`` for
        special tokens).

        An empty ``second_text`` (``""``) still gets its own ``[SEP]`` (segment 1):
        ``[CLS] a [SEP] [SEP]``, as bert4keras does; transformers leaves an empty second text
        out entirely. Pass ``second_text=None`` for a single text. Texts must be ``str``:
        bytes, ``None`` or numbers raise a ``TypeError`` (decode bytes first).
        """
        check_options(pattern, truncate_from, maxlen)
        check_text_or_tokens(first_text, "first_text")
        if second_text is not None:
            check_text_or_tokens(second_text, "second_text")
        if not isinstance(first_text, str) or not (
            second_text is None or isinstance(second_text, str)
        ):
            if return_offsets:
                raise ValueError("return_offsets=True needs texts, not token lists")
            return self._encode_tokens(first_text, second_text, maxlen, pattern, truncate_from)
        texts = [first_text] if second_text is None else [first_text, second_text]
        contents = self._contents(texts, return_offsets)
        second = contents[1] if second_text is not None else None
        return self._assemble(contents[0], second, maxlen, pattern, truncate_from, return_offsets)

    def encode_with_offsets(self, first_text: str, second_text: str | None = None, **kwargs):
        """``encode(..., return_offsets=True)``: ``(token_ids, segment_ids, offsets)``."""
        return self.encode(first_text, second_text, return_offsets=True, **kwargs)

    def encode_batch(
        self,
        texts: Sequence[str | tuple[str, str]],
        maxlen: int | None = None,
        pattern: str = "S*E*E",
        truncate_from: str = "right",
        return_offsets: bool = False,
    ):
        """:meth:`encode` over many texts or ``(first, second)`` pairs at once (the native
        engine encodes the batch in parallel). Returns ``(token_ids, segment_ids)`` lists, one
        entry per input, plus the offsets lists with ``return_offsets=True``; pad them with
        :func:`kexue.data.sequence_padding`."""
        check_options(pattern, truncate_from, maxlen)
        texts = check_texts(texts)
        flat: list[str] = []
        for n, item in enumerate(texts):
            if isinstance(item, str):
                flat.append(item)
            elif isinstance(item, (tuple, list)) and len(item) == 2:
                flat.extend(
                    (check_text(item[0], f"texts[{n}][0]"), check_text(item[1], f"texts[{n}][1]"))
                )
            else:
                hint = " (decode bytes first)" if isinstance(item, bytes) else ""
                raise TypeError(
                    f"texts[{n}] must be a string or a (first, second) pair of strings, "
                    f"got {type(item).__name__}{hint}"
                )
        contents = self._contents(flat, return_offsets)
        if maxlen is None and not return_offsets and len(flat) == len(texts):
            # The common case (single texts, no truncation) without the per-item machinery.
            wrap = self._wrap_ids
            token_ids = [wrap(ids) for ids, _ in contents]
            return token_ids, [[0] * len(ids) for ids in token_ids]
        outputs, position = [], 0
        for item in texts:
            if isinstance(item, str):
                first, second, position = contents[position], None, position + 1
            else:
                first, second, position = contents[position], contents[position + 1], position + 2
            outputs.append(
                self._assemble(first, second, maxlen, pattern, truncate_from, return_offsets)
            )
        if not outputs:
            return ([], [], []) if return_offsets else ([], [])
        return tuple(list(column) for column in zip(*outputs))

    def _encode_tokens(self, first, second, maxlen, pattern, truncate_from):
        """bert4keras' path for pre-tokenised input (lists that include the special tokens)."""
        first = list(first) if not isinstance(first, str) else self.tokenize(first)
        if second is not None:
            second = list(second) if not isinstance(second, str) else self.tokenize(second)
        s, e = self._n_specials()
        if maxlen is not None:
            index = -(e + 1) if truncate_from == "right" else s
            limit = maxlen + int(second is not None and pattern == "S*E*E" and s == 1)
            truncate_sequences(limit, index, first, second)
        token_ids = self.tokens_to_ids(first)
        segment_ids = [0] * len(token_ids)
        if second is not None:
            part = self.tokens_to_ids(second[int(pattern == "S*E*E" and s == 1) :])
            token_ids += part
            segment_ids += [1] * len(part)
        return token_ids, segment_ids
