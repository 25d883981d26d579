"""``BlockConfig``: every setting of one Transformer block, frozen, named as in
:class:`~kexue.models.spec.TransformerSpec`, made from the spec once and handed on to
:class:`~kexue.models.block.TransformerBlock` (which builds its attention, feed-forward and
norm sub-layers from it and serialises it as one entry of its ``get_config``).

Example:
    >>> from kexue.models.spec import TransformerSpec
    >>> from kexue.models.block_config import BlockConfig
    >>> spec = TransformerSpec(vocab_size=50, hidden_size=16, num_layers=2, num_heads=2,
    ...                        intermediate_size=32, position_type="rotary")
    >>> config = BlockConfig.from_spec(spec, cross_attention=True)
    >>> config.num_heads, config.head_size, config.attention_position, config.cross_attention
    (2, 8, 'rotary', True)
"""

from __future__ import annotations

import dataclasses
from typing import Any

from kexue.ops import activation_name

# Names the block's keyword arguments had before BlockConfig (saved .keras models use them).
_LEGACY_NAMES = {"gated": "gated_feedforward", "position": "position_type"}


@dataclasses.dataclass(frozen=True)
class BlockConfig:
    """One block's settings; fields shared with the spec carry the spec's names and values."""

    num_heads: int
    head_size: int
    intermediate_size: int
    hidden_act: Any = "gelu"
    norm_position: str = "post"  # "post" (BERT) or "pre" (GPT-2, T5)
    position_type: str = "none"  # the spec's; only "rotary" and "nezha" act inside attention
    rotary_value: bool = False
    max_relative_position: int = 64
    use_bias: bool = True
    layer_norm_eps: float = 1e-12
    rms_norm: bool = False
    gated_feedforward: bool = False
    scale_scores: bool = True
    dropout_rate: float = 0.0
    attention_dropout_rate: float = 0.0
    cross_attention: bool = False  # an encoder-decoder's decoder block
    conditional: bool = False  # Conditional LayerNorm
    condition_hidden_units: int | None = None
    condition_activation: str | None = "linear"

    def __post_init__(self):
        if self.norm_position not in ("post", "pre"):
            raise ValueError(f"norm_position must be 'post' or 'pre', got {self.norm_position!r}.")
        object.__setattr__(self, "hidden_act", activation_name(self.hidden_act))
        object.__setattr__(self, "condition_activation", activation_name(self.condition_activation))

    @property
    def attention_position(self) -> str:
        """The position scheme applied inside attention: ``"rotary"``, ``"nezha"`` or
        ``"none"`` (learned, T5 and absent positions act outside the blocks)."""
        return self.position_type if self.position_type in ("rotary", "nezha") else "none"

    @classmethod
    def from_spec(cls, spec: Any, **block_only: Any) -> "BlockConfig":
        """The block settings of ``spec``; ``block_only`` sets the fields a spec has not
        (``cross_attention``, ``conditional``, ``condition_*``)."""
        shared = {f.name: getattr(spec, f.name) for f in dataclasses.fields(cls) if hasattr(spec, f.name)}
        return cls(**shared, **block_only)

    @classmethod
    def from_arguments(cls, arguments: dict) -> "BlockConfig":
        """From a block's keyword arguments as earlier versions took (and saved) them."""
        return cls(**{_LEGACY_NAMES.get(name, name): value for name, value in arguments.items()})

    def to_dict(self) -> dict:
        """Plain values for ``get_config`` (:meth:`from_arguments` reads them back)."""
        return dataclasses.asdict(self)


# Every keyword a block takes for its settings (BlockConfig's fields and the legacy names).
ARGUMENT_NAMES = frozenset(f.name for f in dataclasses.fields(BlockConfig)) | frozenset(_LEGACY_NAMES)
