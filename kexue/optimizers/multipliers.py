"""Layer-wise learning-rate decay tables for the Transformer's variable paths."""

from __future__ import annotations

__all__ = ["layerwise_lr_decay"]

_EMBEDDINGS = (
    "token_embedding",
    "segment_embedding",
    "position_embedding",
    "embedding_norm",
    "embedding_projection",
)


def layerwise_lr_decay(num_layers: int, decay: float, prefix: str = "") -> dict[str, float]:
    """A ``lr_multipliers`` table: block ``i`` gets ``decay**(num_layers - i)``, the
    embeddings ``decay**(num_layers + 1)``, heads (pooler, MLM, NSP, anything else) 1.

    ``prefix`` is the Transformer's ``prefix`` argument (``"encoder_"`` addresses
    ``encoder_layer_3/...``).

    >>> table = layerwise_lr_decay(2, 0.5)
    >>> table[r"(^|/)layer_1/"], table[r"(^|/)layer_0/"]
    (0.5, 0.25)
    >>> from kexue.optimizers.rules import compile_rules, first_match
    >>> first_match("token_embedding/embeddings", compile_rules(table, "t"), 1.0)
    0.125
    """
    if int(num_layers) != num_layers or num_layers < 1:
        raise ValueError(f"`num_layers` must be a positive integer, got {num_layers!r}.")
    if not 0.0 < decay <= 1.0:
        raise ValueError(f"`decay` must be in (0, 1], got {decay!r}.")
    pre = prefix.replace("\\", "\\\\")
    table = {
        rf"(^|/){pre}layer_{i}/": float(decay ** (num_layers - i))
        for i in reversed(range(num_layers))
    }
    for name in _EMBEDDINGS:
        table[rf"(^|/){pre}{name}/"] = float(decay ** (num_layers + 1))
    return table
