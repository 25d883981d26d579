"""BERT's WordPiece tokenizer with bert4keras' API, running on the Hugging Face ``tokenizers``
engine (Rust, parallel over a batch).

The pipeline is BERT's: clean the text (drop control characters, map white space to spaces),
put spaces around CJK ideographs, optionally lower-case and strip accents, split on white space
and punctuation, then greedy longest-match-first WordPiece with ``[UNK]`` for words that cannot
be pieced together (or are longer than 100 characters).
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence

from tokenizers import Tokenizer as _HFTokenizer
from tokenizers import models, normalizers, pre_tokenizers, processors

from kexue.tokenizers.base import TokenizerBase, check_texts
from kexue.tokenizers.plain import PlainTextEncoder
from kexue.tokenizers.vocab import (
    cjk_punctuation,
    is_cjk_character,
    is_control,
    is_control_or_format,
    is_punctuation,
    is_redundant_token,
    is_space,
    is_special_token,
    load_vocab,
    token_stem,
)
from kexue.tokenizers.width import fold_width

__all__ = ["Tokenizer", "build_wordpiece_engine"]

# Marks after which decode() writes no space: full-width/CJK punctuation and a few openers.
_NO_SPACE_AFTER = (
    "＂＃＄％＆＇（）＊＋，－／：；＜＝＞＠［＼］＾＿｀｛｜｝～｟｠｢｣､\u3000、〃〈〉《》「」『』【】〔〕〖〗〘〙〚〛"
    "〜〝〞〟〰〾〿–—‘’‛“”„‟…‧﹏﹑﹔·！？｡。+-/={(<["
)
_NO_SPACE_AFTER_RE = re.compile(f"([{re.escape(_NO_SPACE_AFTER)}]) ")
_CONTRACTION_RE = re.compile(r"' (re|m|s|t|ve|d|ll) ")
_DECIMAL_RE = re.compile(r"(\d\.) (\d)")
_SPACES_RE = re.compile(" +")


def _lower_and_strip(text: str) -> str:
    """Lower-case and strip accents the way BERT's normaliser does (NFD, drop ``Mn``, lower)."""
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn").lower()


def _deleted(ch: str) -> bool:
    """Whether BERT's text cleaning deletes ``ch``."""
    return ch == "\x00" or ch == "\ufffd" or is_control(ch)


def build_wordpiece_engine(
    token_dict: Mapping[str, int],
    do_lower_case: bool = False,
    token_start: str | None = "[CLS]",
    token_end: str | None = "[SEP]",
    unk_token: str = "[UNK]",
    max_input_chars_per_word: int = 100,
) -> _HFTokenizer:
    """The ``tokenizers.Tokenizer`` behind :class:`Tokenizer` (BERT normaliser, BERT
    pre-tokeniser, WordPiece, and a template adding the start/end tokens with type ids).

    >>> engine = build_wordpiece_engine({"[UNK]": 0, "[CLS]": 1, "[SEP]": 2, "hi": 3})
    >>> engine.encode("hi there").ids
    [1, 3, 0, 2]
    """
    engine = _HFTokenizer(
        models.WordPiece(
            vocab=dict(token_dict),
            unk_token=unk_token,
            max_input_chars_per_word=max_input_chars_per_word,
        )
    )
    engine.normalizer = normalizers.BertNormalizer(
        clean_text=True,
        handle_chinese_chars=True,
        strip_accents=do_lower_case,
        lowercase=do_lower_case,
    )
    engine.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    start = [token_start] if token_start is not None else []
    end = [token_end] if token_end is not None else []
    special = [(t, token_dict[t]) for t in dict.fromkeys(start + end)]
    engine.post_processor = processors.TemplateProcessing(
        single=" ".join(start + ["$A"] + end),
        pair=" ".join(start + ["$A"] + end + ["$B:1"] + [f"{t}:1" for t in end]),
        special_tokens=special,
    )
    return engine


