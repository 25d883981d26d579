"""Unsupervised Chinese text mining: new-word discovery and segmentation,
domain terms, simpler GloVe and noise-contrastive estimation.

Example:
    >>> import random
    >>> from kexue.text import WordDiscovery
    >>> rng = random.Random(0)
    >>> lines = ["".join(rng.choices(["天安门", "北京", "我们", "喜欢", "的"], k=6))
    ...          for _ in range(300)]
    >>> sorted(WordDiscovery().fit(lines).words)
    ['北京', '喜欢', '天安门', '我们', '的']
"""

from kexue.text.contrast import (
    Term,
    count_words,
    depth_threshold,
    domain_terms,
    expand_seeds,
)
from kexue.text.cooccurrence import Cooccurrence, cooccurrence
from kexue.text.corpus import (
    Lines,
    SegmentedCorpus,
    ZhidaoQuestion,
    peoples_daily_1998,
    read_zhidao,
)
from kexue.text.discovery import WordDiscovery, discover_words
from kexue.text.evaluation import (
    SegmentationScore,
    segmentation_f1,
    top_word_precision,
    word_spans,
)
from kexue.text.lexicon import read_lexicon, write_lexicon
from kexue.text.segmenter import Tokenizer, WordSegmenter
from kexue.text.vectors import WordVectors

# Keras-based parts load on first use, so ``import kexue.text`` stays light.
_LAZY = {
    "SimplerGloVe": "kexue.text.glove",
    "PairInnerProduct": "kexue.text.glove",
    "glove_weights": "kexue.text.glove",
    "nce_loss": "kexue.text.nce",
    "negative_sampling_loss": "kexue.text.nce",
    "CategoricalNCE": "kexue.text.nce",
    "fit_categorical_nce": "kexue.text.nce",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'kexue.text' has no attribute {name!r}")


__all__ = [
    "CategoricalNCE",
    "Cooccurrence",
    "Lines",
    "PairInnerProduct",
    "SegmentationScore",
    "SegmentedCorpus",
    "SimplerGloVe",
    "Term",
    "Tokenizer",
    "WordDiscovery",
    "WordSegmenter",
    "WordVectors",
    "ZhidaoQuestion",
    "cooccurrence",
    "count_words",
    "depth_threshold",
    "discover_words",
    "domain_terms",
    "expand_seeds",
    "fit_categorical_nce",
    "glove_weights",
    "nce_loss",
    "negative_sampling_loss",
    "peoples_daily_1998",
    "read_lexicon",
    "read_zhidao",
    "segmentation_f1",
    "top_word_precision",
    "word_spans",
    "write_lexicon",
]
