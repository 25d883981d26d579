"""What a built kexue Transformer is, read back from its layers, and the Hugging Face
``config.json`` that describes it (for :func:`kexue.checkpoints.save_pretrained`).

:func:`read_spec` recovers the :class:`~kexue.models.spec.TransformerSpec` of a model built by
``build_transformer_model`` from the configs of its layers (embedding sizes, the blocks' settings,
how many times a shared block is called, which heads exist), so a model can be exported without
the config it was built from. :func:`guess_family` names the family its structure implies, and
:func:`hf_config` writes the config of the Hugging Face class that computes the same function.

Example:
    >>> from kexue.models import build_transformer_model
    >>> model = build_transformer_model(dict(vocab_size=50, hidden_size=16, num_hidden_layers=2,
    ...     num_attention_heads=2, intermediate_size=32), model="bert", with_mlm=True)
    >>> found = read_spec(model)
    >>> found.spec.num_layers, found.spec.hidden_size, found.has["mlm"], found.application
    (2, 16, True, 'encoder')
    >>> hf_config(found, "bert")["architectures"]
    ['BertForMaskedLM']
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["ModelStructure", "read_spec", "guess_family", "hf_config", "HF_MODEL_TYPES"]

# kexue family -> (Hugging Face model_type, base-model tensor prefix, masked-LM class, base class)
HF_MODEL_TYPES = {
    "bert": ("bert", "bert.", "BertForMaskedLM", "BertModel"),
    "roberta": ("roberta", "roberta.", "RobertaForMaskedLM", "RobertaModel"),
    "albert": ("albert", "albert.", "AlbertForMaskedLM", "AlbertModel"),
    "electra": ("electra", "electra.", "ElectraForMaskedLM", "ElectraModel"),
    "roformer": ("roformer", "roformer.", "RoFormerForMaskedLM", "RoFormerModel"),
    "nezha": ("nezha", "nezha.", "NezhaForMaskedLM", "NezhaModel"),
    "gpt2": ("gpt2", "transformer.", "GPT2LMHeadModel", "GPT2Model"),
}


@dataclass
class ModelStructure:
    """A model's spec, its layer-name prefix, its attention application and its heads."""

    spec: object
    prefix: str
    application: str
    has: dict = field(default_factory=dict)
    shared: bool = False


def _layers(model) -> dict:
    found = {}
    for layer in model.layers:
        found[layer.name] = layer
        if hasattr(layer, "layers") and layer is not model:  # a nested functional model
            found.update({k: v for k, v in _layers(layer).items() if k not in found})
    return found


def read_spec(model) -> ModelStructure:
    """The spec of a (BERT-family or GPT-2) model built by ``build_transformer_model``."""
    import dataclasses

    from kexue.models.spec import TransformerSpec
    from kexue.models.transformer import applied_blocks

    layers = _layers(model)
    embedding = next((n for n in layers if n.endswith("token_embedding")), None)
    if embedding is None:
        raise ValueError("the model has no token_embedding layer: export models built by "
                         "kexue.models.build_transformer_model.")
    p = embedding[: -len("token_embedding")]
    blocks = sorted((n for n in layers if n.startswith(f"{p}layer_") and n[len(p) + 6 :].isdigit()),
                    key=lambda n: int(n[len(p) + 6 :]))
    if not blocks:
        raise ValueError("the model has no Transformer blocks (layer_0, layer_1, ...).")
    if any(n.startswith(f"{p}decoder_layer_") for n in layers) or f"{p}relative_position" in layers:
        raise ValueError("encoder-decoders (T5) are not exported by save_pretrained.")
    block = layers[blocks[0]]
    applied = applied_blocks(model, p)  # empty when the blocks sit in a nested model
    shared = len(blocks) == 1 and len(applied) > 1
    token = layers[embedding]
    hidden = layers[f"{p}embedding_projection"].units if f"{p}embedding_projection" in layers else token.output_dim
    position = layers.get(f"{p}position_embedding")
    segment = layers.get(f"{p}segment_embedding")
    mask = layers.get(f"{p}attention_mask")
    norm = layers.get(f"{p}embedding_norm") or layers.get(f"{p}final_norm") or block.attention_norm
    spec_fields = {f.name for f in dataclasses.fields(TransformerSpec)}
    position_type = "learned" if position is not None else block.config.attention_position
    mlm_dense = layers.get(f"{p}mlm_dense")
    spec = TransformerSpec(
        vocab_size=token.input_dim,
        hidden_size=hidden,
        num_layers=len(applied) if shared else len(blocks),
        embedding_size=token.output_dim if token.output_dim != hidden else None,
        max_position=position.input_dim if position is not None else 512,
        segment_vocab_size=segment.input_dim if segment is not None else 0,
        layer_norm_eps=float(getattr(norm, "epsilon", block.config.layer_norm_eps)),
        position_type={"none": "learned"}.get(position_type, position_type),
        embedding_norm=f"{p}embedding_norm" in layers,
        final_norm=f"{p}final_norm" in layers,
        share_layers=shared,
        pad_token_id=mask.pad_token_id if mask is not None else 0,
        mlm_bias=f"{p}mlm_bias" in layers,
        mlm_transform=mlm_dense is not None,
        mlm_activation=_activation(mlm_dense) if mlm_dense is not None else None,
        **{name: value for name, value in dataclasses.asdict(block.config).items()  # shared settings
           if name in spec_fields and name not in ("position_type", "layer_norm_eps")},
    )
    has = {"mlm": f"{p}mlm_bias" in layers or f"{p}mlm_dense" in layers, "pooler": f"{p}pooler" in layers,
           "nsp": f"{p}nsp" in layers}
    return ModelStructure(spec, p, mask.application if mask is not None else "encoder", has, shared)


