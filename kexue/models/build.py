"""``build_transformer_model``: bert4keras's entry point, on the one parameterised Transformer.

Example (random weights from a config dict; pass ``checkpoint_path`` to load real ones)::

    >>> from kexue.models import build_transformer_model
    >>> config = dict(vocab_size=100, hidden_size=32, num_hidden_layers=2,
    ...               num_attention_heads=4, intermediate_size=64)
    >>> model = build_transformer_model(config, model="bert", with_mlm=True)
    >>> model.output.shape
    (None, None, 100)
"""

from __future__ import annotations

import os
from pathlib import Path

import keras

from kexue.checkpoints.loader import LoadReport, load_weights
from kexue.checkpoints.sources import open_checkpoint
from kexue.models.configs import (
    check_against_checkpoint_config,
    check_config_types,
    check_position_rows,
    read_config,
)
from kexue.models.families import check_model_type, get_family
from kexue.models.families.naming import RenamedSource, canonical_hf_names
from kexue.models.spec import TransformerSpec
from kexue.models.transformer import build_transformer

# Keyword arguments that change the spec (bert4keras names on the left).
_SPEC_OVERRIDES = {
    "segment_vocab_size": "segment_vocab_size",
    "max_position": "max_position",
    "dropout_rate": "dropout_rate",
    "attention_dropout_rate": "attention_dropout_rate",
    "hidden_act": "hidden_act",
    "pad_token_id": "pad_token_id",
    "embedding_size": "embedding_size",
    "layer_norm_eps": "layer_norm_eps",
}
_BUILD_ARGS = (
    "with_pool",
    "with_nsp",
    "with_mlm",
    "layer_norm_cond",
    "layer_norm_cond_hidden_size",
    "layer_norm_cond_hidden_act",
    "additional_input_layers",
    "prefix",
    "name",
    "with_lm",
)
# Arguments an encoder-decoder (T5) accepts besides the spec overrides.
_SEQ2SEQ_ARGS = ("with_lm", "prefix", "name")


def build_transformer_model(
    config_path=None,
    checkpoint_path=None,
    model: str = "bert",
    application: str = "encoder",
    return_keras_model: bool = True,
    strict: bool = True,
    keep_tokens=None,
    compound_tokens=None,
    num_hidden_layers: int | None = None,
    **kwargs,
) -> keras.Model:
    """Build a Transformer of family ``model`` and optionally load a checkpoint, strictly.

    Args:
        config_path: bert4keras/Google ``bert_config.json``, a Hugging Face ``config.json``, a
            folder holding one, or a dict. ``None`` takes ``config.json`` beside the checkpoint.
        checkpoint_path: a Hugging Face folder, a ``.safetensors`` file, or a TensorFlow 1
            checkpoint (prefix, ``.index`` or folder). ``None`` keeps random weights.
        model: ``bert``, ``roberta``, ``albert``, ``albert_unshared``, ``nezha``, ``roformer``,
            ``electra``, ``gpt2``, or the encoder-decoders ``t5.1.0`` (alias ``t5``),
            ``t5.1.1``, ``mt5.1.1``.
        application: ``encoder`` (bidirectional), ``lm`` (left-to-right) or ``unilm``
            (seq2seq by masks, needs segment ids: 0 source, 1 target).
        return_keras_model: for T5, ``False`` returns a :class:`~kexue.models.seq2seq.Seq2Seq`
            holding ``encoder``, ``decoder`` and ``model`` (as bert4keras); ``True`` returns
            ``model`` (inputs ``[encoder_token_ids, decoder_token_ids]``). Other families
            always return the model.
        strict: loading must use every relevant tensor and fill every variable, or one error
            lists all mismatches and nothing is loaded. ``False`` loads what fits.
        keep_tokens: token ids to keep (vocabulary simplification, see
            ``kexue.tokenizers.load_vocab``); embedding rows and the MLM bias are sliced.
        compound_tokens: list of lists of (kept) token ids; each adds a new embedding row
            initialised to the mean of those rows.
        num_hidden_layers: use only the first N layers of the checkpoint.
        **kwargs: ``with_pool``, ``with_nsp``, ``with_mlm`` (True = softmax, or an activation
            name such as ``"linear"``), ``segment_vocab_size``, ``max_position``,
            ``dropout_rate``, ``attention_dropout_rate``, ``hidden_act``, ``pad_token_id``,
            ``prefix``, ``name``, ``layer_norm_cond`` (a Keras tensor/Input or its width),
            ``layer_norm_cond_hidden_size``, ``layer_norm_cond_hidden_act``,
            ``additional_input_layers``. T5 takes ``with_lm`` (default ``True``: softmax;
            ``"linear"``: logits; ``False``: decoder hidden states), ``prefix``, ``name`` and
            ``dropout_rate``.

    Returns:
        A :class:`~kexue.models.checked.CheckedModel`: a functional ``keras.Model`` that checks
        its inputs on the host (ids inside the vocabulary, lengths within ``max_position``, one
        batch size...) before Keras sees them. After a load, ``model.load_report`` holds the
        :class:`~kexue.checkpoints.loader.LoadReport`. A ``config_path`` that contradicts the
        config a checkpoint carries, or a ``max_position_embeddings`` smaller than its position
        table, is refused (see ``kexue.models.configs``).
    """
    unknown = set(kwargs) - set(_SPEC_OVERRIDES) - set(_BUILD_ARGS)
    if unknown:
        raise TypeError(
            f"build_transformer_model got unknown arguments {sorted(unknown)}; allowed: "
            f"{sorted(set(_SPEC_OVERRIDES) | set(_BUILD_ARGS))}."
        )
    family = get_family(model)
    if config_path is None:
        if checkpoint_path is None:
            raise ValueError("Give config_path, checkpoint_path, or both.")
        folder = Path(checkpoint_path)
        config_path = folder if folder.is_dir() else folder.parent
    config = read_config(config_path)
    check_config_types(config, config_path if not isinstance(config_path, dict) else "the config dict")
    check_model_type(family, config)
    if checkpoint_path is not None:
        check_against_checkpoint_config(config, config_path, checkpoint_path, family.make_spec)
    spec = family.make_spec(config)
    checkpoint_layers = spec.num_layers
    overrides = {_SPEC_OVERRIDES[k]: kwargs.pop(k) for k in list(kwargs) if k in _SPEC_OVERRIDES}
    if num_hidden_layers is not None:
        if not 0 < num_hidden_layers <= spec.num_layers:
            raise ValueError(
                f"num_hidden_layers must be in 1..{spec.num_layers}, got {num_hidden_layers}."
            )
        overrides["num_layers"] = num_hidden_layers
    if keep_tokens is not None or compound_tokens is not None:
        kept = len(keep_tokens) if keep_tokens is not None else spec.vocab_size
        overrides["vocab_size"] = kept + len(compound_tokens or [])
    spec = spec.replace(**overrides)
    if family.default_application and application == "encoder":
        application = family.default_application
    prefix = kwargs.get("prefix", "") or ""
    seq2seq = None
    if spec.num_decoder_layers:
        seq2seq = _build_seq2seq(spec, family.name, application, num_hidden_layers, kwargs)
        keras_model = seq2seq.model
    else:
        if "with_lm" in kwargs:
            raise TypeError(f"with_lm is T5's argument; {family.name} takes with_mlm.")
        keras_model = build_transformer(spec, application=application, **kwargs)
    if checkpoint_path is not None:
        keras_model.load_report = load_checkpoint(
            keras_model,
            checkpoint_path,
            model=family.name,
            spec=spec,
            checkpoint_layers=checkpoint_layers,
            prefix=prefix,
            keep_tokens=keep_tokens,
            compound_tokens=compound_tokens,
            strict=strict,
            positions_from_config="max_position" not in overrides,
        )
        if seq2seq is not None:
            for view in (seq2seq.encoder, seq2seq.decoder):
                view.load_report = keras_model.load_report
    if seq2seq is not None and not return_keras_model:
        return seq2seq
    return keras_model


