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


T5 = {
    "vocab_size": VOCAB,
    "d_model": 16,
    "d_kv": 4,
    "d_ff": 24,
    "num_layers": 2,
    "num_decoder_layers": 2,
    "num_heads": 3,
    "relative_attention_num_buckets": 8,
    "relative_attention_max_distance": 10,
    "feed_forward_proj": "gated-gelu",
    "tie_word_embeddings": False,
}


def tiny_t5(seed: int = 0, std: float = 0.5):
    """A T5 v1.1 encoder-decoder with peaked random weights (logits out)."""
    model = build_transformer_model(T5, model="t5.1.1", with_lm="linear")
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(0.0, std, w.shape).astype("float32") for w in model.get_weights()])
    return model


def t5_logits(model, source, targets):
    """Uncached reference: the whole encoder-decoder on ``source`` and each of the equally long
    decoder inputs ``targets`` (start token first); logits ``(len(targets), positions, vocab)``."""
    targets = np.array(targets, "int32").reshape(len(targets), -1)
    sources = np.repeat(np.array([source], "int32"), len(targets), axis=0)
    padded = np.zeros((len(targets), WIDTH), "int32")  # right padding: causal, never seen
    padded[:, : targets.shape[1]] = targets
    key = (id(model), sources.shape)
    if key not in _FORWARD:
        _FORWARD[key] = jit_with_variables(lambda *x: model(list(x), training=False), model.weights)
    return keras.ops.convert_to_numpy(_FORWARD[key](sources, padded))[:, : targets.shape[1]]


def reference_beam(logits_fn, beams, max_new, end_ids, alpha):
    """Plain-Python beam search with a finished pool, run to the end (no early stop);
    ``logits_fn(list of generated prefixes)`` gives each prefix's next-token logits."""
    alive, pool = [((), 0.0)], []
    for step in range(max_new):
        logits = logits_fn([seq for seq, _ in alive])
        candidates = []
        for (seq, score), logp in zip(alive, log_softmax(logits.astype("float64"))):
            candidates += [(seq + (t,), score + logp[t]) for t in range(len(logp))]
        candidates.sort(key=lambda c: -c[1])
        candidates = candidates[: 2 * beams]
        pool += [(s, v / len(s) ** alpha) for s, v in candidates if s[-1] in end_ids]
        alive = [c for c in candidates if c[0][-1] not in end_ids][:beams]
    pool += [(s, v / len(s) ** alpha) for s, v in alive]
    return sorted(pool, key=lambda c: -c[1])


def log_softmax(x):
    x = x - x.max(-1, keepdims=True)
    return x - np.log(np.exp(x).sum(-1, keepdims=True))
