"""Reading model configs with errors that name the file, and checking them before a build.

* :func:`read_config` reads a dict, a JSON file or a folder's ``config.json``; a file that is not
  UTF-8 JSON (or not a JSON object) raises a ``ValueError`` naming it and the position.
* :func:`check_config_types` refuses values of the wrong type or range (``"hidden_size": "32"``,
  ``"num_attention_heads": 0``, ``"layer_norm_eps": -1``) with the key, the value and the file.
* :func:`check_against_checkpoint_config`: when a checkpoint carries its own config (a Hugging
  Face folder's ``config.json``, ``bert_config.json`` beside a TensorFlow checkpoint) and the
  caller passes another one, the architecture values must agree. Weights alone cannot reveal a
  wrong ``num_attention_heads``, ``hidden_act`` or ``layer_norm_eps`` (the shapes are the same),
  so this is where such a mistake is caught.

Example:
    >>> check_config_types({"hidden_size": 32, "hidden_act": "gelu"}, "config.json")
    >>> try:
    ...     check_config_types({"hidden_size": "32"}, "config.json")
    ... except ValueError as error:
    ...     print(error)
    config.json: "hidden_size" must be a positive integer, got '32' (str).
"""

from __future__ import annotations

import dataclasses
import math
import os
from pathlib import Path
from typing import Any

from kexue.files import read_json

__all__ = [
    "check_against_checkpoint_config",
    "check_config_types",
    "check_position_rows",
    "checkpoint_config_path",
    "read_config",
]

_POSITIVE_INT = (
    "vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
    "max_position_embeddings", "embedding_size", "n_embd", "n_layer", "n_head", "n_positions",
    "n_inner", "d_model", "d_kv", "d_ff", "num_layers", "num_heads", "num_decoder_layers",
    "relative_attention_num_buckets", "relative_attention_max_distance", "attention_head_size",
    "max_relative_position", "num_hidden_groups", "inner_group_num",
)
_NON_NEGATIVE_INT = ("type_vocab_size", "decoder_start_token_id", "eos_token_id")
_INT = ("pad_token_id",)
_POSITIVE_FLOAT = ("layer_norm_eps", "layer_norm_epsilon", "initializer_range")
_PROBABILITY = (
    "hidden_dropout_prob", "attention_probs_dropout_prob", "dropout_rate", "resid_pdrop",
    "attn_pdrop", "embd_pdrop",
)
_TEXT = ("activation_function", "feed_forward_proj", "model_type")
_BOOL = ("tie_word_embeddings", "rotary_value")


def read_config(config: Any) -> dict:
    """A config dict from a dict, a JSON file, or a folder holding ``config.json`` (or
    ``bert_config.json``)."""
    if isinstance(config, dict):
        return dict(config)
    if not isinstance(config, (str, os.PathLike)):
        raise TypeError(f"config_path must be a dict, a JSON file or a folder, got {type(config).__name__}")
    path = Path(config)
    if path.is_dir():
        path = checkpoint_config_path(path) or path / "config.json"
    if not path.is_file():
        raise FileNotFoundError(f"No config file at {path}.")
    value = read_json(path)
    if not isinstance(value, dict):
        raise ValueError(f"{path}: a model config is a JSON object ({{...}}), not a {type(value).__name__}.")
    return value


def _problem(key: str, value: Any) -> str | None:
    """What is wrong with ``config[key] = value`` (``None``: fine or not a key we read)."""
    is_int = isinstance(value, int) and not isinstance(value, bool)
    is_number = (is_int or isinstance(value, float)) and math.isfinite(value)
    if key in _POSITIVE_INT and not (is_int and value > 0):
        return "a positive integer"
    if key in _NON_NEGATIVE_INT and not (is_int and value >= 0):
        return "an integer >= 0"
    if key in _INT and not is_int:
        return "an integer"
    if key in _POSITIVE_FLOAT and not (is_number and value > 0):
        return "a positive number"
    if key in _PROBABILITY and not (is_number and 0 <= value < 1):
        return "a number in [0, 1)"
    if key in _TEXT and not isinstance(value, str):
        return "a string"
    if key in _BOOL and not isinstance(value, bool):
        return "true or false"
    if key == "hidden_act" and not (
        isinstance(value, str) or (isinstance(value, list) and value and all(isinstance(v, str) for v in value))
    ):
        return "an activation name (or a list of names)"
    return None


def check_config_types(config: dict, source: str | os.PathLike = "the config") -> None:
    """Refuse values of the wrong type or range among the keys kexue reads (``None`` = unset)."""
    for key, value in config.items():
        if value is None:
            continue
        expected = _problem(key, value)
        if expected is not None:
            raise ValueError(
                f'{source}: "{key}" must be {expected}, got {value!r} ({type(value).__name__}).'
            )


def checkpoint_config_path(checkpoint_path: str | os.PathLike) -> Path | None:
    """The config a checkpoint carries: ``config.json`` (or ``bert_config.json``) in its folder."""
    path = Path(checkpoint_path)
    folder = path if path.is_dir() else path.parent
    for name in ("config.json", "bert_config.json"):
        if (folder / name).is_file():
            return folder / name
    return None


def _same_value(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        try:
            return math.isclose(float(a), float(b), rel_tol=1e-9)
        except (TypeError, ValueError):
            return False
    return a == b


# Spec fields that do not change what the weights compute.
_FREE_FIELDS = ("dropout_rate", "attention_dropout_rate", "initializer_range")


def check_against_checkpoint_config(config: dict, config_source: Any, checkpoint_path, make_spec) -> None:
    """If the checkpoint carries its own config and ``config`` came from elsewhere, both must
    give the same architecture (compared as specs, ``make_spec(config)``, so defaults and key
    aliases count); a ``ValueError`` lists what differs."""
    own = checkpoint_config_path(checkpoint_path)
    if own is None:
        return
    if isinstance(config_source, (str, os.PathLike)):
        given = Path(config_source)
        given = checkpoint_config_path(given) or given if given.is_dir() else given
        if given.is_file() and os.path.samefile(given, own):
            return
    theirs_config = read_config(own)
    check_config_types(theirs_config, own)
    ours, theirs = make_spec(config), make_spec(theirs_config)
    differ = [
        f"{f.name}: {getattr(ours, f.name)!r} here, {getattr(theirs, f.name)!r} in {own.name}"
        for f in dataclasses.fields(ours)
        if f.name not in _FREE_FIELDS and not _same_value(getattr(ours, f.name), getattr(theirs, f.name))
    ]
    if differ:
        where = config_source if isinstance(config_source, (str, os.PathLike)) else "the config dict"
        raise ValueError(
            f"{where} does not describe the checkpoint {checkpoint_path}, whose own config {own} "
            f"says otherwise: {'; '.join(differ)}. The weights would load (the shapes allow it) "
            "but compute something else. Use the checkpoint's config (config_path=None), or fix "
            "these values."
        )


def check_position_rows(ref, source, spec) -> None:
    """Refuse a config whose ``max_position_embeddings`` is smaller than the checkpoint's
    position table (``ref`` is the weight-map entry of the position embedding, or ``None``)."""
    if ref is None or ref.rows is None or ref.name not in source.shapes:
        return
    stored = source.shapes[ref.name][0]
    if stored > ref.rows[1]:
        offset = ref.rows[0]
        raise ValueError(
            f"the config gives max_position_embeddings={spec.max_position + offset}, but the "
            f"checkpoint {source!r} has {stored} position embeddings: the config does not match "
            f"the checkpoint. Fix the config, or pass max_position={spec.max_position} to "
            "build_transformer_model to keep only the first positions on purpose."
        )
