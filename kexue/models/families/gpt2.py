"""GPT-2: pre-norm blocks, learned positions, a final LayerNorm, causal attention, and an LM head
tied to the token embedding without bias. Hugging Face's ``Conv1D`` stores kernels ``[in, out]``
and fuses query, key and value into ``c_attn``, which the map slices apart.

GPT-2 has no padding token: id 0 is a real token ("!"), and a ``pad_token_id`` in the config
(set by users for batching) only says what fills the batches, as in ``transformers``. So no id
is ever padding here; padding is only what an explicit ``padding_mask`` input (build with
``padding_input=True``) or the decoder's left-padding bookkeeping says it is.
"""

from __future__ import annotations

from kexue.checkpoints.loader import Ref
from kexue.models.families.base import Family, config_value
from kexue.models.spec import TransformerSpec


def gpt2_spec(config: dict) -> TransformerSpec:
    hidden = config_value(config, "n_embd", "hidden_size")
    return TransformerSpec(
        vocab_size=config["vocab_size"],
        hidden_size=hidden,
        num_layers=config_value(config, "n_layer", "num_hidden_layers"),
        num_heads=config_value(config, "n_head", "num_attention_heads"),
        intermediate_size=config_value(config, "n_inner", "intermediate_size", default=4 * hidden),
        hidden_act=config_value(config, "activation_function", "hidden_act", default="gelu_new"),
        max_position=config_value(config, "n_positions", "max_position_embeddings", default=1024),
        segment_vocab_size=0,
        layer_norm_eps=config_value(config, "layer_norm_epsilon", "layer_norm_eps", default=1e-5),
        norm_position="pre",
        embedding_norm=False,
        final_norm=True,
        dropout_rate=config_value(config, "resid_pdrop", default=0.0),
        attention_dropout_rate=config_value(config, "attn_pdrop", default=0.0),
        pad_token_id=None,
        mlm_transform=False,
        mlm_bias=False,
        initializer_range=config_value(config, "initializer_range", default=0.02),
    )


def _conv1d(ours: str, theirs: str, cols=None) -> dict[str, Ref]:
    """HF Conv1D: kernel already [in, out]; optional column slice of the fused qkv."""
    return {
        f"{ours}/kernel": Ref(f"{theirs}.weight", cols=cols),
        f"{ours}/bias": Ref(f"{theirs}.bias", cols=cols),
    }


def _norm(ours: str, theirs: str) -> dict[str, Ref]:
    return {f"{ours}/gamma": Ref(f"{theirs}.weight"), f"{ours}/beta": Ref(f"{theirs}.bias")}


def gpt2_weight_map(spec, fmt, prefix, checkpoint_layers):
    p, h = prefix, spec.hidden_size
    m = {
        f"{p}token_embedding/embeddings": Ref("wte.weight"),
        f"{p}position_embedding/embeddings": Ref("wpe.weight", rows=(0, spec.max_position)),
    }
    for i in range(checkpoint_layers):
        ours, theirs = f"{p}layer_{i}", f"h.{i}"
        m.update(_norm(f"{ours}/attention_norm", f"{theirs}.ln_1"))
        for j, part in enumerate(("query", "key", "value")):
            m.update(_conv1d(f"{ours}/attention/{part}", f"{theirs}.attn.c_attn", (j * h, (j + 1) * h)))
        m.update(_conv1d(f"{ours}/attention/output", f"{theirs}.attn.c_proj"))
        m.update(_norm(f"{ours}/feedforward_norm", f"{theirs}.ln_2"))
        m.update(_conv1d(f"{ours}/feedforward/inner", f"{theirs}.mlp.c_fc"))
        m.update(_conv1d(f"{ours}/feedforward/outer", f"{theirs}.mlp.c_proj"))
    m.update(_norm(f"{p}final_norm", "ln_f"))
    return m


GPT2 = Family(
    name="gpt2",
    make_spec=gpt2_spec,
    weight_map=gpt2_weight_map,
    hf_prefixes=("transformer.",),
    ignore=(r"\.attn\.(bias|masked_bias)$", r"^lm_head\.weight$"),
    default_application="lm",
)
