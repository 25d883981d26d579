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
from kexue.models.arguments import BUILD_ARGUMENTS, SEQ2SEQ_ARGUMENTS, SPEC_ARGUMENTS, translate
from kexue.models.families import check_model_type, get_family
from kexue.models.families.naming import RenamedSource, canonical_hf_names
from kexue.models.handle import Transformer
from kexue.models.spec import TransformerSpec
from kexue.models.transformer import build_transformer



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
):
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
            (seq2seq by masks, needs segment ids: 0 source, 1 target). As in bert4keras,
            ``lm`` and ``unilm`` turn the MLM head on (``with_mlm=True`` unless given).
        return_keras_model: ``False`` returns an object holding ``model`` (and for T5
            ``encoder`` and ``decoder``) with ``initializer`` and
            ``load_weights_from_checkpoint``, as bert4keras did.
        strict: loading must use every relevant tensor and fill every variable, or one error
            lists all mismatches and nothing is loaded. ``False`` (or bert4keras'
            ``ignore_invalid_weights=True``) loads what fits.
        keep_tokens: token ids to keep (vocabulary simplification, see
            ``kexue.tokenizers.load_vocab``); embedding rows and the MLM bias are sliced.
        compound_tokens: list of new tokens, each a list of (kept) token ids or an
            ``(ids, weights)`` pair; each adds an embedding row initialised to their (weighted)
            mean.
        num_hidden_layers: use only the first N layers of the checkpoint.
        **kwargs: heads ``with_pool``, ``with_nsp``, ``with_mlm`` (True = softmax, or an
            activation name such as ``"linear"``), ELECTRA's ``with_discriminator``, GPT-2's
            ``final_activation``; inputs ``custom_position_ids``, ``padding_input`` (an
            explicit ``padding_mask`` input, 1 = real token), ``sequence_length``,
            ``layer_norm_cond`` (a Keras tensor/Input or its width),
            ``layer_norm_cond_hidden_size``, ``layer_norm_cond_hidden_act``,
            ``additional_input_layers``; sizes ``segment_vocab_size``, ``max_position``,
            ``dropout_rate``, ``attention_dropout_rate``, ``hidden_act``, ``embedding_size``,
            ``attention_head_size`` and the other config entries; ``prefix``, ``name``. T5
            takes ``with_lm`` (default ``True``: softmax; ``"linear"``: logits; ``False``:
            decoder hidden states), ``prefix``, ``name`` and ``dropout_rate``. Every other
            bert4keras argument either means the same here or raises an error that says what
            to pass (see ``kexue.models.arguments``).

    Returns:
        A :class:`~kexue.models.checked.CheckedModel`: a functional ``keras.Model`` that checks
        its inputs on the host (ids inside the vocabulary, lengths within ``max_position``, one
        batch size...) before Keras sees them. After a load, ``model.load_report`` holds the
        :class:`~kexue.checkpoints.loader.LoadReport`. A ``config_path`` that contradicts the
        config a checkpoint carries, or a ``max_position_embeddings`` smaller than its position
        table, is refused (see ``kexue.models.configs``). Its sequence outputs carry the padding mask as their Keras mask.
    """
    if not isinstance(model, str):
        raise TypeError(
            f"model must be a family name such as 'bert' or 'mt5.1.1', got {model!r} "
            "(kexue builds every family from one Transformer; there are no model classes to pass)."
        )
    application = str(application).lower()
    family = get_family(model)
    options = translate(kwargs, family.name, application)
    strict = options.pop("strict", strict)
    if config_path is None:
        if checkpoint_path is None:
            raise ValueError("Give config_path, checkpoint_path, or both.")
        folder = Path(checkpoint_path)
        config_path = folder if folder.is_dir() else folder.parent
    config = read_config(config_path)
    spec_fields = set(SPEC_ARGUMENTS.values())
    overrides = {k: options.pop(k) for k in list(options) if k in spec_fields}
    if {"hidden_size", "num_heads"} & set(overrides) and "head_size" not in overrides:
        overrides["head_size"] = None  # hidden_size // num_heads again, as in bert4keras
    replaced = {k: options.pop(k) for k in list(options) if k in config and k not in BUILD_ARGUMENTS}
    unknown = set(options) - set(BUILD_ARGUMENTS)
    if unknown:
        raise TypeError(
            f"build_transformer_model got unknown arguments {sorted(unknown)}; allowed: "
            f"{sorted(set(SPEC_ARGUMENTS) | set(BUILD_ARGUMENTS))} and the config's own entries."
        )
    config.update(replaced)  # bert4keras: any keyword replaces the config entry of that name
    check_config_types(config, config_path if not isinstance(config_path, dict) else "the config dict")
    check_model_type(family, config)
    if checkpoint_path is not None:
        check_against_checkpoint_config(config, config_path, checkpoint_path, family.make_spec)
    spec = family.make_spec(config)
    checkpoint_layers = spec.num_layers
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
    prefix = options.get("prefix", "") or ""
    if spec.num_decoder_layers:
        built = _build_seq2seq(spec, family.name, num_hidden_layers, options)
        keras_model = built.model
    else:
        if "with_lm" in options:
            raise TypeError(f"with_lm is T5's argument; {family.name} takes with_mlm.")
        keras_model = build_transformer(spec, application=application, **options)
        built = Transformer(keras_model, spec)

    def loader(path, strict=strict):
        report = load_checkpoint(
            keras_model,
            path,
            model=family.name,
            spec=spec,
            checkpoint_layers=checkpoint_layers,
            prefix=prefix,
            keep_tokens=keep_tokens,
            compound_tokens=compound_tokens,
            strict=strict,
            positions_from_config="max_position" not in overrides,
        )
        for view in (keras_model, getattr(built, "encoder", None), getattr(built, "decoder", None)):
            if view is not None:
                view.load_report = report
        return report

    built.loader = loader
    if checkpoint_path is not None:
        loader(checkpoint_path)
    return keras_model if return_keras_model else built


def _build_seq2seq(spec, family_name: str, num_hidden_layers, kwargs):
    from kexue.models.seq2seq import build_seq2seq

    unsupported = sorted(set(kwargs) - set(SEQ2SEQ_ARGUMENTS))
    if unsupported or num_hidden_layers is not None:
        given = unsupported + (["num_hidden_layers"] if num_hidden_layers is not None else [])
        raise TypeError(
            f"{family_name} is an encoder-decoder; it does not take {', '.join(given)} "
            f"(it takes {', '.join(SEQ2SEQ_ARGUMENTS)} and dropout_rate)."
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
