"""Model families: each is a spec plus checkpoint name maps (see ``base.Family``)."""

from kexue.models.families.albert import ALBERT, ALBERT_UNSHARED
from kexue.models.families.base import Family
from kexue.models.families.bert import BERT, ELECTRA, NEZHA, ROBERTA, ROFORMER
from kexue.models.families.gpt2 import GPT2
from kexue.models.families.t5 import MT5, T5, T5_ALIAS, T5_V1_1

FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (BERT, ROBERTA, ALBERT, ALBERT_UNSHARED, NEZHA, ROFORMER, ELECTRA, GPT2)
    + (T5, T5_ALIAS, T5_V1_1, MT5)
}


def get_family(name: str) -> Family:
    """The family registered as ``name`` (case-insensitive)."""
    key = str(name).lower()
    if key not in FAMILIES:
        raise ValueError(f"Unknown model {name!r}; choose one of {', '.join(FAMILIES)}.")
    return FAMILIES[key]


__all__ = ["FAMILIES", "Family", "get_family"]
