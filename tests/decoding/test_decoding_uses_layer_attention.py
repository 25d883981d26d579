"""Every decoding path computes attention in one place, ``MultiHeadAttention._attend`` of the
model's own layers: a counter on that method sees each of the model's attention layers called
(self-attention of every block application; T5's cross-attention too) for greedy search,
sampling and beam search of ``CachedDecoder`` on every decodable family, and for
``AutoRegressiveDecoder`` driving a model. (That the cached steps give the full model's logits
is checked in test_cached_decoding.py and test_seq2seq_decoding.py.) The fast suite runs a
few (family, mode) pairs; ``make test-slow`` the whole matrix."""

from __future__ import annotations

import collections

import numpy as np
import pytest
from decoding_models import FAMILIES, tiny_model, tiny_t5

from kexue.decoding import AutoRegressiveDecoder, CachedDecoder
from kexue.layers.attention import MultiHeadAttention
from kexue.models.block import TransformerBlock

MODES = {
    "greedy": {},
    "sampling": {"do_sample": True, "top_k": 5, "num_return_sequences": 2},
    "beam": {"num_beams": 2},
}


@pytest.fixture
def attention_calls(monkeypatch):
    """Counts calls of the one attention function per attention layer (by identity)."""
    calls = collections.Counter()
    attend = MultiHeadAttention._attend

    def counted(self, *args, **kwargs):
        calls[id(self)] += 1
        return attend(self, *args, **kwargs)

    monkeypatch.setattr(MultiHeadAttention, "_attend", counted)
    return calls


def _blocks_of(model) -> list:
    """Every Transformer block of the model (T5: the encoder's too, run to encode the source)."""
    return [layer for layer in model.layers if isinstance(layer, TransformerBlock)]


def _attention_layers(blocks) -> set:
    layers = {id(block.attention) for block in blocks}
    return layers | {id(block.cross_attention_layer) for block in blocks if block.config.cross_attention}


FAST = {("gpt2", "greedy"), ("gpt2", "beam"), ("t5", "sampling"), ("bert-unilm", "greedy")}
CASES = [
    pytest.param(family, mode, marks=() if (family, mode) in FAST else pytest.mark.slow)
    for family in sorted(set(FAMILIES) - {"roformer-unilm"}) + ["t5"]
    for mode in MODES
]


@pytest.mark.parametrize("family, mode", CASES)
def test_cached_decoding_calls_the_layers_attention(family, mode, attention_calls):
    model = tiny_t5() if family == "t5" else tiny_model(family)
    decoder = CachedDecoder(model)
    blocks = decoder.net.blocks
    if family == "albert-lm":  # one shared block, applied once per layer
        assert len(blocks) == 2 and blocks[0] is blocks[1]
    segments = [[0, 0, 0]] if family.endswith("unilm") else None
    out = decoder.generate([[5, 6, 7]], segments, max_new_tokens=3, **MODES[mode])
    assert len(out.sequences[0]) == MODES[mode].get("num_return_sequences", 1)
    assert set(attention_calls) == _attention_layers(_blocks_of(model))
    # the prefill and at least one loop step (traced once on JAX, run per step on torch)
    assert sum(attention_calls.values()) >= 2 * len(blocks)


def test_autoregressive_decoder_calls_the_layers_attention(attention_calls):
    model = tiny_model("gpt2")

    class Greedy(AutoRegressiveDecoder):
        @AutoRegressiveDecoder.wraps(default_rtype="logits")
        def predict(self, inputs, output_ids, states):
            ids = np.concatenate([inputs[0], output_ids], axis=1).astype("int32")
            return model.predict(ids, verbose=0)[:, -1]

    decoder = Greedy(start_id=None, end_id=0, maxlen=3)
    decoder.beam_search([np.array([5, 6, 7])], topk=2)
    blocks = _blocks_of(model)
    assert len(blocks) == 2 and set(attention_calls) == _attention_layers(blocks)
    assert sum(attention_calls.values()) >= 3 * len(blocks)  # one forward per step
