"""BERT and the families that share its encoder layout: RoBERTa, NEZHA, ELECTRA, RoFormer.

Maps cover Hugging Face names (model prefix stripped) and, for BERT-layout checkpoints,
Google's original TensorFlow 1 names (``bert/encoder/layer_0/attention/self/query/kernel``).
"""

from __future__ import annotations

from kexue.checkpoints.loader import Ref
from kexue.models.families.base import Family, bert_like_spec, config_value
from kexue.models.families.naming import NAMINGS
from kexue.models.spec import TransformerSpec


def encoder_layer_map(naming, ours: str, theirs: tuple, use_bias: bool = True) -> dict[str, Ref]:
    """One BERT encoder layer: ``theirs`` is the checkpoint's layer path as components."""
    m = {}
    for part in ("query", "key", "value"):
        m.update(naming.linear(f"{ours}/attention/{part}", theirs + ("attention", "self", part), use_bias))
    m.update(naming.linear(f"{ours}/attention/output", theirs + ("attention", "output", "dense"), use_bias))
    m.update(naming.norm(f"{ours}/attention_norm", theirs + ("attention", "output", "LayerNorm")))
    m.update(naming.linear(f"{ours}/feedforward/inner", theirs + ("intermediate", "dense"), use_bias))
    m.update(naming.linear(f"{ours}/feedforward/outer", theirs + ("output", "dense"), use_bias))
    m.update(naming.norm(f"{ours}/feedforward_norm", theirs + ("output", "LayerNorm")))
    return m


def bert_weight_map(spec: TransformerSpec, fmt: str, prefix: str, checkpoint_layers: int) -> dict[str, Ref]:
    """The full map of a BERT-layout checkpoint: embeddings, layers, pooler, MLM and NSP heads."""
    n = NAMINGS[fmt]
    hf = fmt == "hf"
    base = () if hf else ("bert",)
    p = prefix
    emb = base + ("embeddings",)
    m = {f"{p}token_embedding/embeddings": n.embedding_ref(emb + ("word_embeddings",))}
    if spec.segment_vocab_size:
        m[f"{p}segment_embedding/embeddings"] = n.embedding_ref(emb + ("token_type_embeddings",))
    if spec.position_type == "learned":
        rows = (spec.position_offset, spec.position_offset + spec.max_position)
        m[f"{p}position_embedding/embeddings"] = n.embedding_ref(emb + ("position_embeddings",), rows=rows)
    m.update(n.norm(f"{p}embedding_norm", emb + ("LayerNorm",)))
    if spec.embedding_width != spec.hidden_size:
        project = ("embeddings_project",) if hf else base + ("encoder", "embedding_hidden_mapping_in")
        m.update(n.linear(f"{p}embedding_projection", project))
    for i in range(checkpoint_layers):
        theirs = ("encoder", "layer", str(i)) if hf else base + ("encoder", f"layer_{i}")
        m.update(encoder_layer_map(n, f"{p}layer_{i}", theirs, spec.use_bias))
    m.update(n.linear(f"{p}pooler", base + ("pooler", "dense")))
    m.update(n.linear(f"{p}mlm_dense", ("cls", "predictions", "transform", "dense")))
    m.update(n.norm(f"{p}mlm_norm", ("cls", "predictions", "transform", "LayerNorm")))
    m[f"{p}mlm_bias/bias"] = Ref("cls.predictions.bias" if hf else "cls/predictions/output_bias")
    if hf:
        m.update(n.linear(f"{p}nsp", ("cls", "seq_relationship")))
    else:  # TF1 stores the NSP classifier as [2, hidden]
        m[f"{p}nsp/kernel"] = Ref("cls/seq_relationship/output_weights", transpose=True)
        m[f"{p}nsp/bias"] = Ref("cls/seq_relationship/output_bias")
    return m


