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

# ``cooccurrence`` is also a submodule's name: bound here, or importing the submodule (as
# kexue.text.glove does) would shadow the function. Everything else loads on first use.
from kexue.text.cooccurrence import Cooccurrence, cooccurrence

_LAZY = {
    "Term": "kexue.text.contrast",
    "count_words": "kexue.text.contrast",
    "depth_threshold": "kexue.text.contrast",
    "domain_terms": "kexue.text.contrast",
    "expand_seeds": "kexue.text.contrast",
    "Lines": "kexue.text.corpus",
    "SegmentedCorpus": "kexue.text.corpus",
    "ZhidaoQuestion": "kexue.text.corpus",
    "peoples_daily_1998": "kexue.text.corpus",
    "read_zhidao": "kexue.text.corpus",
    "WordDiscovery": "kexue.text.discovery",
    "discover_words": "kexue.text.discovery",
    "SegmentationScore": "kexue.text.evaluation",
    "segmentation_f1": "kexue.text.evaluation",
    "top_word_precision": "kexue.text.evaluation",
    "word_spans": "kexue.text.evaluation",
    "read_lexicon": "kexue.text.lexicon",
    "write_lexicon": "kexue.text.lexicon",
    "Tokenizer": "kexue.text.segmenter",
    "WordSegmenter": "kexue.text.segmenter",
    "WordVectors": "kexue.text.vectors",
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


def __dir__() -> list[str]:
    return sorted(__all__)


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
