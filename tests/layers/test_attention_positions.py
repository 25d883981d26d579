"""Attention with position schemes against NumPy references: NEZHA's relative positions, rotary
embeddings' relative property, masks, and the KV cache."""

import keras
import numpy as np
import pytest

from kexue.layers.attention import MultiHeadAttention
from kexue.layers.positions import apply_rotary, nezha_relative_table, rotary_sin_cos


def _numpy(layer_dense):
    return [keras.ops.convert_to_numpy(w) for w in layer_dense.weights]


def _softmax(x):
    x = x - x.max(-1, keepdims=True)
    e = np.exp(x)
    return e / e.sum(-1, keepdims=True)


def test_nezha_table_is_clipped_sinusoid():
    table = nezha_relative_table(6, 8, max_distance=2)
    assert table.shape == (6, 6, 8)
    np.testing.assert_allclose(table[0, 5], table[0, 2])  # distance 5 clips to 2
    np.testing.assert_allclose(table[1, 0][0::2], np.sin(1 * np.exp(np.arange(0, 8, 2) * -np.log(1e4) / 8)), rtol=1e-5)


def test_nezha_attention_matches_numpy():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 5, 8)).astype("float32")
    layer = MultiHeadAttention(heads=2, head_size=4, position="nezha", max_relative_position=3)
    mask = np.ones((2, 1, 1, 5), bool)
    mask[1, ..., 3:] = False
    got = keras.ops.convert_to_numpy(layer(x, attention_mask=mask))
    (wq, bq), (wk, bk), (wv, bv), (wo, bo) = (_numpy(d) for d in (layer.query, layer.key, layer.value, layer.output_dense))
    q, k, v = ((x @ w + b).reshape(2, 5, 2, 4) for w, b in ((wq, bq), (wk, bk), (wv, bv)))
    r = nezha_relative_table(5, 4, 3)
    scores = (np.einsum("bthd,bshd->bhts", q, k) + np.einsum("bthd,tsd->bhts", q, r)) / 2.0
    scores = np.where(mask, scores, -1e9)
    p = _softmax(scores)
    out = np.einsum("bhts,bshd->bthd", p, v) + np.einsum("bhts,tsd->bthd", p, r)
    expected = out.reshape(2, 5, 8) @ wo + bo
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_rotary_scores_depend_only_on_relative_position():
    rng = np.random.default_rng(1)
    q = rng.normal(size=(1, 1, 1, 8)).astype("float32")
    k = rng.normal(size=(1, 1, 1, 8)).astype("float32")

    def score(i, j):
        sin, cos = rotary_sin_cos(20, 8)
        qi = keras.ops.convert_to_numpy(apply_rotary(np.repeat(q, 20, 1), sin, cos))[0, i, 0]
        kj = keras.ops.convert_to_numpy(apply_rotary(np.repeat(k, 20, 1), sin, cos))[0, j, 0]
        return float(qi @ kj)

    assert score(3, 1) == pytest.approx(score(12, 10), abs=1e-4)
    assert score(0, 0) == pytest.approx(float(q.ravel() @ k.ravel()), abs=1e-5)


@pytest.mark.parametrize("position", ["none", "rotary"])
def test_cached_attention_equals_full_attention(position):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 6, 8)).astype("float32")
    layer = MultiHeadAttention(heads=2, head_size=4, position=position)
    causal = np.tril(np.ones((6, 6), bool))[None, None]
    full = keras.ops.convert_to_numpy(layer(x, attention_mask=causal))
    cache = (np.zeros((2, 6, 2, 4), "float32"), np.zeros((2, 6, 2, 4), "float32"))
    steps = []
    for t in range(6):
        mask = (np.arange(6) <= t)[None, None, None, :]
        out, cache = layer(x[:, t : t + 1], attention_mask=mask, cache=cache, cache_index=t)
        steps.append(keras.ops.convert_to_numpy(out))
    np.testing.assert_allclose(np.concatenate(steps, axis=1), full, atol=1e-5)
