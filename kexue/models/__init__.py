"""One parameterised Transformer for every family, and bert4keras's ``build_transformer_model``."""

from kexue.models.build import build_transformer_model, load_checkpoint, read_config
from kexue.models.checked import CheckedModel
from kexue.models.families import FAMILIES, get_family
from kexue.models.spec import TransformerSpec
from kexue.models.transformer import build_transformer

__all__ = [
    "CheckedModel",
    "FAMILIES",
    "TransformerSpec",
    "build_transformer",
    "build_transformer_model",
    "get_family",
    "load_checkpoint",
    "read_config",
]
