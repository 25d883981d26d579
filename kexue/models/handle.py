"""What ``build_transformer_model(..., return_keras_model=False)`` returns: the built model with
the spec it came from, as bert4keras' model objects offered (``.model``, ``.initializer``,
``.inputs``/``.outputs``, ``.load_weights_from_checkpoint``). Encoder-decoders return
:class:`~kexue.models.seq2seq.Seq2Seq`, which adds ``.encoder`` and ``.decoder``.

Example:
    >>> from kexue.models import build_transformer_model
    >>> config = dict(vocab_size=50, hidden_size=16, num_hidden_layers=1,
    ...               num_attention_heads=2, intermediate_size=32)
    >>> bert = build_transformer_model(config, return_keras_model=False)
    >>> bert.model.name, type(bert.initializer).__name__, bert.initializer.stddev
    ('transformer', 'TruncatedNormal', 0.02)
"""

from __future__ import annotations

from typing import Callable

import keras

from kexue.models.spec import TransformerSpec


class ModelHandle:
    """bert4keras' model-object view of a built Transformer (``model`` is set by subclasses)."""

    model: keras.Model
    spec: TransformerSpec | None
    loader: Callable | None

    @property
    def initializer(self) -> keras.initializers.Initializer:
        """The truncated normal of the checkpoint's ``initializer_range`` (0.02 by default),
        for new layers on top (bert4keras' ``bert.initializer``)."""
        stddev = self.spec.initializer_range if self.spec is not None else 0.02
        return keras.initializers.TruncatedNormal(stddev=stddev)

    @property
    def inputs(self) -> list:
        return self.model.inputs

    @property
    def outputs(self) -> list:
        return self.model.outputs

    @property
    def input(self):
        return self.model.input

    @property
    def output(self):
        return self.model.output

    @property
    def layers(self) -> dict:
        """Layers by name (bert4keras kept them in a dict)."""
        return {layer.name: layer for layer in self.model.layers}

    def load_weights_from_checkpoint(self, checkpoint_path, strict: bool = True):
        """Load a checkpoint strictly (see :func:`kexue.models.load_checkpoint`); returns the
        :class:`~kexue.checkpoints.loader.LoadReport`."""
        if self.loader is None:
            raise ValueError("this model was not built by build_transformer_model; use load_checkpoint.")
        return self.loader(checkpoint_path, strict=strict)


class Transformer(ModelHandle):
    """A single-stack Transformer (every family but T5) with its spec."""

    def __init__(self, model: keras.Model, spec: TransformerSpec | None = None, loader=None):
        self.model = model
        self.spec = spec
        self.loader = loader

    def __repr__(self) -> str:
        return f"Transformer(model={self.model.name!r})"