class Tokenizer(TokenizerBase):
    """BERT's WordPiece tokenizer (bert4keras' ``Tokenizer``) on the Hugging Face engine.

    Args:
        token_dict: path of a ``vocab.txt`` or a ``{token: id}`` dict (e.g. the first value of
            ``load_vocab(..., simplified=True)``).
        do_lower_case: lower-case and strip accents (``True`` for "uncased" models).
        token_start, token_end: the tokens around each text (``None`` to leave one out).
        max_input_chars_per_word: longer words become ``[UNK]``.
        fast_path: encode texts made only of ASCII, CJK ideographs and common CJK punctuation
            with :class:`~kexue.tokenizers.plain.PlainTextEncoder` (same ids, several times
            faster); ``False`` sends everything through the Hugging Face engine.
        pre_tokenize: split texts into words first (e.g. ``lambda s: jieba.lcut(s, HMM=False)``
            for word-level Chinese vocabularies such as WoBERT's): a word that is in the
            vocabulary (after lower-casing with ``do_lower_case``) becomes one token, any other
            word is tokenised as usual. The words must be pieces of the text, in order.
        token_translate: ``{token: replacement}`` applied after tokenising.
        fold_width: read full-width ASCII forms (``１２ＡＢ``) as ASCII before tokenising
            (:mod:`kexue.tokenizers.width`; for vocabularies built from folded text, such as the
            character vocabularies of ``kexue task`` models trained from scratch). Offsets
            still index the original text.

    >>> tok = Tokenizer({"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "我": 4, "爱": 5,
    ...                  "you": 6, "##r": 7, "!": 8}, do_lower_case=True)
    >>> tok.tokenize("我爱YOUR!")
    ['[CLS]', '我', '爱', 'you', '##r', '!', '[SEP]']
    >>> tok.encode("我爱", "you")
    ([2, 4, 5, 3, 6, 3], [0, 0, 0, 0, 1, 1])
    >>> tok.decode([2, 4, 5, 6, 7, 8, 3])
    '我爱your!'
    >>> tok.rematch("我爱YOUR!", tok.tokenize("我爱YOUR!"))
    [[], [0], [1], [2, 3, 4], [5], [6], []]
    """

    def __init__(
        self,
        token_dict: str | os.PathLike | Mapping[str, int],
        do_lower_case: bool = False,
        token_start: str | None = "[CLS]",
        token_end: str | None = "[SEP]",
        max_input_chars_per_word: int = 100,
        fast_path: bool = True,
        pre_tokenize: Callable[[str], Iterable[str]] | None = None,
        token_translate: Mapping[str, str] | None = None,
        fold_width: bool = False,
    ):
        super().__init__(token_start, token_end, pre_tokenize, token_translate)
        self._fold_width = bool(fold_width)
        if isinstance(token_dict, (str, os.PathLike)):
            token_dict = load_vocab(token_dict)
        elif not isinstance(token_dict, Mapping):
            raise TypeError(
                f"token_dict must be a vocab.txt path or a {{token: id}} dict, "
                f"got {type(token_dict).__name__}"
            )
        needed = [self._token_unk] + [t for t in (token_start, token_end) if t is not None]
        missing = [t for t in needed if t not in token_dict]
        if missing:
            raise ValueError(
                f"the vocabulary lacks {missing}: a WordPiece vocabulary needs [UNK] and the "
                "start/end tokens (set token_start/token_end=None to do without them)"
            )
        self._token_dict = dict(token_dict)
        self._token_dict_inv = {i: t for t, i in self._token_dict.items()}
        self._vocab_size = max(self._token_dict_inv) + 1
        self._do_lower_case = do_lower_case
        self._engine = build_wordpiece_engine(
            self._token_dict,
            do_lower_case,
            token_start,
            token_end,
            self._token_unk,
            max_input_chars_per_word,
        )
        self._lookup_specials()
        self._plain = None
        if fast_path:
            self._plain = PlainTextEncoder(
                self._token_dict, self._token_unk_id, do_lower_case, max_input_chars_per_word
            )

    def _special_id(self, token: str) -> int | None:
        return self._token_dict.get(token)

    stem = staticmethod(token_stem)
    # bert4keras' character classes, under its names (scripts call them on the class)
    _is_space = staticmethod(is_space)
    _is_punctuation = staticmethod(is_punctuation)
    _cjk_punctuation = staticmethod(cjk_punctuation)
    _is_cjk_character = staticmethod(is_cjk_character)
    _is_control = staticmethod(is_control_or_format)
    _is_special = staticmethod(is_special_token)
    _is_redundant = staticmethod(is_redundant_token)

    @property
    def engine(self) -> _HFTokenizer:
        """The underlying ``tokenizers.Tokenizer`` (for tools that want it directly)."""
        return self._engine

    def token_to_id(self, token: str) -> int:
        """The id of ``token``, ``[UNK]``'s id for unknown tokens."""
        return self._token_dict.get(token, self._token_unk_id)

    def id_to_token(self, i: int) -> str:
        """The token with id ``i``."""
        try:
            return self._token_dict_inv[i]
        except KeyError:
            raise KeyError(f"id {i} is not in the vocabulary (size {self._vocab_size})") from None

    # -- content encodings (no special tokens) -----------------------------------------------
    def _content_tokens(self, text: str) -> list[str]:
        return self.ids_to_tokens(self._content_batch([text], False)[0][0])

    def _content_batch(self, texts: list[str], offsets: bool):
        if self._fold_width:  # one character for one: offsets are unchanged
            texts = [fold_width(text) for text in texts]
        if self._pre_tokenize is None:
            return self._encode_texts(texts, offsets)
        return [self._encode_words(text, offsets) for text in texts]

    def _encode_words(self, text: str, offsets: bool):
        """``pre_tokenize`` first: vocabulary words whole, other words through WordPiece."""
        ids: list[int] = []
        spans: list[tuple[int, int]] = []
        cursor = 0
        for word in self._pre_tokenize(text):
            start = text.find(word, cursor)
            if start < 0:
                raise ValueError(
                    f"pre_tokenize returned {word!r}, which is not the next piece of the text; "
                    "it must split the text into consecutive pieces"
                )
            cursor = start + len(word)
            key = _lower_and_strip(word) if self._do_lower_case else word
            if key in self._token_dict:
                ids.append(self._token_dict[key])
                spans.append((start, cursor))
                continue
            word_ids, word_spans = self._encode_texts([word], offsets)[0]
            ids += word_ids
            if offsets:
                spans += [(start + a, start + b) for a, b in word_spans]
        return ids, spans if offsets else None

    def _encode_texts(self, texts: list[str], offsets: bool):
        results: list = [None] * len(texts)
        rest = range(len(texts))
        if self._plain is not None:
            encode = self._plain.encode
            results = [encode(text, offsets) for text in texts]
            rest = [i for i, result in enumerate(results) if result is None]
        if rest:
            encodings = self._engine.encode_batch([texts[i] for i in rest], add_special_tokens=False)
            for i, e in zip(rest, encodings):
                results[i] = (e.ids, e.offsets if offsets else None)
        return results

    def encode_batch(
        self,
        texts: Sequence[str | tuple[str, str]],
        maxlen: int | None = None,
        pattern: str = "S*E*E",
        truncate_from: str = "right",
        return_offsets: bool = False,
    ):
        # Without the fast path, the quickest route for plain batches is the engine's own
        # template (special tokens and type ids added in Rust).
        texts = check_texts(texts)
        if (
            self._plain is None and self._pre_tokenize is None and not self._id_translate
            and maxlen is None and pattern == "S*E*E" and all(isinstance(t, str) for t in texts)
        ):
            encodings = self._engine.encode_batch(texts)
            token_ids = [e.ids for e in encodings]
            segment_ids = [[0] * len(ids) for ids in token_ids]
            if return_offsets:
                return token_ids, segment_ids, [e.offsets for e in encodings]
            return token_ids, segment_ids
        return super().encode_batch(texts, maxlen, pattern, truncate_from, return_offsets)

    encode_batch.__doc__ = TokenizerBase.encode_batch.__doc__

    # -- decode / rematch ---------------------------------------------------------------------
    def decode(self, ids: Sequence[int], tokens: Sequence[str] | None = None) -> str:
        """Readable text from ids (or from ``tokens`` when given): special tokens are dropped,
        ``##`` pieces glued to the previous piece, CJK characters and the punctuation around them
        written without spaces, English words separated by single spaces."""
        tokens = list(tokens) if tokens else self.ids_to_tokens(ids)
        parts: list[str] = []
        last_char = ""
        for token in tokens:
            if is_special_token(token):
                continue
            if token.startswith("##"):
                piece = token[2:]
            elif len(token) == 1 and is_cjk_character(token):
                piece = token
            elif len(token) == 1 and is_punctuation(token):
                piece = token + " "
            elif parts and last_char and is_cjk_character(last_char):
                piece = token
            else:
                piece = " " + token
            if piece:
                parts.append(piece)
                last_char = piece[-1]
        text = _SPACES_RE.sub(" ", "".join(parts))
        text = _CONTRACTION_RE.sub(r"'\1 ", text)
        text = _NO_SPACE_AFTER_RE.sub(r"\1", text)
        text = _DECIMAL_RE.sub(r"\1\2", text)
        return text.strip()

    def _normalize_char(self, ch: str) -> str:
        """What BERT's normaliser turns one character into ('' when it is deleted)."""
        if _deleted(ch):
            return ""
        if self._fold_width:
            ch = fold_width(ch)
        if is_space(ch):
            return " "
        return _lower_and_strip(ch) if self._do_lower_case else ch

    def rematch(self, text: str, tokens: Sequence[str]) -> list[list[int]]:
        """For each token, the indices of the characters of ``text`` it was made from: ``[]``
        for ``[CLS]``, ``[SEP]`` and other bracketed special tokens, deleted (control)
        characters left out.

        When ``tokens`` is what this tokenizer makes of ``text`` (possibly truncated), the
        engine's alignments are used, so an ``[UNK]`` maps to the characters it replaced
        (bert4keras gives ``[]`` there). Other token lists are matched by searching each
        token's text in the normalised ``text`` from left to right."""
        ids, offsets = self._contents([text], True)[0]
        engine_tokens = self.ids_to_tokens(ids)
        mapping: list[list[int]] = []
        position = 0
        for token in tokens:
            if position < len(engine_tokens) and token == engine_tokens[position]:
                start, end = offsets[position]
                kept = [i for i in range(start, end) if not _deleted(text[i])]
                mapping.append(kept or list(range(start, end)))
                position += 1
            elif is_special_token(token):
                mapping.append([])
            else:
                return self._rematch_by_search(text, tokens)
        return mapping

    def _rematch_by_search(self, text: str, tokens: Sequence[str]) -> list[list[int]]:
        normalized: list[str] = []
        source: list[int] = []
        for i, ch in enumerate(text):
            for c in self._normalize_char(ch):
                normalized.append(c)
                source.append(i)
        flat = "".join(normalized)
        mapping: list[list[int]] = []
        cursor = 0
        for token in tokens:
            if is_special_token(token):
                mapping.append([])
                continue
            stem = token_stem(token)
            start = flat.find(stem, cursor)
            if start < 0:
                raise ValueError(
                    f"token {token!r} does not occur in the text after position {cursor}; "
                    "rematch needs the tokens this tokenizer produced for this very text"
                )
            end = start + len(stem)
            mapping.append(sorted(set(source[start:end])))
            cursor = end
        return mapping
