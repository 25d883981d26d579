"""The pretrained (or fresh) Transformer under a recipe: where it comes from, its vocabulary,
and how to build it.

``--checkpoint PATH`` takes a Hugging Face folder (``config.json``, ``model.safetensors``,
``vocab.txt``; what ``kexue task pretrain`` and :func:`kexue.checkpoints.save_pretrained`
write), or an original TensorFlow 1 checkpoint (prefix, with ``bert_config.json`` and
``vocab.txt`` beside it). ``--scratch tiny|small`` starts from random weights (tiny: 4 layers,
hidden 256, 4 heads; small: 6 × 384 × 6) with a character vocabulary built from the training
texts (:mod:`kexue.tasks.vocab`).

Everything here is checked before a recipe writes anything, so a wrong ``--checkpoint`` is one
clear error and the output folder is left alone.

Example:
    >>> backbone = scratch_backbone("tiny", ["我爱北京", "天安门"], family="bert")
    >>> backbone.config["num_hidden_layers"], backbone.config["hidden_size"], len(backbone.vocab)
    (4, 256, 12)
    >>> backbone.tokenizer().encode("北京")[0]
    [2, 7, 8, 3]
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

__all__ = [
    "FAMILIES",
    "SCRATCH_SIZES",
    "Backbone",
    "BackboneError",
    "checkpoint_backbone",
    "scratch_backbone",
]

# (layers, hidden, heads); the feed-forward is 4 × hidden
SCRATCH_SIZES = {"tiny": (4, 256, 4), "small": (6, 384, 6)}
# families a recipe may put under its head (``--model``), and the model_type their
# Hugging Face config carries when we write one
FAMILIES = {
    "bert": "bert",
    "roberta": "roberta",
    "albert": "albert",
    "nezha": "nezha",
    "roformer": "roformer",
    "electra": "electra",
}
CONFIG_NAMES = ("config.json", "bert_config.json", "albert_config.json")


class BackboneError(ValueError):
    """A checkpoint or backbone option that cannot be used (the message says how to fix it)."""


@dataclass
class Backbone:
    """A Transformer family, its config, its vocabulary, and (optionally) weights to load.

    Attributes:
        family: ``build_transformer_model``'s ``model=`` name.
        config: the config dict (Hugging Face or Google spelling).
        vocab: ``{token: id}``.
        do_lower_case: how the tokenizer normalises text.
        fold_width: the tokenizer reads full-width digits and letters as ASCII (the vocabulary
            was built from folded text; :mod:`kexue.tokenizers.width`).
        checkpoint: weights loaded by :meth:`build` (``None``: random initialisation).
        source: what the user asked for (``"scratch tiny"`` or the checkpoint path).
    """

    family: str
    config: dict
    vocab: dict[str, int]
    do_lower_case: bool = True
    checkpoint: str | None = None
    source: str = ""
    extra: dict = field(default_factory=dict)
    fold_width: bool = False

    @property
    def max_position(self) -> int:
        from kexue.models.families import get_family

        return get_family(self.family).make_spec(self.config).max_position

    def tokenizer(self, **kwargs):
        """A :class:`~kexue.tokenizers.Tokenizer` over this vocabulary."""
        from kexue.tokenizers import Tokenizer

        return Tokenizer(self.vocab, do_lower_case=self.do_lower_case, fold_width=self.fold_width,
                         **kwargs)

    def build(self, **kwargs):
        """``build_transformer_model`` of this family and config, loading :attr:`checkpoint`
        (strictly) when there is one; ``kwargs`` go to it (``with_pool``, ``with_mlm``,
        ``application``, ``return_keras_model``, ...)."""
        from kexue.models import build_transformer_model

        return build_transformer_model(dict(self.config), self.checkpoint, model=self.family, **kwargs)

    def without_weights(self) -> "Backbone":
        """The same architecture and vocabulary, built with random weights (a resumed run
        restores every weight from its snapshot; a trained task loads ``model.keras``)."""
        return dataclasses.replace(self, checkpoint=None, extra=dict(self.extra))

    def describe(self) -> dict:
        """What ``task.json`` records (the vocabulary is written beside it as ``vocab.txt``)."""
        return {"model": self.family, "config": self.config, "do_lower_case": self.do_lower_case,
                "fold_width": self.fold_width, "source": self.source}

    @classmethod
    def from_description(cls, described: dict, vocab: dict[str, int]) -> "Backbone":
        # runs saved before width folding existed have no "fold_width": they did not fold
        return cls(described["model"], dict(described["config"]), vocab,
                   bool(described.get("do_lower_case", True)), None, described.get("source", ""),
                   fold_width=bool(described.get("fold_width", False)))


def scratch_size(size: str) -> tuple[int, int, int]:
    """``(layers, hidden, heads)`` of ``tiny``, ``small`` or ``LAYERSxHIDDENxHEADS``.

    >>> scratch_size("small"), scratch_size("2x32x4")
    ((6, 384, 6), (2, 32, 4))
    """
    if size in SCRATCH_SIZES:
        return SCRATCH_SIZES[size]
    parts = str(size).lower().split("x")
    if len(parts) == 3 and all(p.isdigit() and int(p) > 0 for p in parts):
        layers, hidden, heads = map(int, parts)
        if hidden % heads == 0:
            return layers, hidden, heads
        raise BackboneError(f"--scratch {size}: the hidden size {hidden} must be a multiple of "
                            f"the {heads} heads.")
    raise BackboneError(f"--scratch must be {', '.join(SCRATCH_SIZES)} or LAYERSxHIDDENxHEADS "
                        f"(e.g. 2x32x4), got {size!r}.")


def scratch_config(size: str, family: str, vocab_size: int, max_position: int = 512) -> dict:
    """A Hugging Face style config for a fresh model of ``size`` (see :func:`scratch_size`)."""
    if family not in FAMILIES:
        raise BackboneError(f"--model must be one of {', '.join(FAMILIES)}, got {family!r}.")
    layers, hidden, heads = scratch_size(size)
    config = {
        "model_type": FAMILIES[family],
        "vocab_size": vocab_size,
        "hidden_size": hidden,
        "num_hidden_layers": layers,
        "num_attention_heads": heads,
        "intermediate_size": 4 * hidden,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": max_position,
        "type_vocab_size": 2,
        "layer_norm_eps": 1e-12,
        "initializer_range": 0.02,
        "pad_token_id": 0,
    }
    if family == "roberta":  # Hugging Face RoBERTa numbers positions from pad + 1
        config["max_position_embeddings"] = max_position + 1
    if family == "albert":
        config.update(embedding_size=min(128, hidden), num_hidden_groups=1, inner_group_num=1)
    if family == "electra":
        config["embedding_size"] = hidden
    if family == "nezha":
        config["max_relative_position"] = 64
    return config


def scratch_backbone(size: str, texts: Iterable[str], family: str = "bert",
                     min_count: int = 1, max_vocab: int | None = None,
                     fold_width: bool = False) -> Backbone:
    """A fresh ``size`` model of ``family`` with a character vocabulary built from ``texts``
    (with ``fold_width``, from the texts with full-width digits and letters as ASCII, and a
    tokenizer that folds the same way)."""
    from kexue.tasks.vocab import character_vocabulary

    family = (family or "bert").lower()
    config = scratch_config(size, family, 1)  # checks the options before the texts are read
    vocab = character_vocabulary(texts, min_count=min_count, max_size=max_vocab, fold_width=fold_width)
    config["vocab_size"] = len(vocab)
    return Backbone(family, config, vocab, True, None, f"scratch {size}", fold_width=fold_width)


def _config_file(folder: Path) -> Path:
    for name in CONFIG_NAMES:
        if (folder / name).exists():
            return folder / name
    raise BackboneError(f"--checkpoint: no {' or '.join(CONFIG_NAMES)} in {folder}; a checkpoint "
                        "needs its config beside it.")


def _do_lower_case(folder: Path, vocab: dict[str, int]) -> bool:
    from kexue.files import read_json

    settings = folder / "tokenizer_config.json"
    if settings.exists():
        value = read_json(settings).get("do_lower_case")
        if value is not None:
            return bool(value)
    # no setting: an uncased vocabulary has no upper-case Latin tokens
    return not any(t.isascii() and t != t.lower() and not t.startswith("[") for t in vocab)


def family_of(config: dict, family: str | None) -> str:
    """The ``--model`` family: the one given, or the one the config's ``model_type`` names
    (``bert`` when it names none)."""
    if family:
        family = family.lower()
        if family not in FAMILIES:
            raise BackboneError(f"--model must be one of {', '.join(FAMILIES)}, got {family!r}.")
        return family
    model_type = str(config.get("model_type") or "bert").lower()
    if model_type not in FAMILIES.values():
        raise BackboneError(f"--checkpoint: its config says model_type={model_type!r}, which no "
                            f"recipe backbone reads; recipes take {', '.join(FAMILIES)}.")
    return next(name for name, kind in FAMILIES.items() if kind == model_type)


def checkpoint_backbone(path: str | os.PathLike, family: str | None = None) -> Backbone:
    """The backbone of a checkpoint (see the module docstring for the forms ``path`` takes).

    Raises :class:`BackboneError` naming what is missing; nothing is built here, but the
    checkpoint file is opened so an unreadable one fails now.
    """
    from kexue.checkpoints import CheckpointError, open_checkpoint
    from kexue.files import read_json
    from kexue.models.families import check_model_type, get_family
    from kexue.tokenizers import load_vocab

    path = Path(path)
    index = Path(str(path) + ".index")
    if not path.exists() and not index.exists():
        raise BackboneError(f"--checkpoint {path}: no such file or folder.")
    folder = path if path.is_dir() else path.parent
    if (folder / "task.json").exists() and not (folder / "config.json").exists():
        raise BackboneError(f"--checkpoint {path} is a trained task folder; continue it with "
                            "`train --resume --out` or export its encoder with save_pretrained.")
    config = read_json(_config_file(folder))
    if not isinstance(config, dict):
        raise BackboneError(f"--checkpoint: {_config_file(folder)} is not a JSON object.")
    family = family_of(config, family)
    try:
        check_model_type(get_family(family), config)
        open_checkpoint(path)
    except CheckpointError as error:
        raise BackboneError(f"--checkpoint {path}: {error}") from None
    except ValueError as error:
        raise BackboneError(f"--checkpoint {path}: {error}") from None
    vocab_file = folder / "vocab.txt"
    if not vocab_file.exists():
        raise BackboneError(f"--checkpoint: no vocab.txt in {folder}; recipes need the "
                            "checkpoint's WordPiece vocabulary beside it.")
    vocab = load_vocab(vocab_file)
    return Backbone(family, config, vocab, _do_lower_case(folder, vocab), str(path), str(path))
