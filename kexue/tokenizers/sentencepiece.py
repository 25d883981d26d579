"""``SpTokenizer``: a SentencePiece model (T5, mT5, ALBERT, XLNet...) behind the same API as
:class:`~kexue.tokenizers.Tokenizer`."""

from __future__ import annotations

import os
from collections.abc import Sequence

from kexue.tokenizers.base import TokenizerBase

__all__ = ["SpTokenizer"]


class SpTokenizer(TokenizerBase):
    """bert4keras' ``SpTokenizer``: ``tokenize``/``encode``/``encode_batch``/``decode`` on a
    SentencePiece model.

    Args:
        sp_model_path: path of the ``.model`` file (or its bytes).
        token_start, token_end: tokens put around each text; they must be pieces of the model
            (``[CLS]``/``[SEP]`` for ALBERT; T5 uses ``token_start=None, token_end="</s>"``).

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
    ):
        super().__init__(token_start=token_start, token_end=token_end)
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

    def _content_tokens(self, text: str) -> list[str]:
        return self.sp_model.encode(text, out_type=str)

    def _content_batch(self, texts: list[str], offsets: bool):
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
        """Text of ``ids``; control, unknown and unused pieces and ids out of range are left out."""
        return self.sp_model.decode([int(i) for i in ids if self._is_decodable(int(i))])
