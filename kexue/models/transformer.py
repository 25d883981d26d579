"""Build the functional Keras model of one Transformer from a :class:`TransformerSpec`.

Layer names (and so variable paths) are stable and family-independent:
``token_embedding``, ``segment_embedding``, ``position_embedding``, ``embedding_norm``,
``embedding_projection``, ``layer_{i}`` (a :class:`TransformerBlock`), ``final_norm``,
``pooler``, ``nsp``, ``mlm_dense``, ``mlm_norm``, ``mlm_bias``. ``prefix`` is prepended to each.

Outputs follow bert4keras: the sequence output alone; with ``with_pool`` (or ``with_nsp``) the
pooled (or NSP) output replaces it; with ``with_mlm`` as well, a list ``[pooled, mlm]``.

Padding: ``padding`` (a :class:`~kexue.models.masks.PaddingMask`) says which tokens are real,
``attention_mask`` turns it into the blocks' attention mask, and ``sequence_mask`` attaches it
as the Keras mask of the sequence, which every block and sequence head passes on.

Example:
    >>> from kexue.models.spec import TransformerSpec
    >>> from kexue.models.transformer import build_transformer
    >>> spec = TransformerSpec(vocab_size=50, hidden_size=16, num_layers=2, num_heads=2,
    ...                        intermediate_size=32)
    >>> model = build_transformer(spec, application="unilm", with_mlm=True)
    >>> [tuple(i.shape) for i in model.inputs]
    [(None, None), (None, None)]
"""

from __future__ import annotations

import keras

from kexue.backend.keras_internals import producing_layer
from kexue.layers.embedding import Bias, TiedEmbedding
from kexue.layers.normalization import LayerNorm
from kexue.layers.positions import PositionEmbedding
from kexue.layers.relative_bias import RelativePositionBias
from kexue.models.block import TransformerBlock
from kexue.models.block_config import BlockConfig
from kexue.models.checked import CheckedModel
from kexue.models.inputs import transformer_checks
from kexue.models.masks import AttentionMask, PaddingMask, PositionIds, SequenceMask
from kexue.models.spec import TransformerSpec
from kexue.ops import get_activation


def _head_activation(option, default: str) -> str:
    """bert4keras convention: ``True`` means the default activation, a string names one."""
    return default if option is True else option


