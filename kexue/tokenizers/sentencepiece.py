"""``SpTokenizer``: a SentencePiece model (T5, mT5, ALBERT, XLNet...) behind the same API as
:class:`~kexue.tokenizers.Tokenizer`."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence

from kexue.tokenizers.base import TokenizerBase, int_ids

__all__ = ["SpTokenizer"]


class SpTokenizer(TokenizerBase):
    """bert4keras' ``SpTokenizer``: ``tokenize``/``encode``/``encode_batch``/``decode`` on a
    SentencePiece model.

    Args:
        sp_model_path: path of the ``.model`` file (or its bytes).
        token_start, token_end: tokens put around each text; they must be pieces of the model
            (``[CLS]``/``[SEP]`` for ALBERT; T5 uses ``token_start=None, token_end="</s>"``).
        pre_tokenize: split texts into words first; the words are joined with spaces before
            SentencePiece sees them (bert4keras' behaviour). Offsets then refer to the joined
            text, so ``return_offsets=True`` is refused.
        token_translate: ``{piece: replacement}`` applied after tokenising and undone by
            :meth:`decode` (e.g. ``{"\n": "<n>"}`` for models with a newline piece).

    Example (a model trained on the spot):

    >>> import io, sentencepiece as spm
    >>> corpus = ["the quick brown fox", "中文 测试 模型", "hello world"] * 50
    >>> buffer = io.BytesIO()
    >>> spm.SentencePieceTrainer.train(sentence_iterator=iter(corpus), model_writer=buffer,
    ...     vocab_size=40, hard_vocab_limit=False, minloglevel=2)
    >>> tok = SpTokenizer(buffer.getvalue(), token_start=None, token_end="</s>")
    >>> ids, segments = tok.encode("hello world")
    >>> tok.decode(ids)
    'hello world'
    """

    def __init__(
        self,
        sp_model_path: str | os.PathLike | bytes,
        token_start: str | None = "[CLS]",
        token_end: str | None = "[SEP]",
        pre_tokenize: Callable[[str], Iterable[str]] | None = None,
        token_translate: Mapping[str, str] | None = None,
    ):
        super().__init__(token_start, token_end, pre_tokenize, token_translate)
        import sentencepiece as spm

        if isinstance(sp_model_path, bytes):
            self.sp_model = spm.SentencePieceProcessor(model_proto=sp_model_path)
        else:
            path = os.fspath(sp_model_path)
            if not os.path.isfile(path):
                raise FileNotFoundError(f"SentencePiece model {path!r} does not exist")
            self.sp_model = spm.SentencePieceProcessor(model_file=path)
        sp = self.sp_model
        self._vocab_size = sp.get_piece_size()
        self._token_unk = sp.id_to_piece(sp.unk_id())
        self._token_pad = sp.id_to_piece(sp.pad_id()) if sp.pad_id() >= 0 else "[PAD]"
        for token in (token_start, token_end):
            if token is not None and self._special_id(token) is None:
                raise ValueError(
                    f"{token!r} is not a piece of this SentencePiece model; pass the model's own "
                    "start/end pieces (e.g. token_start=None, token_end='</s>' for T5) or None"
                )
        self._lookup_specials()

    def _special_id(self, token: str) -> int | None:
        i = self.sp_model.piece_to_id(token)
        if self.sp_model.is_unknown(i) and token != self._token_unk:
            return None
        return i

    def token_to_id(self, token: str) -> int:
        """The id of piece ``token`` (the unknown piece's id when absent)."""
        return self.sp_model.piece_to_id(token)

    def id_to_token(self, i: int) -> str:
        """The piece with id ``i`` (``''`` beyond the vocabulary, as bert4keras does)."""
        return self.sp_model.id_to_piece(i) if 0 <= i < self._vocab_size else ""

    def _joined(self, text: str) -> str:
        return " ".join(self._pre_tokenize(text)) if self._pre_tokenize is not None else text

    def _content_tokens(self, text: str) -> list[str]:
        return self.sp_model.encode(self._joined(text), out_type=str)

    def _content_batch(self, texts: list[str], offsets: bool):
        if self._pre_tokenize is not None:
            if offsets:
                raise ValueError("offsets are not available with pre_tokenize (SentencePiece sees the joined words)")
            texts = [self._joined(text) for text in texts]
        if not offsets:
            return [(ids, None) for ids in self.sp_model.encode(texts, out_type=int)]
        results = self.sp_model.encode(texts, return_type="offset_mapping")
        return [(r["ids"], [tuple(o) for o in r["offsets"]]) for r in results]

    def _is_special(self, i: int) -> bool:
        sp = self.sp_model
        return sp.is_control(i) or sp.is_unknown(i) or sp.is_unused(i)

    def _is_decodable(self, i: int) -> bool:
        """Whether id ``i`` stands for text (in range and not a control/unknown/unused piece)."""
        return 0 <= i < self._vocab_size and not self._is_special(i)

    def decode(self, ids: Sequence[int]) -> str:
        """Text of ``ids``; control, unknown and unused pieces and ids out of range are left out
        (after undoing ``token_translate``)."""
        ids = int_ids(ids)
        if self._token_translate_inv:
            back = {self.token_to_id(b): self.token_to_id(a) for b, a in self._token_translate_inv.items()}
            ids = [back.get(i, i) for i in ids]
        return self.sp_model.decode([i for i in ids if self._is_decodable(i)])
