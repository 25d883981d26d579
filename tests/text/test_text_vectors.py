"""Simpler GloVe, word-vector helpers, domain terms and seed expansion."""

import math

import numpy as np
import pytest

from kexue.text import (
    SimplerGloVe,
    WordVectors,
    cooccurrence,
    count_words,
    depth_threshold,
    domain_terms,
    expand_seeds,
    peoples_daily_1998,
)


def test_cooccurrence_matches_brute_force():
    sentences = [list("abcab"), list("cba"), list("d")]
    vocab, co = cooccurrence(sentences, window=2)
    brute = {}
    for s in sentences:
        for i in range(len(s)):
            for j in range(i + 1, min(len(s), i + 3)):
                for a, b in ((s[i], s[j]), (s[j], s[i])):
                    brute[a, b] = brute.get((a, b), 0) + 1
    got = {
        (vocab[i], vocab[j]): c
        for (i, j), c in zip(co.pairs.tolist(), co.counts.tolist())
    }
    assert got == brute
    pmi = co.pmi()
    marg = co.marginals()
    k = 0
    i, j = co.pairs[k]
    assert pmi[k] == pytest.approx(
        math.log(co.counts[k] * co.counts.sum() / (marg[i] * marg[j]))
    )


def test_glove_inner_products_track_pmi():
    corpus = peoples_daily_1998(limit=2000)
    vocab, co = cooccurrence(corpus.words, window=5, vocab_size=200)
    glove = SimplerGloVe(
        dim=32, epochs=10, batch_size=4096, learning_rate=0.05, seed=0
    ).fit(cooc=(vocab, co))
    v = glove.vectors.vectors
    frequent = co.counts >= 20
    i, j = co.pairs[frequent].T
    r = np.corrcoef((v[i] * v[j]).sum(axis=1), co.pmi()[frequent])[0, 1]
    assert r >= 0.8, r
    assert glove.history[-1] < glove.history[0]


def test_glove_layer_round_trips(tmp_path):
    import keras

    glove = SimplerGloVe(dim=4, epochs=2, seed=0).fit(
        [list("甲乙丙甲乙"), list("丙丁甲")] * 5, window=2
    )
    path = tmp_path / "glove.keras"
    glove.model.save(path)
    loaded = keras.models.load_model(path)
    pairs = np.array([[0, 1], [2, 3]], dtype="int32")
    np.testing.assert_allclose(
        loaded.predict(pairs, verbose=0),
        glove.model.predict(pairs, verbose=0),
        rtol=1e-6,
    )


def test_word_vector_helpers():
    vocab = ["king", "queen", "man", "woman", "apple"]
    vecs = np.array(
        [
            [1.0, 1.0, 0.0],
            [1.0, -1.0, 0.0],
            [0.1, 1.0, 0.0],
            [0.1, -1.0, 0.0],
            [0.0, 0.0, 1.0],
        ]
    )
    wv = WordVectors(vocab, vecs)
    assert wv.analogy("man", "king", "woman", topn=1)[0][0] == "queen"
    assert wv.similarity("king", "apple") == pytest.approx(0.0)
    assert wv.most_similar("king", topn=1)[0][0] == "man"
    # keyword: the word whose vector best predicts the whole text (brute force)
    text = ["king", "man", "king", "apple"]
    brute = max(
        set(text),
        key=lambda w: sum(vecs[vocab.index(w)] @ vecs[vocab.index(o)] for o in text),
    )
    assert wv.keywords(text, topn=1)[0][0] == brute
    with pytest.raises(KeyError, match="vocabulary"):
        wv.similarity("king", "pear")
    with pytest.raises(ValueError, match="one vector per word"):
        WordVectors(["a"], np.zeros((2, 3)))


def test_domain_terms_closed_form():
    domain, general = {"卷积": 9, "的": 90}, {"的": 900, "网络": 100}
    terms = domain_terms(domain, general, smoothing=1.0, min_count=1)
    v = 3
    expected = math.log(10 / (99 + v)) - math.log(1 / (1000 + v))
    assert terms[0].word == "卷积" and terms[0].score == pytest.approx(expected)
    assert terms[1].word == "的" and terms[1].score == pytest.approx(
        math.log(91 / 102) - math.log(901 / 1003)
    )
    assert count_words([["a", "b"], ["a"]]) == {"a": 2, "b": 1}
    with pytest.raises(ValueError, match="smoothing"):
        domain_terms(domain, general, smoothing=0)


def test_seed_expansion_threshold_rises_with_depth():
    assert depth_threshold(0, 0.4, 0.8, 0.7) == 0.4
    assert depth_threshold(2, 0.4, 0.8, 0.7) == pytest.approx(
        0.4 + 0.4 * (1 - math.exp(-1.4))
    )
    # a chain of unit vectors 20 degrees apart: each step keeps cos 20° = 0.94
    angles = np.radians(np.arange(0, 181, 20))
    wv = WordVectors(
        [f"w{i}" for i in range(len(angles))],
        np.stack([np.cos(angles), np.sin(angles)], axis=1),
    )
    found = expand_seeds(
        ["w0"],
        wv,
        min_similarity=0.8,
        max_similarity=0.99,
        alpha=0.5,
        max_depth=20,
        topn=2,
    )
    limit = next(
        d
        for d in range(1, 30)
        if depth_threshold(d, 0.8, 0.99, 0.5) > math.cos(math.radians(20))
    )
    assert (
        max(found.values()) == limit - 1
    )  # the walk stops where the threshold passes cos 20°
    assert found == {f"w{i}": i for i in range(limit)}
    with pytest.raises(KeyError, match="seed"):
        expand_seeds(["nope"], wv)
