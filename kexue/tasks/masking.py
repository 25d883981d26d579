"""Masked-LM inputs, drawn afresh for every batch (RoBERTa's dynamic masking), optionally by
whole words (Chinese words found by jieba), and the word index of every token.

Of the chosen positions 80% become ``[MASK]``, 10% a random token and 10% stay, and all of them
are predicted. Positions are chosen among the content tokens (never ``[CLS]``, ``[SEP]`` or
padding); with ``word_ids`` whole words are chosen until the rate is reached. The random
generator is the caller's (the runner seeds it per step, so a resumed run masks as the
uninterrupted one did).

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> ids = np.array([2, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 3])
    >>> masked, positions, labels = mask_tokens(ids, rng, mask_id=4, vocab_size=30, rate=0.2)
    >>> positions.tolist(), labels.tolist(), masked[positions].tolist()
    ([7, 8], [16, 17], [4, 4])
    >>> word_index("我爱北京天安门", [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (5, 6), (6, 7)],
    ...            ["我", "爱", "北京", "天安门"])
    [0, 1, 2, 2, 3, 3, 3]
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

__all__ = ["mask_tokens", "word_index", "max_masked"]


def max_masked(length: int, rate: float) -> int:
    """How many positions a row of ``length`` tokens may have masked (room for whole words)."""
    return max(1, int(np.ceil(length * rate * 1.5)))


def mask_tokens(token_ids: np.ndarray, rng: np.random.Generator, *, mask_id: int, vocab_size: int,
                rate: float = 0.15, word_ids: Sequence[int] | None = None, first_random: int = 5,
                limit: int | None = None):
    """``(masked_ids, positions, labels)`` for one row ``[CLS] ... [SEP]``: the input with the
    chosen positions replaced, the sorted chosen positions and their original ids.

    ``word_ids`` (one per token, ``-1`` for special tokens) selects whole words; random
    replacements are drawn from ids ``first_random .. vocab_size - 1`` (past the special
    tokens); ``limit`` caps the number of positions."""
    token_ids = np.asarray(token_ids)
    content = np.arange(1, len(token_ids) - 1)  # between [CLS] and [SEP]
    if len(content) == 0:
        return token_ids.copy(), np.zeros(0, "int32"), np.zeros(0, "int32")
    target = max(1, int(round(len(content) * rate)))
    limit = limit or len(content)
    if word_ids is None:
        chosen = rng.choice(content, size=min(target, limit), replace=False)
    else:
        words = np.asarray(word_ids)
        chosen_list: list[int] = []
        for word in rng.permutation(np.unique(words[content])):
            members = content[words[content] == word]
            if len(chosen_list) + len(members) > limit:
                continue
            chosen_list += members.tolist()
            if len(chosen_list) >= target:
                break
        chosen = np.asarray(chosen_list, dtype="int64")
    positions = np.sort(chosen).astype("int32")
    labels = token_ids[positions].astype("int32")
    masked = token_ids.copy()
    draw = rng.random(len(positions))
    masked[positions[draw < 0.8]] = mask_id
    swap = positions[(draw >= 0.8) & (draw < 0.9)]
    masked[swap] = rng.integers(first_random, vocab_size, size=len(swap))
    return masked, positions, labels


def word_index(text: str, offsets: Sequence[tuple[int, int]], words: Sequence[str]) -> list[int]:
    """The index of the word each token falls in, from the tokens' character ``offsets`` in
    ``text`` and the words (consecutive pieces of ``text``, e.g. ``jieba.lcut(text)``)."""
    starts, position = [], 0
    for word in words:
        starts.append(position)
        position += len(word)
    if position != len(text):
        raise ValueError("the words must split the text into consecutive pieces.")
    starts_array = np.asarray(starts)
    return [int(np.searchsorted(starts_array, start, side="right") - 1) for start, _ in offsets]
