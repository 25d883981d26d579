"""bert4keras' ``build_transformer_model`` arguments, read one by one: each is given the same
meaning here, or refused with a message that says what to pass instead.

bert4keras passes every keyword to its model classes (and merges it into the config), so the
list below covers the arguments of ``Transformer``, ``BERT``, ``ELECTRA``, ``GPT``/``GPT2``,
``T5_Base`` and ``T5_Decoder`` as well as those of the function itself.

Example:
    >>> from kexue.models.arguments import translate
    >>> translate({"ignore_invalid_weights": True, "attention_head_size": 8}, "bert", "encoder")
    {'strict': False, 'head_size': 8}
    >>> translate({}, "bert", "unilm")  # a language model predicts tokens, as in bert4keras
    {'with_mlm': True}
"""

from __future__ import annotations

from kexue.models.masks import APPLICATIONS

# Arguments that change the spec (bert4keras' name -> TransformerSpec field).
SPEC_ARGUMENTS = {
    "vocab_size": "vocab_size",
    "hidden_size": "hidden_size",
    "num_attention_heads": "num_heads",
    "intermediate_size": "intermediate_size",
    "attention_head_size": "head_size",
    "segment_vocab_size": "segment_vocab_size",
    "max_position": "max_position",
    "dropout_rate": "dropout_rate",
    "attention_dropout_rate": "attention_dropout_rate",
    "hidden_act": "hidden_act",
    "pad_token_id": "pad_token_id",
    "embedding_size": "embedding_size",
    "layer_norm_eps": "layer_norm_eps",
}
# Arguments of the builders (passed through to build_transformer / build_seq2seq).
BUILD_ARGUMENTS = (
    "with_pool",
    "with_nsp",
    "with_mlm",
    "with_discriminator",
    "layer_norm_cond",
    "layer_norm_cond_hidden_size",
    "layer_norm_cond_hidden_act",
    "additional_input_layers",
    "padding_input",
    "custom_position_ids",
    "sequence_length",
    "prefix",
    "name",
    "with_lm",
)
SEQ2SEQ_ARGUMENTS = ("with_lm", "prefix", "name")

# bert4keras options kexue does not have: (value that is accepted, what to do instead).
_REFUSED = {
    "residual_attention_scores": (
        False, "RealFormer's residual attention scores are not implemented; remove the argument"
    ),
    "autoresize_weights": (
        False, "weights are never resized to fit: build with the checkpoint's own sizes"
    ),
    "layers": (None, "layers cannot be shared through a dict; reuse a model's layers with "
               "model.get_layer(name) instead"),
    "hierarchical_position": (
        None, "hierarchical position embeddings are not implemented: keep sequences within "
              "max_position"
    ),
    "shared_segment_embeddings": (
        False, "segment embeddings are always their own table: remove the argument"
    ),
    "attention_caches": (
        None, "for cached decoding use kexue.decoding.CachedDecoder(model).generate(...)"
    ),
}
_T5_VERSIONS = {"t5": "t5.1.0", "t5.1.0": "t5.1.0", "t5.1.1": "t5.1.1", "mt5.1.1": "mt5.1.1"}


def translate(kwargs: dict, family: str, application: str) -> dict:
    """bert4keras keywords -> kexue's build options (``strict``, spec fields, builder
    arguments). Names this module does not know are returned untouched, for the caller to
    match against the config or refuse."""
    kwargs = dict(kwargs)
    options: dict = {}
    for name, (accepted, instead) in _REFUSED.items():
        if name in kwargs:
            value = kwargs.pop(name)
            if value != accepted and not (accepted is None and not value):
                raise ValueError(f"{name}={value!r}: {instead}.")
    if "ignore_invalid_weights" in kwargs:
        options["strict"] = not kwargs.pop("ignore_invalid_weights")
    if "attention_key_size" in kwargs:
        key_size = kwargs.pop("attention_key_size")
        head_size = kwargs.get("attention_head_size")
        if key_size is not None and head_size is not None and key_size != head_size:
            raise ValueError(
                f"attention_key_size={key_size} differs from attention_head_size={head_size}: "
                "kexue's attention uses one size for queries, keys and values; pass "
                "attention_head_size only."
            )
        if key_size is not None and head_size is None:
            kwargs["attention_head_size"] = key_size
    if "version" in kwargs:
        version = kwargs.pop("version")
        if _T5_VERSIONS.get(family) != version:
            raise ValueError(
                f"version={version!r} contradicts model={family!r}; choose the version with "
                "model= ('t5.1.0', 't5.1.1' or 'mt5.1.1') and drop version=."
            )
    if "cross_position_bias" in kwargs and kwargs.pop("cross_position_bias"):
        raise ValueError(
            "cross_position_bias=True: kexue's T5 follows the released checkpoints (and "
            "transformers): the cross-attention has no relative position bias. Drop the "
            "argument (bert4keras added one by default)."
        )
    if "final_activation" in kwargs:
        if family != "gpt2":
            raise TypeError(f"final_activation is GPT-2's argument; {family} takes with_mlm.")
        kwargs["with_mlm"] = kwargs.pop("final_activation")
    if "with_discriminator" in kwargs and family != "electra":
        raise TypeError(f"with_discriminator is ELECTRA's argument; model={family!r} does not take it.")
    if family == "gpt2":
        _gpt2_heads(kwargs)
    if application not in APPLICATIONS:
        raise ValueError(f"application must be one of {APPLICATIONS}, got {application!r}.")
    if application in ("lm", "unilm"):
        if family == "electra" or family in _T5_VERSIONS:
            raise ValueError(f"model={family!r} cannot be used with application={application!r}.")
        if family != "gpt2":  # bert4keras: a language model always predicts tokens
            kwargs["with_mlm"] = kwargs.get("with_mlm") or True
    for name, field in SPEC_ARGUMENTS.items():
        if name in kwargs:
            options[field] = kwargs.pop(name)
    options.update(kwargs)
    return options


def _gpt2_heads(kwargs: dict) -> None:
    """bert4keras' GPT-2 always ends with its tied LM head and a softmax (``final_activation``);
    ``with_mlm=False`` (a kexue option) keeps the hidden states. No token id is padding."""
    if kwargs.get("pad_token_id") is not None:
        raise ValueError(
            "GPT-2 has no padding token (id 0 is a real token); to pad a batch, build with "
            "padding_input=True and give a padding_mask input (1 = real token)."
        )
    for name in ("with_pool", "with_nsp"):
        if kwargs.get(name):
            raise TypeError(f"gpt2 has no {name[5:]} head; build it without {name}.")
        kwargs.pop(name, None)
    kwargs.setdefault("with_mlm", True)


def config_overrides(kwargs: dict, config: dict) -> tuple[dict, dict]:
    """Split ``kwargs`` into keys of ``config`` (bert4keras lets any keyword replace a config
    entry, e.g. ``max_position_embeddings=...``) and the rest."""
    overrides = {k: v for k, v in kwargs.items() if k in config}
    return overrides, {k: v for k, v in kwargs.items() if k not in config}
