"""T5 (``t5.1.0``, alias ``t5``), T5 v1.1 (``t5.1.1``) and mT5 (``mt5.1.1``): encoder-decoders
with pre-RMS-norm blocks, no biases, unscaled attention scores, and bucketed relative position
biases learned in each stack's first block and shared by the others.

- v1.0: ReLU feed-forward; the LM head is the token embedding, applied to the decoder output
  scaled by ``d_model ** -0.5``.
- v1.1 / mT5: gated-GELU feed-forward (tanh GELU); no output scaling; the LM head is a
  separate ``lm_head`` when the config says ``tie_word_embeddings: false`` (checkpoints saved
  by transformers 4), tied to the embedding otherwise.

Tying and scaling follow the checkpoint's config, not the version name: :func:`output_tying`
reads ``tie_word_embeddings``, ``scale_decoder_outputs`` (transformers 5's T5) and, for mT5, the
``transformers_version`` that wrote it (transformers 5 ties mT5 and never scales it).

The version names set defaults for what a config leaves out (``feed_forward_proj``, tying);
a config that contradicts the chosen version is an error. Checkpoints: Hugging Face
safetensors, or the original Mesh TensorFlow release (TF1 format, read without TensorFlow).
"""

from __future__ import annotations

from dataclasses import dataclass

from kexue.checkpoints.loader import Ref
from kexue.models.families.base import Family, config_value
from kexue.models.spec import TransformerSpec


def _feedforward(config: dict, version: str) -> tuple[bool, str]:
    """(gated, activation) from ``feed_forward_proj``, checked against the version."""
    default = "relu" if version == "1.0" else "gated-gelu"
    projection = config_value(config, "feed_forward_proj")
    if projection is None and "hidden_act" in config:  # bert4keras configs: "relu" or ["gelu", "linear"]
        act = config["hidden_act"]
        projection = f"gated-{act[0]}" if isinstance(act, (list, tuple)) and len(act) > 1 else str(act)
    projection = str(projection or default)
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


def _major_version(text) -> int | None:
    try:
        return int(str(text).split(".")[0])
    except ValueError:
        return None


def output_tying(config: dict, version: str) -> tuple[bool, bool]:
    """``(tied, scaled)``: whether the LM head is the token embedding, and whether the decoder
    output is scaled by ``d_model ** -0.5`` before it, as the checkpoint's config says.

    - ``scale_decoder_outputs`` (written by ``transformers`` 5 for ``model_type: t5``) decides
      the scaling; transformers 5 always ties (it stores ``shared.weight`` only).
    - ``model_type: mt5`` saved by ``transformers`` 5 or later with ``tie_word_embeddings: true``
      (which transformers 5 always writes for mT5): tied, never scaled (5 dropped mT5's scaling).
    - Otherwise (transformers 4, bert4keras and Mesh TensorFlow configs)
      ``tie_word_embeddings`` decides both: tied checkpoints scale, untied ones do not.
    - A config without any of these: the version's default (v1.0 ties and scales; v1.1 and
      mT5 untie and do not scale).

    Example:
        >>> output_tying({"model_type": "mt5", "tie_word_embeddings": True,
        ...               "transformers_version": "5.2.0"}, "1.1")
        (True, False)
        >>> output_tying({"tie_word_embeddings": True}, "1.1"), output_tying({}, "1.0")
        ((True, True), (True, True))
    """
    tie = config.get("tie_word_embeddings")
    tied = bool(tie) if tie is not None else version == "1.0"
    scale = config.get("scale_decoder_outputs")
    if scale is not None:
        return tied, bool(scale)
    written_by = _major_version(config.get("transformers_version", ""))
    if config.get("model_type") == "mt5" and (written_by or 0) >= 5 and tie is not False:
        return True, False
    return tied, tied


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
    tied, scale = output_tying(config, version)
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
    )


