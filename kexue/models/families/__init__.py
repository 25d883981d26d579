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


# Hugging Face ``model_type`` values each family reads (a config without one is not checked).
MODEL_TYPES = {
    "bert": ("bert",),
    "roberta": ("roberta", "bert"),  # Chinese RoBERTa checkpoints are published as BERT
    "albert": ("albert",),
    "albert_unshared": ("albert",),
    "nezha": ("nezha", "bert"),
    "roformer": ("roformer",),
    "electra": ("electra",),
    "gpt2": ("gpt2",),
    "t5.1.0": ("t5",),
    "t5": ("t5",),
    "t5.1.1": ("t5", "mt5"),
    "mt5.1.1": ("mt5", "t5"),
}


def check_model_type(family: Family, config: dict) -> None:
    """Refuse a config whose ``model_type`` another family reads (a RoBERTa config built as
    ``bert`` would shift every position silently)."""
    model_type = config.get("model_type")
    if not model_type or model_type in MODEL_TYPES.get(family.name, (model_type,)):
        return
    readers = [name for name, types in MODEL_TYPES.items() if model_type in types]
    hint = f"; use model={readers[0]!r}" if readers else ""
    raise ValueError(
        f"the config says model_type={model_type!r}, which model={family.name!r} does not read{hint}."
    )


# bert4keras model names kexue does not build, and what to do instead.
_BERT4KERAS_ONLY = {
    "gpt": " (OpenAI's first GPT is not supported; model='gpt2' builds GPT-2.)",
    "gpt2_ml": " (GPT2-ML's layout is not supported; model='gpt2' builds GPT-2.)",
    "roformer_v2": " (RoFormer-V2 is not supported; model='roformer' builds RoFormer.)",
}
_BERT4KERAS_SUFFIXES = {
    "_encoder": " (build the whole model with return_keras_model=False and use its .encoder.)",
    "_decoder": " (build the whole model with return_keras_model=False and use its .decoder.)",
}


def get_family(name: str) -> Family:
    """The family registered as ``name`` (case-insensitive)."""
    key = str(name).lower()
    if key not in FAMILIES:
        hint = _BERT4KERAS_ONLY.get(key) or next(
            (h for suffix, h in _BERT4KERAS_SUFFIXES.items() if key.endswith(suffix)), ""
        )
        raise ValueError(f"Unknown model {name!r}; choose one of {', '.join(FAMILIES)}.{hint}")
    return FAMILIES[key]


__all__ = ["FAMILIES", "MODEL_TYPES", "Family", "check_model_type", "get_family"]