def roberta_weight_map(spec, fmt, prefix, checkpoint_layers):
    """RoBERTa: BERT's encoder; Hugging Face checkpoints keep the MLM head under ``lm_head``."""
    m = bert_weight_map(spec, fmt, prefix, checkpoint_layers)
    if fmt == "hf":
        n = NAMINGS[fmt]
        m.update(n.linear(f"{prefix}mlm_dense", ("lm_head", "dense")))
        m.update(n.norm(f"{prefix}mlm_norm", ("lm_head", "layer_norm")))
        m[f"{prefix}mlm_bias/bias"] = Ref("lm_head.bias")
        for key in (f"{prefix}nsp/kernel", f"{prefix}nsp/bias"):
            m.pop(key)
    return m


def roberta_spec(config: dict) -> TransformerSpec:
    # Hugging Face RoBERTa numbers real tokens from padding_idx + 1 and skips padding when
    # counting; Chinese RoBERTa checkpoints in Google's BERT format (no model_type) are BERT.
    if config.get("model_type") == "roberta":
        pad = config_value(config, "pad_token_id", default=1)
        offset = pad + 1
        return bert_like_spec(
            config,
            position_offset=offset,
            max_position=config_value(config, "max_position_embeddings", default=514) - offset,
            pad_token_id=pad,
            position_ids_from_mask=True,
        )
    return bert_like_spec(config)


def nezha_spec(config: dict) -> TransformerSpec:
    return bert_like_spec(
        config,
        position_type="nezha",
        max_relative_position=config_value(config, "max_relative_position", default=64),
    )


def roformer_spec(config: dict) -> TransformerSpec:
    return bert_like_spec(
        config,
        position_type="rotary",
        rotary_value=bool(config_value(config, "rotary_value", default=False)),
    )


def electra_weight_map(spec, fmt, prefix, checkpoint_layers):
    """ELECTRA discriminator: BERT's encoder without pooler or NSP; its own heads are known."""
    m = bert_weight_map(spec, fmt, prefix, checkpoint_layers)
    n = NAMINGS[fmt]
    for key in [k for k in m if k.startswith((f"{prefix}pooler/", f"{prefix}nsp/"))]:
        m.pop(key)
    if fmt == "hf":  # generator-style MLM head of ElectraForMaskedLM
        m.update(n.linear(f"{prefix}mlm_dense", ("generator_predictions", "dense")))
        m.update(n.norm(f"{prefix}mlm_norm", ("generator_predictions", "LayerNorm")))
        m[f"{prefix}mlm_bias/bias"] = Ref("generator_lm_head.bias")
        # the discriminator head of ElectraForPreTraining (bert4keras' with_discriminator)
        m.update(n.linear(f"{prefix}discriminator_dense", ("discriminator_predictions", "dense")))
        m.update(n.linear(f"{prefix}discriminator_prediction", ("discriminator_predictions", "dense_prediction")))
    return m


_HF_BUFFERS = (r"position_ids$", r"\.decoder\.weight$", r"\.decoder\.bias$")

BERT = Family(
    name="bert",
    make_spec=bert_like_spec,
    weight_map=bert_weight_map,
    hf_prefixes=("bert.",),
    ignore=_HF_BUFFERS,
    formats=("hf", "tf1"),
)
ROBERTA = Family(
    name="roberta",
    make_spec=roberta_spec,
    weight_map=roberta_weight_map,
    hf_prefixes=("roberta.", "bert."),
    ignore=_HF_BUFFERS,
    formats=("hf", "tf1"),
)
NEZHA = Family(
    name="nezha",
    make_spec=nezha_spec,
    weight_map=bert_weight_map,
    hf_prefixes=("nezha.", "bert."),
    ignore=_HF_BUFFERS + (r"relative_positions_encoding",),
    formats=("hf", "tf1"),
)
ELECTRA = Family(
    name="electra",
    make_spec=lambda config: bert_like_spec(config),
    weight_map=electra_weight_map,
    hf_prefixes=("electra.",),
    ignore=_HF_BUFFERS + (r"^generator_lm_head\.weight$",),
)
ROFORMER = Family(
    name="roformer",
    make_spec=roformer_spec,
    weight_map=bert_weight_map,
    hf_prefixes=("roformer.",),
    ignore=_HF_BUFFERS + (r"embed_positions\.weight$",),
    formats=("hf", "tf1"),
)
