"""A character vocabulary built from training texts, for models trained from scratch.

Texts are cleaned and split the way BERT's tokenizer does (lower-cased, CJK ideographs and
punctuation on their own, white space removed); every character becomes a token, and a
character inside a longer word (Latin letters, digits) also gets its continuation form
``##c``, so the WordPiece :class:`~kexue.tokenizers.Tokenizer` spells any word of known
characters without ``[UNK]``. With ``fold_width`` full-width digits and letters count as their
ASCII forms (:mod:`kexue.tokenizers.width`; the tokenizer must then fold too). Special tokens come first: ``[PAD]`` (id 0), ``[UNK]``,
``[CLS]``, ``[SEP]``, ``[MASK]``.

Example:
    >>> vocab = character_vocabulary(["我爱 Keras!", "我也爱"])
    >>> list(vocab)[:7]
    ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', '我', '爱']
    >>> from kexue.tokenizers import Tokenizer
    >>> Tokenizer(vocab, do_lower_case=True).tokenize("我爱keras")
    ['[CLS]', '我', '爱', 'k', '##e', '##r', '##a', '##s', '[SEP]']
"""

from __future__ import annotations

from collections import Counter
from typing import Iterable

__all__ = ["SPECIAL_TOKENS", "character_vocabulary"]

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")


def _words(texts: Iterable[str], do_lower_case: bool, fold: bool) -> Iterable[str]:
    """BERT's basic tokenisation (the normaliser and pre-tokeniser of the WordPiece engine)."""
    from kexue.tokenizers.width import fold_width
    from kexue.tokenizers.wordpiece import build_wordpiece_engine

    engine = build_wordpiece_engine({"[UNK]": 0}, do_lower_case=do_lower_case,
                                    token_start=None, token_end=None)
    normalize, split = engine.normalizer.normalize_str, engine.pre_tokenizer.pre_tokenize_str
    for text in texts:
        for word, _ in split(normalize(fold_width(text) if fold else text)):
            yield word


def character_vocabulary(
    texts: Iterable[str],
    min_count: int = 1,
    max_size: int | None = None,
    do_lower_case: bool = True,
    fold_width: bool = False,
) -> dict[str, int]:
    """``{token: id}``: the special tokens, then the characters of ``texts`` seen at least
    ``min_count`` times, most frequent first (ties in first-seen order), at most ``max_size``
    tokens in all."""
    if min_count < 1:
        raise ValueError(f"min_count must be at least 1, got {min_count}.")
    counts: Counter = Counter()
    for word in _words(texts, do_lower_case, fold_width):
        counts[word[0]] += 1
        for ch in word[1:]:
            counts["##" + ch] += 1
    tokens = [t for t, n in counts.most_common() if n >= min_count and t not in SPECIAL_TOKENS]
    # a continuation form needs its plain form too (a word may start with that character)
    plain = {t for t in tokens if not t.startswith("##")}
    tokens += [t[2:] for t in tokens if t.startswith("##") and t[2:] not in plain]
    vocab = {t: i for i, t in enumerate(SPECIAL_TOKENS)}
    for token in tokens:
        if max_size is not None and len(vocab) >= max_size:
            break
        vocab.setdefault(token, len(vocab))
    if len(vocab) == len(SPECIAL_TOKENS):
        raise ValueError("the training texts hold no characters to build a vocabulary from.")
    return vocab
