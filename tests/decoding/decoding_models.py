"""Tiny decodable models of every family for the decoding tests, with weights scaled up so
next-token distributions are peaked (no near-ties between greedy candidates)."""

from __future__ import annotations

import keras
import numpy as np

from kexue.backend import jit_with_variables
from kexue.models import build_transformer_model

VOCAB = 23
BERT = {
    "vocab_size": VOCAB,
    "hidden_size": 16,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "intermediate_size": 24,
    "max_position_embeddings": 48,
}
GPT2 = {"vocab_size": VOCAB, "n_embd": 16, "n_layer": 2, "n_head": 2, "n_positions": 48}

# name -> (config, model, application)
FAMILIES = {
    "gpt2": (GPT2, "gpt2", "lm"),
    "bert-lm": (BERT, "bert", "lm"),
    "bert-unilm": (BERT, "bert", "unilm"),
    "roformer-unilm": (dict(BERT, embedding_size=8), "roformer", "unilm"),
    "albert-lm": (dict(BERT, embedding_size=8), "albert", "lm"),
}


def tiny_model(name: str, seed: int = 0, std: float = 0.5):
    config, family, application = FAMILIES[name]
    model = build_transformer_model(config, model=family, application=application, with_mlm="linear")
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(0.0, std, w.shape).astype("float32") for w in model.get_weights()])
    return model


WIDTH = 16  # every reference call is padded to this length: one compilation per model


def full_logits(model, application: str, source, targets):
    """Uncached reference: run the whole model on ``source + target`` for each of the
    equally long ``targets``; logits ``(len(targets), positions, vocab)``.

    Rows are right-padded to ``WIDTH`` (the padding continues the target segment), which
    cannot change earlier positions under the LM and UniLM masks.
    """
    ids = np.array([list(source) + list(t) for t in targets], "int32").reshape(len(targets), -1)
    length = ids.shape[1]
    padded = np.full((len(ids), WIDTH), 3, "int32")
    padded[:, :length] = ids
    segments = np.zeros_like(padded)
    if application == "unilm":
        segments[:, len(source) :] = 1
    if id(model) not in _FORWARD:
        _FORWARD[id(model)] = jit_with_variables(lambda *x: model(list(x), training=False), model.weights)
    args = [padded] if len(model.inputs) == 1 else [padded, segments]
    return keras.ops.convert_to_numpy(_FORWARD[id(model)](*args))[:, :length]


_FORWARD: dict = {}  # compiled forward pass per model