def build_transformer(
    spec: TransformerSpec,
    application: str = "encoder",
    with_pool=False,
    with_nsp=False,
    with_mlm=False,
    with_discriminator=False,
    layer_norm_cond=None,
    layer_norm_cond_hidden_size: int | None = None,
    layer_norm_cond_hidden_act: str | None = "linear",
    additional_input_layers=None,
    padding_input: bool = False,
    custom_position_ids: bool = False,
    sequence_length: int | None = None,
    prefix: str = "",
    name: str = "transformer",
) -> keras.Model:
    """The functional model; see :func:`kexue.models.build_transformer_model` for arguments.

    The sequence outputs (of every block and of the heads) carry the padding mask as their
    Keras mask. ``padding_input=True`` adds an input ``padding_mask`` (1 = real token) that
    replaces the padding the family derives from token ids.
    """
    p = prefix
    init = keras.initializers.TruncatedNormal(stddev=spec.initializer_range)
    named = _inputs(spec, application, p, sequence_length, custom_position_ids, padding_input)
    token_ids, segment_ids = named["token_ids"], named.get("segment_ids")
    inputs = list(named.values())

    condition = layer_norm_cond
    if isinstance(condition, int):
        condition = keras.Input((condition,), name=f"{p}condition")
    conditional = condition is not None
    for extra in [condition] + list(additional_input_layers or []):
        if extra is not None and _is_model_input(extra) and all(extra is not i for i in inputs):
            inputs.append(extra)
    if spec.num_decoder_layers:
        raise ValueError(
            "this spec is an encoder-decoder (num_decoder_layers > 0): build it with "
            "kexue.models.seq2seq.build_seq2seq (build_transformer_model does this for T5)."
        )
    norm_kwargs = dict(
        epsilon=spec.layer_norm_eps,
        rms=spec.rms_norm,
        conditional=conditional,
        condition_hidden_units=layer_norm_cond_hidden_size,
        condition_activation=layer_norm_cond_hidden_act,
    )

    def norm(layer, x):
        return layer(x, condition=condition) if conditional else layer(x)

    # Padding: from an explicit input, else from the family's padding id
    if padding_input:  # 1 = real token, 0 = padding
        valid = PaddingMask(0, name=f"{p}padding")(named["padding_mask"])
    else:
        valid = PaddingMask(spec.pad_token_id, name=f"{p}padding")(token_ids)

    # Embeddings
    token_embedding = TiedEmbedding(
        spec.vocab_size,
        spec.embedding_width,
        embeddings_initializer=init,
        name=f"{p}token_embedding",
    )
    x = token_embedding(token_ids)
    if segment_ids is not None:
        x = x + keras.layers.Embedding(
            spec.segment_vocab_size,
            spec.embedding_width,
            embeddings_initializer=init,
            name=f"{p}segment_embedding",
        )(segment_ids)
    if spec.position_type == "learned":
        positions = None
        if custom_position_ids:
            positions = named["position_ids"]
        elif spec.position_ids_from_mask:
            positions = PositionIds(name=f"{p}position_ids_from_padding")(valid)
        x = x + PositionEmbedding(
            spec.max_position, spec.embedding_width, initializer=init, name=f"{p}position_embedding"
        )(x, positions=positions)
    elif custom_position_ids:
        raise ValueError(
            f"custom_position_ids needs learned absolute positions; this spec uses "
            f"{spec.position_type!r} positions."
        )
    if spec.embedding_norm:
        x = norm(LayerNorm(name=f"{p}embedding_norm", **norm_kwargs), x)
    x = keras.layers.Dropout(spec.dropout_rate, name=f"{p}embedding_dropout")(x)
    if spec.embedding_width != spec.hidden_size:
        x = keras.layers.Dense(
            spec.hidden_size, kernel_initializer=init, name=f"{p}embedding_projection"
        )(x)
    x = SequenceMask(name=f"{p}sequence_mask")(x, mask=valid)

    # Blocks
    mask = AttentionMask(application, spec.pad_token_id, name=f"{p}attention_mask")(
        valid, segment_ids
    )
    block_config = BlockConfig.from_spec(
        spec,
        conditional=conditional,
        condition_hidden_units=layer_norm_cond_hidden_size,
        condition_activation=layer_norm_cond_hidden_act,
    )
    blocks = [
        TransformerBlock(block_config, kernel_initializer=init, name=f"{p}layer_{i}")
        for i in range(1 if spec.share_layers else spec.num_layers)
    ]
    extras = {"condition": condition} if conditional else {}
    if spec.position_type == "t5":
        extras["bias"] = relative_position_bias(spec, application == "encoder", init, f"{p}relative_position")(x)
    for i in range(spec.num_layers):
        block = blocks[0] if spec.share_layers else blocks[i]
        x = block(x, attention_mask=mask, **extras)
    if spec.final_norm:
        x = norm(LayerNorm(name=f"{p}final_norm", **norm_kwargs), x)

    # Heads
    outputs = [x]
    if with_pool or with_nsp:
        pooled = keras.layers.Dense(
            spec.hidden_size,
            activation=_head_activation(with_pool or True, "tanh"),
            kernel_initializer=init,
            name=f"{p}pooler",
        )(x[:, 0])
        if with_nsp:
            pooled = keras.layers.Dense(
                2,
                activation=_head_activation(with_nsp, "softmax"),
                kernel_initializer=init,
                name=f"{p}nsp",
            )(pooled)
        outputs.append(pooled)
    if with_mlm:
        h = x
        if spec.mlm_transform:
            h = keras.layers.Dense(
                spec.embedding_width,
                activation=_mlm_transform_activation(spec),
                kernel_initializer=init,
                name=f"{p}mlm_dense",
            )(h)
            h = norm(LayerNorm(name=f"{p}mlm_norm", **norm_kwargs), h)
        h = token_embedding(h, mode="logits")
        if spec.mlm_bias:
            h = Bias(name=f"{p}mlm_bias")(h)
        activation = _head_activation(with_mlm, "softmax")
        if activation not in (None, "linear"):
            h = keras.layers.Activation(activation, name=f"{p}mlm_activation")(h)
        outputs.append(h)
    if with_discriminator:  # ELECTRA's replaced-token detection head
        h = keras.layers.Dense(
            spec.hidden_size, activation=get_activation(spec.hidden_act), kernel_initializer=init,
            name=f"{p}discriminator_dense",
        )(x)
        outputs = [keras.layers.Dense(
            1, activation=_head_activation(with_discriminator, "sigmoid"), kernel_initializer=init,
            name=f"{p}discriminator_prediction",
        )(h)]
    if len(outputs) == 1:
        out = outputs[0]
    elif len(outputs) == 2:
        out = outputs[1]
    else:
        out = outputs[1:]
    checks = transformer_checks(
        spec, prefix, segments=segment_ids is not None,
        positions="position_ids" in named, padding="padding_mask" in named,
    )
    return CheckedModel(inputs, out, name=name, input_checks=checks)


