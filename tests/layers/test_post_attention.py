"""Post 4765: kexue's attention equals keras.layers.MultiHeadAttention for the same weights; the
sinusoidal layer is the textbook table; without positions the post's model ignores token
order exactly (so the A-before-B task is at chance), with sinusoids it does not."""

import keras
import numpy as np
import pytest

from kexue.attention_classifier import attention_classifier
from kexue.data.order_task import order_task
from kexue.layers.attention import MultiHeadAttention
from kexue.layers.sinusoidal import SinusoidalPositionEmbedding

rng = np.random.default_rng(0)


@pytest.mark.parametrize("cross", [False, True])
def test_attention_equals_keras_multi_head_attention(cross):
    heads, size, width = 4, 8, 16
    x = rng.normal(size=(2, 5, width)).astype("float32")
    memory = rng.normal(size=(2, 7, width)).astype("float32") if cross else x
    ours = MultiHeadAttention(heads, size, kernel_initializer="glorot_normal")
    theirs = keras.layers.MultiHeadAttention(num_heads=heads, key_dim=size)
    keep = np.ones((2, memory.shape[1]), bool)
    keep[1, -2:] = False  # padding in the second row's keys
    ours(x, memory, memory)
    theirs(x, memory, memory)
    for mine, keras_dense in ((ours.query, theirs.query_dense), (ours.key, theirs.key_dense),
                              (ours.value, theirs.value_dense)):
        w, b = (keras.ops.convert_to_numpy(v) for v in (mine.kernel, mine.bias))
        keras_dense.set_weights([w.reshape(width, heads, size), b.reshape(heads, size)])
    w, b = (keras.ops.convert_to_numpy(v) for v in (ours.output_dense.kernel, ours.output_dense.bias))
    theirs.output_dense.set_weights([w.reshape(heads, size, width), b])
    got = ours(x, memory, memory, attention_mask=keep[:, None, None, :])
    want = theirs(x, memory, memory, attention_mask=np.broadcast_to(keep[:, None, :], (2, 5, memory.shape[1])))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(got), keras.ops.convert_to_numpy(want),
                               rtol=1e-5, atol=2e-6)


def test_sinusoidal_layer_is_the_textbook_table():
    x = rng.normal(size=(1, 9, 6)).astype("float32")
    added = keras.ops.convert_to_numpy(SinusoidalPositionEmbedding()(x))
    p, i = np.arange(9)[:, None], np.arange(3)[None]
    angle = p / 10000 ** (2 * i / 6)
    table = np.stack([np.sin(angle), np.cos(angle)], -1).reshape(9, 6)
    np.testing.assert_allclose(added - x, table[None], atol=2e-6)
    appended = keras.ops.convert_to_numpy(SinusoidalPositionEmbedding(4, merge="concat")(x))
    np.testing.assert_allclose(appended[..., 6:], np.stack([np.sin(p / 10000 ** (2 * np.arange(2) / 4)),
                                                            np.cos(p / 10000 ** (2 * np.arange(2) / 4))],
                                                           -1).reshape(9, 4)[None], atol=2e-6)
    with pytest.raises(ValueError, match="output_dim"):
        SinusoidalPositionEmbedding(merge="concat")


def test_order_task_is_balanced_and_exact():
    ids, labels = order_task(2000, length=12, vocab=30, seed=1)
    first_a = np.argmax(ids == 1, axis=1) < np.argmax(ids == 2, axis=1)
    np.testing.assert_array_equal(labels, first_a.astype("int32"))
    assert abs(labels.mean() - 0.5) < 0.05 and ((ids == 2).sum(1) == 1).all() and ids.min() >= 1


def test_without_positions_the_model_ignores_order():
    ids, _ = order_task(8, length=10, vocab=30, seed=2)
    ids[:, -2:] = 0  # padding stays at the end
    shuffled = ids.copy()
    for row in shuffled:
        row[:8] = row[rng.permutation(8)]
    plain = attention_classifier(30, position="none", embedding_dim=16, heads=2, head_size=8)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(plain(shuffled)),
                               keras.ops.convert_to_numpy(plain(ids)), rtol=1e-5, atol=1e-6)
    sinus = attention_classifier(30, position="sinusoidal", embedding_dim=16, heads=2, head_size=8)
    assert not np.allclose(keras.ops.convert_to_numpy(sinus(shuffled)),
                           keras.ops.convert_to_numpy(sinus(ids)), atol=1e-4)
