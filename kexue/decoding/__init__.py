"""kexue.decoding: step-by-step decoders (bert4keras's ``AutoRegressiveDecoder``), the
KV-cached compiled :func:`generate`, and Viterbi decoding for CRFs."""

from kexue.decoding.autoregressive import AutoRegressiveDecoder, restrict_support
from kexue.decoding.generate import CachedDecoder, GenerationOutput, generate
from kexue.decoding.options import GenerationConfig
from kexue.decoding.samplers import SubstringConstraint
from kexue.decoding.viterbi import ViterbiDecoder

__all__ = [
    "AutoRegressiveDecoder",
    "CachedDecoder",
    "GenerationConfig",
    "GenerationOutput",
    "SubstringConstraint",
    "ViterbiDecoder",
    "generate",
    "restrict_support",
]