def _inputs(spec, application, p, sequence_length, custom_position_ids, padding_input) -> dict:
    """The model's own inputs, in bert4keras' order (tokens, segments, positions), then the
    explicit padding mask."""
    shape = (sequence_length,)
    inputs = {"token_ids": keras.Input(shape, dtype="int32", name=f"{p}token_ids")}
    if spec.segment_vocab_size > 0:
        inputs["segment_ids"] = keras.Input(shape, dtype="int32", name=f"{p}segment_ids")
    elif application == "unilm":
        raise ValueError("application='unilm' needs segment ids; do not set segment_vocab_size=0.")
    if custom_position_ids:
        inputs["position_ids"] = keras.Input(shape, dtype="int32", name=f"{p}position_ids")
    if padding_input:
        inputs["padding_mask"] = keras.Input(shape, dtype="int32", name=f"{p}padding_mask")
    return inputs


def relative_position_bias(spec: TransformerSpec, bidirectional: bool, initializer, name: str):
    """T5's bucketed relative position bias layer for a spec."""
    return RelativePositionBias(
        spec.num_heads,
        num_buckets=spec.relative_buckets,
        max_distance=spec.relative_max_distance,
        bidirectional=bidirectional,
        embeddings_initializer=initializer,
        name=name,
    )


def applied_blocks(model: keras.Model, prefix: str = "") -> list:
    """The blocks ``{prefix}layer_0``, ``layer_1``, ... of a model from
    :func:`build_transformer`, in the order it applies them (ALBERT's one shared block once per
    application, counted in the model's config); empty if it has none."""
    names = {layer.name for layer in model.layers}
    blocks = []
    while f"{prefix}layer_{len(blocks)}" in names:
        blocks.append(model.get_layer(f"{prefix}layer_{len(blocks)}"))
    if len(blocks) == 1:
        calls = [len(entry.get("inbound_nodes", [])) for entry in model.get_config().get("layers", [])
                 if entry.get("name") == blocks[0].name]
        blocks = blocks * max([1] + calls)
    return blocks


def _mlm_transform_activation(spec: TransformerSpec):
    return get_activation(spec.mlm_activation or spec.hidden_act)


def _is_model_input(tensor) -> bool:
    return isinstance(producing_layer(tensor), keras.layers.InputLayer)
