"""MaximumEntropyMarkovModel: losses against a NumPy transcription of the model, round trip, fit."""

import doctest

import keras
import numpy as np
import pytest
from test_crf import tagger, tagging_data

import kexue.layers.memm as memm_module
from kexue.backend import jit as compiled
from kexue.layers.memm import MaximumEntropyMarkovModel


def log_softmax(z):
    z = z - z.max()
    return z - np.log(np.exp(z).sum())


def numpy_memm(nodes, trans, labels, mask):
    """(mean NLL, teacher-forced accuracy) over real tokens, both directions averaged.

    Left to right: p(y₁) = softmax(h₁), p(yₜ | yₜ₋₁) = softmax((hₜ + trans[yₜ₋₁]) / 2); right to
    left the same on the reversed sequence with trans transposed."""
    losses, hits, count = 0.0, 0.0, 0
    for b in range(nodes.shape[0]):
        valid = np.flatnonzero(mask[b])
        h, y = nodes[b, valid], labels[b, valid]
        for h_dir, y_dir, t_dir in ((h, y, trans), (h[::-1], y[::-1], trans.T)):
            for t in range(len(y_dir)):
                logits = h_dir[t] if t == 0 else (h_dir[t] + t_dir[y_dir[t - 1]]) / 2
                losses -= log_softmax(logits)[y_dir[t]]
                hits += logits.argmax() == y_dir[t]
        count += len(valid)
    return losses / (2 * count), hits / (2 * count)


def build_memm(num_labels, **kwargs):
    memm = MaximumEntropyMarkovModel(**kwargs)
    memm.build((None, None, num_labels))
    return memm


@pytest.mark.parametrize("kwargs", [{}, {"lr_multiplier": 3.0}, {"hidden_dim": 2}])
def test_loss_and_accuracy_match_numpy(kwargs):
    rng = np.random.default_rng(0)
    nodes = rng.normal(size=(4, 6, 4)).astype("float32")
    labels = rng.integers(0, 4, (4, 6))
    mask = np.arange(6)[None] < np.array([[6], [4], [2], [1]])
    mask[0, 2] = False  # an interior hole: its neighbours become adjacent
    memm = build_memm(4, **kwargs)
    if "hidden_dim" not in kwargs:
        memm.set_trans(rng.normal(size=(4, 4)).astype("float32"))
    trans = keras.ops.convert_to_numpy(memm.trans)
    expected_loss, expected_accuracy = numpy_memm(nodes, trans, labels, mask)

    def losses(y, h, m):
        y_pred = memm(h, mask=m)
        dense = memm.dense_loss(keras.ops.one_hot(y, 4), y_pred)
        return (
            memm.sparse_loss(y, y_pred),
            memm.teacher_forced_accuracy(y, y_pred),
            dense,
        )

    loss, accuracy, dense = (
        keras.ops.convert_to_numpy(v) for v in compiled(losses)(labels, nodes, mask)
    )
    assert float(loss) == pytest.approx(expected_loss, rel=1e-5)
    assert float(dense) == pytest.approx(expected_loss, rel=1e-5)
    assert float(accuracy) == pytest.approx(expected_accuracy)


def test_low_rank_trans_is_the_product_of_its_factors():
    memm = build_memm(5, hidden_dim=3, lr_multiplier=2.0)
    left, right = (keras.ops.convert_to_numpy(v) for v in memm.weights)
    assert [v.path.split("/")[-1] for v in memm.weights] == ["l_trans", "r_trans"]
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(memm.trans), 4 * left @ right.T, rtol=1e-5
    )
    with pytest.raises(ValueError, match="hidden_dim"):
        memm.set_trans(np.zeros((5, 5)))
    with pytest.raises(ValueError, match="hidden_dim"):
        MaximumEntropyMarkovModel(hidden_dim=0)


def test_accuracy_forms_agree_with_numpy():
    rng = np.random.default_rng(1)
    nodes = rng.normal(size=(3, 5, 3)).astype("float32")
    labels = rng.integers(0, 3, (3, 5))
    mask = np.arange(5)[None] < np.array([[5], [3], [2]])
    memm = build_memm(3)
    expected = (nodes.argmax(-1) == labels)[mask].mean()

    def accuracies(y, h, m):
        y_pred = memm(h, mask=m)
        return memm.sparse_accuracy(y, y_pred), memm.dense_accuracy(
            keras.ops.one_hot(y, 3), y_pred
        )

    for accuracy in compiled(accuracies)(labels, nodes, mask):
        assert float(keras.ops.convert_to_numpy(accuracy)) == pytest.approx(expected)


def test_keras_save_round_trip_and_fit(tmp_path):
    rng = np.random.default_rng(0)
    tokens, labels = tagging_data(rng, n=128)
    keras.utils.set_random_seed(0)
    memm = MaximumEntropyMarkovModel(lr_multiplier=10, name="memm")
    model = tagger(memm)
    model.compile(
        keras.optimizers.Adam(0.02),
        loss=memm.sparse_loss,
        metrics=[memm.sparse_accuracy],
    )
    history = model.fit(tokens, labels, batch_size=32, epochs=6, verbose=0).history
    assert history["loss"][-1] < 0.3 * history["loss"][0]
    assert history["sparse_accuracy"][-1] > history["sparse_accuracy"][0]
    y_pred = model.predict(tokens, verbose=0)
    real = tokens > 0
    tags = keras.ops.convert_to_numpy(compiled(memm.decode)(y_pred))
    assert (tags[real] == labels[real]).mean() > 0.97
    model.save(tmp_path / "memm.keras")
    restored = keras.saving.load_model(tmp_path / "memm.keras", compile=False)
    assert restored.get_layer("memm").get_config()["lr_multiplier"] == 10
    np.testing.assert_allclose(
        restored.predict(tokens[:4], verbose=0), y_pred[:4], rtol=1e-6
    )


def test_docstring_examples():
    assert doctest.testmod(memm_module).failed == 0