def _build_seq2seq(spec, family_name: str, application: str, num_hidden_layers, kwargs):
    from kexue.models.seq2seq import build_seq2seq

    unsupported = sorted(set(kwargs) - set(_SEQ2SEQ_ARGS))
    if unsupported or application != "encoder" or num_hidden_layers is not None:
        given = unsupported + ([f"application={application!r}"] if application != "encoder" else [])
        given += ["num_hidden_layers"] if num_hidden_layers is not None else []
        raise TypeError(
            f"{family_name} is an encoder-decoder; it does not take {', '.join(given)} "
            f"(it takes {', '.join(_SEQ2SEQ_ARGS)} and dropout_rate)."
        )
    options = dict(kwargs)
    options.setdefault("name", "t5")
    return build_seq2seq(spec, **options)


def load_checkpoint(
    keras_model: keras.Model,
    checkpoint_path: str | os.PathLike,
    model: str,
    spec: TransformerSpec,
    checkpoint_layers: int | None = None,
    prefix: str = "",
    keep_tokens=None,
    compound_tokens=None,
    strict: bool = True,
    positions_from_config: bool = False,
) -> LoadReport:
    """Load a checkpoint into a model built by :func:`build_transformer_model` (strict).

    ``positions_from_config``: the spec's ``max_position`` came from the config (not from an
    explicit ``max_position=``), so a checkpoint with a longer position table means the config
    is wrong, and loading refuses instead of silently keeping the first rows."""
    from kexue.models.vocab import vocabulary_transform

    family = get_family(model)
    source = open_checkpoint(checkpoint_path)
    if source.format not in family.formats:
        raise ValueError(
            f"model={family.name!r} reads {' and '.join(family.formats)} checkpoints, not "
            f"{source.format} ({checkpoint_path})."
        )
    if source.format == "hf":
        source = RenamedSource(source, canonical_hf_names(source.shapes, family.hf_prefixes))
    weight_map = family.weight_map(spec, source.format, prefix, checkpoint_layers or spec.num_layers)
    weight_map = vocabulary_transform(weight_map, prefix, keep_tokens, compound_tokens)
    if positions_from_config:
        check_position_rows(weight_map.get(f"{prefix}position_embedding/embeddings"), source, spec)
    known = {ref.name for ref in weight_map.values()}
    return load_weights(
        keras_model,
        source,
        weight_map,
        known=known,
        ignore=family.ignore,
        skip_variables=(r"/condition_(gamma|beta|hidden)/",),
        strict=strict,
    )
