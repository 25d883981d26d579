"""Deprecated module path: the word segmenter lives in :mod:`kexue.text.segmenter` as
``WordSegmenter``; ``Tokenizer`` here still works for one release and warns.

Example:
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     segmenter = Tokenizer({"中国": 3, "人民": 2})
    >>> caught[0].category.__name__, segmenter.tokenize("中国人民")
    ('FutureWarning', ['中国', '人民'])
"""

from kexue.text.segmenter import Tokenizer, WordSegmenter

__all__ = ["Tokenizer", "WordSegmenter"]
