"""AutoRegressiveDecoder against bert4keras 0.11.5's own (a stub stands in for its TensorFlow
backend module): same beam-search outputs, same ``wraps`` scores; sampling stays in the
top-k/top-p support."""

import itertools
import sys
import types

import numpy as np
import pytest

from kexue.decoding import AutoRegressiveDecoder, restrict_support


@pytest.fixture(scope="module")
def bert4keras_decoder():
    stub = types.ModuleType("bert4keras.backend")
    stub.K = stub.keras = stub.tf = None
    saved = sys.modules.get("bert4keras.backend")
    sys.modules["bert4keras.backend"] = stub
    try:
        snippets = pytest.importorskip("bert4keras.snippets")
    finally:
        if saved is None:
            sys.modules.pop("bert4keras.backend", None)
    return snippets.AutoRegressiveDecoder


def bigram(base, rtype, table):
    class Bigram(base):
        @base.wraps(default_rtype=rtype)
        def predict(self, inputs, output_ids, states):
            previous = output_ids[:, -1] if output_ids.shape[1] else np.full(len(output_ids), inputs[0][0, 0])
            return table[previous]

    return Bigram


@pytest.mark.parametrize("seed", range(6))
def test_beam_search_equals_bert4keras(bert4keras_decoder, seed):
    rng = np.random.default_rng(seed)
    vocab = 6
    logits = rng.normal(0, 2, (vocab, vocab))
    probas = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    for rtype, table in (("logits", logits), ("probas", probas)):
        ours, theirs = bigram(AutoRegressiveDecoder, rtype, table), bigram(bert4keras_decoder, rtype, table)
        for start in (None, 3):
            for topk, min_ends, minlen, temperature in ((1, 1, 1, 1), (3, 1, 2, 0.7), (4, 2, 1, 1.5)):
                kwargs = {"start_id": start, "end_id": 0, "maxlen": 7, "minlen": minlen}
                args = ([np.array([2])], topk)
                a = ours(**kwargs).beam_search(*args, temperature=temperature, min_ends=min_ends)
                b = theirs(**kwargs).beam_search(*args, temperature=temperature, min_ends=min_ends)
                np.testing.assert_array_equal(a, b)


def test_wraps_scores_equal_bert4keras(bert4keras_decoder):
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 2, (4, 7))
    ids = np.array([[1], [2], [3], [0]])
    for rtype, table in (("logits", logits), ("probas", np.exp(logits) / np.exp(logits).sum(1, keepdims=True))):
        ours = bigram(AutoRegressiveDecoder, rtype, table)(None, 0, 3)
        theirs = bigram(bert4keras_decoder, rtype, table)(None, 0, 3)
        for ask in ("probas", "logits"):
            a, _ = ours.predict([ids], ids, None, 0.6, ask)
            b, _ = theirs.predict([ids], ids, None, 0.6, ask)
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-9)


def test_random_sample_stays_in_the_support_and_stops_at_ends():
    table = np.log(np.array([[0.05, 0.5, 0.3, 0.15], [0.4, 0.1, 0.2, 0.3]] * 2))
    decoder = bigram(AutoRegressiveDecoder, "logits", table)(start_id=1, end_id=0, maxlen=6)
    samples = decoder.random_sample([np.array([1])], n=200, topk=2, seed=0)
    assert len(samples) == 200
    for s in samples:
        assert s[0] == 1 and (s[-1] == 0 or len(s) == 7)
        for prev, nxt in itertools.pairwise(s):  # only the two most probable successors
            assert nxt in np.argsort(-table[prev])[:2]
    assert any(s[-1] == 0 for s in samples)


def test_restrict_support_against_direct_enumeration():
    rng = np.random.default_rng(1)
    p = rng.dirichlet(np.ones(9), size=20)
    for k, top in ((3, None), (None, 0.6), (5, 0.8)):
        got = restrict_support(p, topk=k, topp=top)
        for row, out in zip(p, got):
            order = np.argsort(-row)
            kept = order[: k or 9]
            if top is not None:
                q = row[kept] / row[kept].sum()
                mass = np.cumsum(q) - q
                kept = kept[mass < top]
            expected = np.zeros(9)
            expected[kept] = row[kept] / row[kept].sum()
            np.testing.assert_allclose(out, expected, atol=1e-12)
