"""Keras layers of kexue, all registered for ``.keras`` saving (package ``kexue``).

Each lives in a module named for what it holds; import from here or from the module.
"""

from kexue.layers.activations import XMinExp, x_min_exp
from kexue.layers.attention import MultiHeadAttention
from kexue.layers.capsule import Capsule, CapsuleLength, squash
from kexue.layers.crf import ConditionalRandomField
from kexue.layers.embedding import Bias, TiedEmbedding
from kexue.layers.feedforward import FeedForward
from kexue.layers.linear import Linear
from kexue.layers.loss import Loss
from kexue.layers.margins import CenterLoss, CosineDense
from kexue.layers.memm import MaximumEntropyMarkovModel
from kexue.layers.normalization import LayerNorm
from kexue.layers.ode import EulerODE
from kexue.layers.pointers import EfficientGlobalPointer, GlobalPointer
from kexue.layers.pooling import GlobalMaxPooling1D, MaskedMeanPooling
from kexue.layers.positions import PositionEmbedding, apply_rotary, rotary_sin_cos
from kexue.layers.regularizers import SelfOrthogonality
from kexue.layers.sinusoidal import SinusoidalPositionEmbedding
from kexue.layers.relative_bias import RelativePositionBias

# bert4keras's name for the (optionally conditional) layer norm
LayerNormalization = LayerNorm

__all__ = [
    "Bias",
    "Capsule",
    "CapsuleLength",
    "CenterLoss",
    "ConditionalRandomField",
    "CosineDense",
    "EfficientGlobalPointer",
    "EulerODE",
    "FeedForward",
    "GlobalMaxPooling1D",
    "GlobalPointer",
    "LayerNorm",
    "LayerNormalization",
    "Linear",
    "Loss",
    "MaskedMeanPooling",
    "MaximumEntropyMarkovModel",
    "MultiHeadAttention",
    "PositionEmbedding",
    "RelativePositionBias",
    "SelfOrthogonality",
    "SinusoidalPositionEmbedding",
    "TiedEmbedding",
    "XMinExp",
    "apply_rotary",
    "rotary_sin_cos",
    "squash",
    "x_min_exp",
]