@dataclass(frozen=True)
class _T5Names:
    """Checkpoint spellings: Hugging Face (``encoder.block.0.layer.1.DenseReluDense.wi.weight``,
    kernels ``[out, in]``) or Mesh TensorFlow, the original T5 release read without TensorFlow
    (``encoder/block_000/layer_001/DenseReluDense/wi/kernel``, kernels ``[in, out]``, relative
    position tables ``[heads, buckets]``, v1.1 norms called ``rms_norm``)."""

    hf: bool
    rms_names: bool

    def sublayer(self, stack: str, i: int, j: int) -> str:
        return f"{stack}.block.{i}.layer.{j}" if self.hf else f"{stack}/block_{i:03d}/layer_{j:03d}"

    def kernel(self, path: str) -> Ref:
        return Ref(f"{path}.weight", transpose=True) if self.hf else Ref(f"{path}/kernel")

    def attention_kernel(self, path: str) -> Ref:  # Mesh TF stores q/k/v/o without a kernel suffix
        return Ref(f"{path}.weight", transpose=True) if self.hf else Ref(path)

    def norm(self, path: str) -> Ref:
        if self.hf:
            return Ref(f"{path}.layer_norm.weight")
        return Ref(f"{path}/{'rms_norm' if self.rms_names else 'layer_norm'}/scale")

    def final_norm(self, stack: str) -> Ref:
        if self.hf:
            return Ref(f"{stack}.final_layer_norm.weight")
        return Ref(f"{stack}/{'rms_norm' if self.rms_names else 'final_layer_norm'}/scale")

    def relative(self, stack: str) -> Ref:
        name = self.sublayer(stack, 0, 0)
        if self.hf:
            return Ref(f"{name}.SelfAttention.relative_attention_bias.weight")
        return Ref(f"{name}/SelfAttention/relative_attention_bias", transpose=True)

    def join(self, *parts: str) -> str:
        return ("." if self.hf else "/").join(parts)


def t5_weight_map(spec: TransformerSpec, fmt: str, prefix: str, checkpoint_layers: int) -> dict[str, Ref]:
    """Every variable of a T5 model, from Hugging Face (``fmt="hf"``) or Mesh TF (``"tf1"``)."""
    n = _T5Names(hf=fmt == "hf", rms_names=spec.gated_feedforward)
    p = prefix
    m = {f"{p}token_embedding/embeddings": Ref("shared.weight" if n.hf else "shared/embedding")}
    if spec.gated_feedforward:
        feedforward = {"inner": "wi_0", "gate": "wi_1", "outer": "wo"}
    else:
        feedforward = {"inner": "wi", "outer": "wo"}
    for stack, count in (("encoder", spec.num_layers), ("decoder", spec.num_decoder_layers)):
        m[f"{p}{stack}_relative_position/embeddings"] = n.relative(stack)
        for i in range(count):
            ours = f"{p}{stack}_layer_{i}"
            attentions = [("attention", 0, "SelfAttention")]
            if stack == "decoder":
                attentions.append(("cross_attention", 1, "EncDecAttention"))
            for part, j, theirs in attentions:
                path = n.join(n.sublayer(stack, i, j), theirs)
                for ours_part, short in zip(("query", "key", "value", "output"), "qkvo"):
                    m[f"{ours}/{part}/{ours_part}/kernel"] = n.attention_kernel(n.join(path, short))
                m[f"{ours}/{part}_norm/gamma"] = n.norm(n.sublayer(stack, i, j))
            j = len(attentions)
            for part, name in feedforward.items():
                m[f"{ours}/feedforward/{part}/kernel"] = n.kernel(n.join(n.sublayer(stack, i, j), "DenseReluDense", name))
            m[f"{ours}/feedforward_norm/gamma"] = n.norm(n.sublayer(stack, i, j))
        m[f"{p}{stack}_final_norm/gamma"] = n.final_norm(stack)
    if not spec.tie_output:
        m[f"{p}lm_head/kernel"] = Ref("lm_head.weight", transpose=True) if n.hf else Ref("decoder/logits/kernel")
    return m


def _family(name: str, version: str) -> Family:
    return Family(
        name=name,
        make_spec=lambda config: t5_spec(config, version),
        weight_map=t5_weight_map,
        formats=("hf", "tf1"),
        ignore=(
            r"_slot_(v|vc|vr|m)$",  # Mesh TF Adafactor / Adam slots
            r"^(encoder|decoder)\.embed_tokens\.weight$",  # copies of `shared`
            r"^decoder\.block\.0\.layer\.1\.EncDecAttention\.relative_attention_bias\.weight$",
            r"^lm_head\.weight$",  # a tied model's copy of `shared` (an untied one maps it)
        ),
    )


T5 = _family("t5.1.0", "1.0")
T5_ALIAS = _family("t5", "1.0")
T5_V1_1 = _family("t5.1.1", "1.1")
MT5 = _family("mt5.1.1", "1.1")
