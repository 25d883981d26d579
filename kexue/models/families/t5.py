"""T5 (``t5.1.0``, alias ``t5``), T5 v1.1 (``t5.1.1``) and mT5 (``mt5.1.1``): encoder-decoders
with pre-RMS-norm blocks, no biases, unscaled attention scores, and bucketed relative position
biases learned in each stack's first block and shared by the others.

- v1.0: ReLU feed-forward; the LM head is the token embedding, applied to the decoder output
  scaled by ``d_model ** -0.5``.
- v1.1 / mT5: gated-GELU feed-forward (tanh GELU); no output scaling; the LM head is a
  separate ``lm_head`` when the config says ``tie_word_embeddings: false`` (checkpoints saved
  by transformers 4), tied to the embedding otherwise (transformers 5 always ties and records
  the scaling as ``scale_decoder_outputs``).

The version names set defaults for what a config leaves out (``feed_forward_proj``, tying);
a config that contradicts the chosen version is an error.
"""

from __future__ import annotations

from kexue.checkpoints.loader import Ref
from kexue.models.families.base import Family, config_value
from kexue.models.spec import TransformerSpec


def _feedforward(config: dict, version: str) -> tuple[bool, str]:
    """(gated, activation) from ``feed_forward_proj``, checked against the version."""
    default = "relu" if version == "1.0" else "gated-gelu"
    projection = str(config_value(config, "feed_forward_proj", default=default))
    gated = projection.startswith("gated-")
    if gated != (version != "1.0"):
        right = "t5.1.1 or mt5.1.1" if gated else "t5.1.0"
        raise ValueError(
            f"the config's feed_forward_proj={projection!r} is not T5 {version}'s "
            f"({default!r}); build it with model={right!r}."
        )
    activation = projection.split("-")[-1]
    if projection == "gated-gelu":  # what every T5 v1.1 / mT5 checkpoint was trained with
        activation = "gelu_new"
    return gated, activation


def t5_spec(config: dict, version: str) -> TransformerSpec:
    try:
        hidden = config_value(config, "d_model", "hidden_size")
        heads = config_value(config, "num_heads", "num_attention_heads")
        layers = config_value(config, "num_layers", "num_hidden_layers")
        values = dict(
            vocab_size=config["vocab_size"],
            hidden_size=hidden,
            num_layers=layers,
            num_heads=heads,
            intermediate_size=config_value(config, "d_ff", "intermediate_size"),
            head_size=config_value(config, "d_kv", "attention_head_size", default=hidden // heads),
        )
    except (KeyError, TypeError) as error:
        raise ValueError(f"the config lacks T5 fields (d_model, num_heads, d_ff, ...): {error}") from None
    gated, activation = _feedforward(config, version)
    tie = config.get("tie_word_embeddings")
    tied = tie if tie is not None else version == "1.0"
    scale = config.get("scale_decoder_outputs")
    if scale is None:
        scale = tied if tie is not None else version == "1.0"
    return TransformerSpec(
        **values,
        num_decoder_layers=config_value(config, "num_decoder_layers", default=layers),
        hidden_act=activation,
        gated_feedforward=gated,
        max_position=0,
        segment_vocab_size=0,
        position_type="t5",
        relative_buckets=config_value(config, "relative_attention_num_buckets", default=32),
        relative_max_distance=config_value(config, "relative_attention_max_distance", default=128),
        layer_norm_eps=config_value(config, "layer_norm_epsilon", "layer_norm_eps", default=1e-6),
        norm_position="pre",
        rms_norm=True,
        use_bias=False,
        scale_scores=False,
        embedding_norm=False,
        final_norm=True,
        dropout_rate=config_value(config, "dropout_rate", default=0.0),
        attention_dropout_rate=0.0,
        pad_token_id=config_value(config, "pad_token_id", default=0),
        tie_output=bool(tied),
        output_scale=hidden**-0.5 if scale else 1.0,
        initializer_range=config_value(config, "initializer_range", default=0.02),
        extra={
            "decoder_start_token_id": config_value(config, "decoder_start_token_id", default=0),
            "eos_token_id": config_value(config, "eos_token_id", default=1),
        },
    )


def _linear(ours: str, theirs: str) -> dict[str, Ref]:
    return {f"{ours}/kernel": Ref(f"{theirs}.weight", transpose=True)}


def _attention(ours: str, theirs: str) -> dict[str, Ref]:
    m = {}
    for part, short in zip(("query", "key", "value", "output"), "qkvo"):
        m.update(_linear(f"{ours}/{part}", f"{theirs}.{short}"))
    return m


def _feedforward_map(ours: str, theirs: str, gated: bool) -> dict[str, Ref]:
    if gated:
        parts = {"inner": "wi_0", "gate": "wi_1", "outer": "wo"}
    else:
        parts = {"inner": "wi", "outer": "wo"}
    m = {}
    for part, name in parts.items():
        m.update(_linear(f"{ours}/{part}", f"{theirs}.{name}"))
    return m


def t5_weight_map(spec: TransformerSpec, fmt: str, prefix: str, checkpoint_layers: int) -> dict[str, Ref]:
    """Hugging Face names: ``shared``, ``encoder.block.{i}.layer.{j}...``, ``lm_head``."""
    p = prefix
    m = {f"{p}token_embedding/embeddings": Ref("shared.weight")}
    for stack, count in (("encoder", spec.num_layers), ("decoder", spec.num_decoder_layers)):
        m[f"{p}{stack}_relative_position/embeddings"] = Ref(
            f"{stack}.block.0.layer.0.SelfAttention.relative_attention_bias.weight"
        )
        for i in range(count):
            ours, theirs = f"{p}{stack}_layer_{i}", f"{stack}.block.{i}.layer"
            m.update(_attention(f"{ours}/attention", f"{theirs}.0.SelfAttention"))
            m[f"{ours}/attention_norm/gamma"] = Ref(f"{theirs}.0.layer_norm.weight")
            j = 1
            if stack == "decoder":
                m.update(_attention(f"{ours}/cross_attention", f"{theirs}.1.EncDecAttention"))
                m[f"{ours}/cross_attention_norm/gamma"] = Ref(f"{theirs}.1.layer_norm.weight")
                j = 2
            m.update(_feedforward_map(f"{ours}/feedforward", f"{theirs}.{j}.DenseReluDense", spec.gated_feedforward))
            m[f"{ours}/feedforward_norm/gamma"] = Ref(f"{theirs}.{j}.layer_norm.weight")
        m[f"{p}{stack}_final_norm/gamma"] = Ref(f"{stack}.final_layer_norm.weight")
    if not spec.tie_output:
        m[f"{p}lm_head/kernel"] = Ref("lm_head.weight", transpose=True)
    return m


def _family(name: str, version: str) -> Family:
    return Family(
        name=name,
        make_spec=lambda config: t5_spec(config, version),
        weight_map=t5_weight_map,
        ignore=(
            r"^(encoder|decoder)\.embed_tokens\.weight$",  # copies of `shared`
            r"^decoder\.block\.0\.layer\.1\.EncDecAttention\.relative_attention_bias\.weight$",
            r"^lm_head\.weight$",  # a tied model's copy of `shared` (an untied one maps it)
        ),
        notes=f"T5 {version} encoder-decoder",
    )


T5 = _family("t5.1.0", "1.0")
T5_ALIAS = _family("t5", "1.0")
T5_V1_1 = _family("t5.1.1", "1.1")
MT5 = _family("mt5.1.1", "1.1")
