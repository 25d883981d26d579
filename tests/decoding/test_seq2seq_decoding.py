"""KV-cached decoding of a T5 encoder-decoder against the uncached model: per-step logits,
greedy tokens (vs AutoRegressiveDecoder driving the full model, bert4keras style) and beam
search (vs a plain-Python beam search)."""

import keras
import numpy as np
from decoding_models import reference_beam, t5_logits, tiny_t5

from kexue.backend import jit_with_variables
from kexue.decoding import AutoRegressiveDecoder, CachedDecoder
from kexue.decoding.seq2seq_cache import CachedSeq2Seq

SOURCES = [[3, 4, 5, 6, 7, 8, 1], [9, 10, 1]]
TARGET = [0, 7, 8, 9, 10, 11]  # start token, then five tokens


def test_cached_steps_give_the_full_model_logits():
    model = tiny_t5()
    net = CachedSeq2Seq(model)
    width, max_len = max(map(len, SOURCES)), len(TARGET)
    source = np.zeros((2, width), "int32")  # left-padded, as the decoder pads sources
    for row, s in enumerate(SOURCES):
        source[row, width - len(s) :] = s
    key_valid = np.ones((2, max_len), bool)

    def run(token, cache, index, source):
        weights = net.weights(net.encode(source), source != 0)
        mask = net.step_mask(key_valid, index, 1, causal=True)
        return net.step(token, None, None, cache, index, mask, weights)

    step = jit_with_variables(run, net.variables)
    cache, got = net.init_cache(2, max_len), []
    for i, token in enumerate(TARGET):
        logits, cache = step(np.full((2, 1), token, "int32"), cache, i, source)
        got.append(keras.ops.convert_to_numpy(logits))
    for row, s in enumerate(SOURCES):
        full = t5_logits(model, s, [TARGET])[0]
        np.testing.assert_allclose(np.array(got)[:, row], full, atol=1e-5, rtol=1e-5)


class Uncached(AutoRegressiveDecoder):
    """bert4keras-style T5 decoding: the whole model re-run on the source and the prefix."""

    def __init__(self, model, **kwargs):
        super().__init__(**kwargs)
        self.model = model

    @AutoRegressiveDecoder.wraps(default_rtype="logits")
    def predict(self, inputs, output_ids, states):
        return t5_logits(self.model, inputs[0][0], output_ids)[:, -1]


def test_greedy_tokens_match_uncached_decoding():
    model = tiny_t5(seed=1)
    out = CachedDecoder(model).generate(SOURCES, max_new_tokens=6, end_ids=[1, 2])
    reference = Uncached(model, start_id=0, end_id=[1, 2], maxlen=6)
    for source, got in zip(SOURCES, out.sequences):
        expected = reference.beam_search([source], topk=1)
        np.testing.assert_array_equal(got[0], expected[1:])  # the reference keeps the start id


def test_beam_search_matches_uncached_reference():
    model = tiny_t5(seed=2, std=0.35)
    out = CachedDecoder(model).generate(
        SOURCES, max_new_tokens=5, end_ids=[1, 2], num_beams=3, num_return_sequences=2, length_penalty=0.7
    )
    for source, got, scores in zip(SOURCES, out.sequences, out.scores):

        def logits_fn(seqs, source=source):
            return t5_logits(model, source, [(0, *s) for s in seqs])[:, -1]

        expected = reference_beam(logits_fn, 3, 5, (1, 2), 0.7)[:2]
        assert [tuple(s.tolist()) for s in got] == [s for s, _ in expected]
        np.testing.assert_allclose(scores, [v for _, v in expected], atol=1e-4)
