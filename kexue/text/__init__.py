"""Unsupervised Chinese text mining: new-word discovery and segmentation,
domain terms, simpler GloVe and noise-contrastive estimation.

Example:
    >>> from kexue.text import WordDiscovery
    >>> finder = WordDiscovery(min_proba=1e-3, split_margin=1.0).fit(["我爱北京天安门", "北京欢迎你"] * 40)
    >>> "北京" in finder.words
    True
"""

from kexue.text.corpus import Lines, SegmentedCorpus, ZhidaoQuestion, peoples_daily_1998, read_zhidao
from kexue.text.discovery import WordDiscovery, discover_words
from kexue.text.evaluation import SegmentationScore, segmentation_f1, top_word_precision, word_spans
from kexue.text.lexicon import read_lexicon, write_lexicon
from kexue.text.tokenizer import Tokenizer

__all__ = [
    "Lines",
    "SegmentationScore",
    "SegmentedCorpus",
    "Tokenizer",
    "WordDiscovery",
    "ZhidaoQuestion",
    "discover_words",
    "peoples_daily_1998",
    "read_lexicon",
    "read_zhidao",
    "segmentation_f1",
    "top_word_precision",
    "word_spans",
    "write_lexicon",
]
