"""ALBERT: factorised embeddings and one set of layer weights shared by every layer.

``albert`` builds one shared block; ``albert_unshared`` builds separate blocks that all start
from the checkpoint's single set of weights (and may then be fine-tuned apart).
"""

from __future__ import annotations

from kexue.checkpoints.loader import Ref
from kexue.models.families.base import Family, bert_like_spec
from kexue.models.families.naming import HF


def albert_weight_map(spec, fmt, prefix, checkpoint_layers):
    p = prefix
    m = {
        f"{p}token_embedding/embeddings": HF.embedding_ref(("embeddings", "word_embeddings")),
        f"{p}segment_embedding/embeddings": HF.embedding_ref(("embeddings", "token_type_embeddings")),
        f"{p}position_embedding/embeddings": HF.embedding_ref(
            ("embeddings", "position_embeddings"), rows=(0, spec.max_position)
        ),
    }
    m.update(HF.norm(f"{p}embedding_norm", ("embeddings", "LayerNorm")))
    m.update(HF.linear(f"{p}embedding_projection", ("encoder", "embedding_hidden_mapping_in")))
    group = ("encoder", "albert_layer_groups", "0", "albert_layers", "0")
    blocks = range(1 if spec.share_layers else spec.num_layers)
    for i in blocks:
        ours = f"{p}layer_{i}"
        for part in ("query", "key", "value"):
            m.update(HF.linear(f"{ours}/attention/{part}", group + ("attention", part)))
        m.update(HF.linear(f"{ours}/attention/output", group + ("attention", "dense")))
        m.update(HF.norm(f"{ours}/attention_norm", group + ("attention", "LayerNorm")))
        m.update(HF.linear(f"{ours}/feedforward/inner", group + ("ffn",)))
        m.update(HF.linear(f"{ours}/feedforward/outer", group + ("ffn_output",)))
        m.update(HF.norm(f"{ours}/feedforward_norm", group + ("full_layer_layer_norm",)))
    m.update(HF.linear(f"{p}pooler", ("pooler",)))
    m.update(HF.linear(f"{p}mlm_dense", ("predictions", "dense")))
    m.update(HF.norm(f"{p}mlm_norm", ("predictions", "LayerNorm")))
    m[f"{p}mlm_bias/bias"] = Ref("predictions.bias")
    m.update(HF.linear(f"{p}nsp", ("sop_classifier", "classifier")))
    return m


def _check_single_group(config: dict) -> dict:
    groups = config.get("num_hidden_groups", 1)
    inner = config.get("inner_group_num", 1)
    if groups != 1 or inner != 1:
        raise ValueError(
            f"ALBERT with num_hidden_groups={groups}, inner_group_num={inner} is not supported; "
            "released ALBERT checkpoints use 1 and 1."
        )
    return config


ALBERT = Family(
    name="albert",
    make_spec=lambda config: bert_like_spec(_check_single_group(config), share_layers=True),
    weight_map=albert_weight_map,
    hf_prefixes=("albert.",),
    ignore=(r"position_ids$", r"\.decoder\.weight$", r"\.decoder\.bias$"),
)
ALBERT_UNSHARED = Family(
    name="albert_unshared",
    make_spec=lambda config: bert_like_spec(_check_single_group(config), share_layers=False),
    weight_map=albert_weight_map,
    hf_prefixes=ALBERT.hf_prefixes,
    ignore=ALBERT.ignore,
)