def _activation(layer) -> str | None:
    from kexue.ops import activation_name

    return activation_name(layer.activation)


def guess_family(found: ModelStructure) -> str:
    """The family a structure implies: rotary → roformer, NEZHA positions → nezha, one shared
    block → albert, pre-norm with a final norm → gpt2, factorised embeddings → electra, else bert
    (a RoBERTa has BERT's structure: say ``model="roberta"``)."""
    spec = found.spec
    if spec.position_type == "rotary":
        return "roformer"
    if spec.position_type == "nezha":
        return "nezha"
    if found.shared:
        return "albert"
    if spec.norm_position == "pre":
        return "gpt2"
    if spec.embedding_size:
        return "electra"
    return "bert"


def _check(found: ModelStructure, family: str) -> None:
    spec, problems = found.spec, []
    if spec.head_size * spec.num_heads != spec.hidden_size:
        problems.append(f"head_size {spec.head_size} x {spec.num_heads} heads != hidden {spec.hidden_size}")
    if not spec.use_bias:
        problems.append("layers without biases")
    if spec.rms_norm or spec.gated_feedforward or not spec.scale_scores:
        problems.append("T5-style norms, gated feed-forward or unscaled scores")
    expected = "pre" if family == "gpt2" else "post"
    if spec.norm_position != expected:
        problems.append(f"{spec.norm_position}-norm blocks ({family} is {expected}-norm)")
    if spec.mlm_transform and spec.mlm_activation not in (None, spec.hidden_act) and family != "electra":
        problems.append(f"an MLM transform with activation {spec.mlm_activation} (the hidden layers use {spec.hidden_act})")
    if problems:
        raise ValueError(f"a {family} model in Hugging Face format cannot hold this model: "
                         f"{'; '.join(problems)}.")


def hf_config(found: ModelStructure, family: str, position_offset: int = 0) -> dict:
    """The Hugging Face ``config.json`` of ``found`` as a ``family`` model.

    ``position_offset`` (RoBERTa layout only) is the row of the first position, ``pad + 1``."""
    _check(found, family)
    spec = found.spec
    model_type, _, masked_lm, base = HF_MODEL_TYPES[family]
    lm = found.application == "lm"
    if family == "gpt2":
        return {"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "vocab_size": spec.vocab_size,
                "n_embd": spec.hidden_size, "n_layer": spec.num_layers, "n_head": spec.num_heads,
                "n_inner": spec.intermediate_size, "activation_function": spec.hidden_act,
                "n_positions": spec.max_position, "layer_norm_epsilon": spec.layer_norm_eps,
                "resid_pdrop": spec.dropout_rate, "embd_pdrop": spec.dropout_rate,
                "attn_pdrop": spec.attention_dropout_rate, "initializer_range": spec.initializer_range,
                "tie_word_embeddings": True, "bos_token_id": None, "eos_token_id": None}
    if lm and family == "albert":
        raise ValueError("transformers has no causal-LM ALBERT class; export an encoder.")
    architecture = (("BertLMHeadModel" if family == "bert" else f"{masked_lm[:-len('ForMaskedLM')]}ForCausalLM")
                    if lm else masked_lm if found.has["mlm"] else base)
    config = {
        "model_type": model_type,
        "architectures": [architecture],
        "vocab_size": spec.vocab_size,
        "hidden_size": spec.hidden_size,
        "num_hidden_layers": spec.num_layers,
        "num_attention_heads": spec.num_heads,
        "intermediate_size": spec.intermediate_size,
        "hidden_act": spec.hidden_act,
        "max_position_embeddings": spec.max_position + position_offset,
        "type_vocab_size": max(spec.segment_vocab_size, 1),
        "layer_norm_eps": spec.layer_norm_eps,
        "hidden_dropout_prob": spec.dropout_rate,
        "attention_probs_dropout_prob": spec.attention_dropout_rate,
        "initializer_range": spec.initializer_range,
        "pad_token_id": spec.pad_token_id,
        "tie_word_embeddings": True,
    }
    if lm:
        config["is_decoder"] = True
    if spec.embedding_size or family in ("albert", "electra", "roformer"):
        config["embedding_size"] = spec.embedding_width
    if family == "albert":
        config.update(num_hidden_groups=1, inner_group_num=1, classifier_dropout_prob=spec.dropout_rate)
    if family == "roformer":
        config["rotary_value"] = spec.rotary_value
    if family == "nezha":
        config["max_relative_position"] = spec.max_relative_position
    return config
