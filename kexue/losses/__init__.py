"""Losses: margin softmax (AM-Softmax, A-Softmax), label-smoothed sparse cross-entropy and
multilabel categorical cross-entropy."""

from kexue.losses.classification import SparseAMSoftmax, SparseSmoothedCrossentropy
from kexue.losses.margins import (
    a_softmax_loss,
    am_softmax_loss,
    sparse_a_softmax_loss,
    sparse_am_softmax_loss,
)
from kexue.losses.multilabel import (
    multilabel_categorical_crossentropy,
    sparse_multilabel_categorical_crossentropy,
)

__all__ = [
    "SparseAMSoftmax",
    "SparseSmoothedCrossentropy",
    "a_softmax_loss",
    "am_softmax_loss",
    "multilabel_categorical_crossentropy",
    "sparse_a_softmax_loss",
    "sparse_am_softmax_loss",
    "sparse_multilabel_categorical_crossentropy",
]
