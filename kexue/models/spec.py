"""The switches that make one Transformer serve every family.

A :class:`TransformerSpec` holds hyper-parameters and architecture switches; families
(``kexue.models.families``) fill it from a checkpoint config. Nothing here builds layers.

Example:
    >>> from kexue.models.spec import TransformerSpec
    >>> spec = TransformerSpec(vocab_size=100, hidden_size=32, num_layers=2, num_heads=4,
    ...                        intermediate_size=64)
    >>> spec.head_size
    8
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

NORM_POSITIONS = ("post", "pre")
POSITION_TYPES = ("learned", "rotary", "nezha", "t5", "none")


@dataclass
class TransformerSpec:
    """Hyper-parameters and switches of the one parameterised Transformer."""

    vocab_size: int
    hidden_size: int
    num_layers: int
    num_heads: int
    intermediate_size: int
    head_size: int | None = None
    hidden_act: str = "gelu"
    embedding_size: int | None = None  # ALBERT / ELECTRA factorised embeddings
    max_position: int = 512
    segment_vocab_size: int = 2
    layer_norm_eps: float = 1e-12
    norm_position: str = "post"  # "post" (BERT) or "pre" (GPT-2)
    position_type: str = "learned"  # "t5": bucketed relative position biases
    position_offset: int = 0  # RoBERTa's checkpoints start positions at padding_idx + 1
    rotary_value: bool = False
    max_relative_position: int = 64
    relative_buckets: int = 32  # T5
    relative_max_distance: int = 128  # T5
    embedding_norm: bool = True  # LayerNorm right after the embeddings (post-norm families)
    final_norm: bool = False  # LayerNorm after the last block (pre-norm families)
    share_layers: bool = False  # ALBERT
    use_bias: bool = True
    rms_norm: bool = False  # T5: scale-only RMS norms
    gated_feedforward: bool = False  # T5 v1.1: act(inner(x)) * gate(x)
    scale_scores: bool = True  # divide attention scores by sqrt(head_size) (T5 does not)
    num_decoder_layers: int = 0  # > 0: an encoder-decoder (T5) with this many decoder blocks
    tie_output: bool = True  # encoder-decoder: the LM head is the token embedding
    output_scale: float = 1.0  # encoder-decoder: decoder output * this before the tied head
    dropout_rate: float = 0.0
    attention_dropout_rate: float = 0.0
    pad_token_id: int | None = 0  # the padding token's id; None: no token is padding (GPT-2)
    position_ids_from_mask: bool = False  # positions count only real tokens (HF RoBERTa)
    mlm_bias: bool = True  # GPT-2's LM head has no bias
    mlm_transform: bool = True  # dense + act + LayerNorm before the tied output (BERT)
    mlm_activation: str | None = None  # activation of the MLM transform (defaults to hidden_act)
    initializer_range: float = 0.02

    def __post_init__(self):
        if self.head_size is None:
            if self.hidden_size % self.num_heads:
                raise ValueError(
                    f"hidden_size {self.hidden_size} is not divisible by num_heads "
                    f"{self.num_heads}; set head_size explicitly."
                )
            self.head_size = self.hidden_size // self.num_heads
        if self.norm_position not in NORM_POSITIONS:
            raise ValueError(f"norm_position must be one of {NORM_POSITIONS}.")
        if self.position_type not in POSITION_TYPES:
            raise ValueError(f"position_type must be one of {POSITION_TYPES}.")
        for name in ("vocab_size", "hidden_size", "num_layers", "num_heads", "intermediate_size"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}.")

    @property
    def embedding_width(self) -> int:
        return self.embedding_size or self.hidden_size

    def replace(self, **changes) -> "TransformerSpec":
        return dataclasses.replace(self, **changes)
