"""Data helpers with bert4keras' names: padding, truncation, text segmentation, batch generators.

``sequence_padding``, ``truncate_sequences`` and ``text_segmentate`` need only NumPy;
``DataGenerator`` (a ``keras.utils.PyDataset``) imports Keras when first accessed.
"""

from kexue.data.sequences import sequence_padding, truncate_sequences
from kexue.data.text import text_segmentate

__all__ = ["DataGenerator", "sequence_padding", "text_segmentate", "truncate_sequences"]


def __getattr__(name: str):
    if name == "DataGenerator":
        from kexue.data.generator import DataGenerator

        return DataGenerator
    raise AttributeError(f"module 'kexue.data' has no attribute {name!r}")
