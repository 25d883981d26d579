"""Tokenizers with bert4keras' API: ``Tokenizer`` (BERT WordPiece on the Hugging Face
``tokenizers`` engine), ``SpTokenizer`` (SentencePiece) and vocabulary helpers.

>>> from kexue.tokenizers import Tokenizer, load_vocab  # doctest: +SKIP
>>> tokenizer = Tokenizer("vocab.txt", do_lower_case=True)  # doctest: +SKIP
>>> token_ids, segment_ids = tokenizer.encode("你好", "世界", maxlen=32)  # doctest: +SKIP
"""

from kexue.tokenizers.base import TokenizerBase
from kexue.tokenizers.sentencepiece import SpTokenizer
from kexue.tokenizers.vocab import load_vocab, save_vocab, simplify_vocab
from kexue.tokenizers.wordpiece import Tokenizer

__all__ = ["SpTokenizer", "Tokenizer", "TokenizerBase", "load_vocab", "save_vocab", "simplify_vocab"]
