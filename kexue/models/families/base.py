"""What a model family is: a spec built from a config, plus checkpoint name maps.

Example:
    >>> from kexue.models.families import get_family
    >>> get_family("bert").name
    'bert'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from kexue.checkpoints.loader import Ref
from kexue.models.spec import TransformerSpec


@dataclass(frozen=True)
class Family:
    """A Transformer family.

    Attributes:
        name: the ``model=`` name.
        make_spec: config dict -> :class:`TransformerSpec`.
        weight_map: ``(spec, fmt, prefix, checkpoint_layers) -> {variable path: Ref}`` covering
            every part the family can build (heads included), for ``fmt`` in ``"hf"``/``"tf1"``.
        hf_prefixes: model prefixes stripped from Hugging Face tensor names.
        ignore: regexes of checkpoint tensors that are never weights (buffers, tied copies).
        formats: checkpoint formats the family maps.
        default_application: application used when the caller passes ``"encoder"`` (GPT-2 is
            always causal).
    """

    name: str
    make_spec: Callable[[dict], TransformerSpec]
    weight_map: Callable[[TransformerSpec, str, str, int], dict[str, Ref]]
    hf_prefixes: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    formats: tuple[str, ...] = ("hf",)
    default_application: str | None = None


def config_value(config: dict, *keys, default=None):
    """The first of ``keys`` present in ``config`` (HF and Google configs use different names)."""
    for key in keys:
        if key in config and config[key] is not None:
            return config[key]
    return default


def bert_like_spec(config: dict, **switches) -> TransformerSpec:
    """A spec from a BERT-style config (Google ``bert_config.json`` or HF ``config.json``)."""
    try:
        values = dict(
            vocab_size=config["vocab_size"],
            hidden_size=config["hidden_size"],
            num_layers=config["num_hidden_layers"],
            num_heads=config["num_attention_heads"],
            intermediate_size=config["intermediate_size"],
        )
    except KeyError as error:
        raise ValueError(f"The config lacks {error.args[0]!r}; is it a BERT-style config?") from None
    values.update(
        hidden_act=config_value(config, "hidden_act", default="gelu"),
        embedding_size=config_value(config, "embedding_size"),
        max_position=config_value(config, "max_position_embeddings", default=512),
        segment_vocab_size=config_value(config, "type_vocab_size", default=2),
        layer_norm_eps=config_value(config, "layer_norm_eps", "layer_norm_epsilon", default=1e-12),
        dropout_rate=config_value(config, "hidden_dropout_prob", default=0.0),
        attention_dropout_rate=config_value(config, "attention_probs_dropout_prob", default=0.0),
        pad_token_id=config_value(config, "pad_token_id", default=0),
        initializer_range=config_value(config, "initializer_range", default=0.02),
    )
    values.update(switches)
    return TransformerSpec(**values)
