"""Padding invariance (property tests): on a kexue Transformer, the CRF loss and accuracy,
GlobalPointer logits and pooled outputs do not change when a batch is padded further, whatever
labels sit at the padded positions. No mask is passed by hand: it comes with the outputs."""

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from keras import ops

from kexue.backend import jit, jit_with_variables
from kexue.layers import (
    ConditionalRandomField,
    EfficientGlobalPointer,
    GlobalMaxPooling1D,
    GlobalPointer,
    MaskedMeanPooling,
)
from kexue.models import build_transformer_model

VOCAB = 40
CONFIG = dict(
    vocab_size=VOCAB,
    hidden_size=16,
    num_hidden_layers=2,
    num_attention_heads=2,
    intermediate_size=24,
    max_position_embeddings=48,
)


@pytest.fixture(scope="module")
def heads():
    keras.utils.set_random_seed(0)
    bert = build_transformer_model(CONFIG)
    rng = np.random.default_rng(0)
    bert.set_weights([rng.normal(0, 0.3, w.shape).astype("float32") for w in bert.get_weights()])
    hidden = bert.get_layer("layer_1").output
    crf = ConditionalRandomField()
    outputs = [
        crf(keras.layers.Dense(4)(hidden)),
        GlobalPointer(heads=2, head_size=8)(hidden),
        EfficientGlobalPointer(heads=2, head_size=8)(hidden),
        MaskedMeanPooling()(hidden),
        GlobalMaxPooling1D()(hidden),
        keras.layers.GlobalAveragePooling1D()(hidden),
    ]
    model = keras.Model(bert.inputs, outputs)
    def call(ids):
        ids = ops.convert_to_tensor(ids)
        return model([ids, ops.zeros_like(ids)], training=False)

    forward = jit_with_variables(call, model.weights)
    loss = jit(lambda y_true, y_pred: (crf.sparse_loss(y_true, y_pred), crf.sparse_accuracy(y_true, y_pred)))
    return forward, loss


def run(forward, ids):
    return [ops.convert_to_numpy(x) for x in forward(ids)]


ROWS, WIDTH = 3, 8  # a few fixed shapes: one compilation each on JAX


@settings(max_examples=10, deadline=None)
@given(
    lengths=st.lists(st.integers(1, WIDTH), min_size=ROWS, max_size=ROWS),
    extra=st.sampled_from([3, 8]),
    seed=st.integers(0, 2**16),
)
def test_outputs_do_not_depend_on_padding(heads, lengths, extra, seed):
    model, crf = heads
    rng = np.random.default_rng(seed)
    width = WIDTH
    ids = np.zeros((len(lengths), width), "int32")
    for row, n in enumerate(lengths):
        ids[row, :n] = rng.integers(1, VOCAB, n)
    longer = np.concatenate([ids, np.zeros((len(lengths), extra), "int32")], axis=1)
    short_out, long_out = run(model, ids), run(model, longer)

    real = ids != 0
    labels = rng.integers(0, 4, ids.shape)
    labels_long = np.concatenate([labels, rng.integers(0, 4, (len(lengths), extra))], axis=1)
    junk = np.where(real, labels, rng.integers(0, 4, ids.shape))  # other labels at padding
    crf_short, crf_long = short_out[0], long_out[0]
    np.testing.assert_allclose(crf_long[:, :width][real], crf_short[real], atol=1e-4)
    loss, accuracy = (ops.convert_to_numpy(x) for x in crf(labels, crf_short))
    for y_true, y_pred in ((labels_long, crf_long), (junk, crf_short)):
        other_loss, other_accuracy = (ops.convert_to_numpy(x) for x in crf(y_true, y_pred))
        np.testing.assert_allclose(other_loss, loss, rtol=1e-4, atol=1e-4)
        assert float(other_accuracy) == pytest.approx(float(accuracy), abs=1e-6)

    spans = real[:, None, :, None] & real[:, None, None, :] & np.triu(np.ones((width, width), bool))
    for k in (1, 2):  # GlobalPointer, EfficientGlobalPointer
        short, long = short_out[k], long_out[k]
        np.testing.assert_allclose(long[:, :, :width, :width][spans.repeat(2, 1)], short[spans.repeat(2, 1)], atol=1e-4)
        assert (long[:, :, width:, :] < -1e6).all() and (long[:, :, :, width:] < -1e6).all()
    for k in (3, 4, 5):  # masked mean, masked max, Keras' average
        np.testing.assert_allclose(long_out[k], short_out[k], atol=1e-5)
