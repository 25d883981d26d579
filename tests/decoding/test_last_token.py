"""``AutoRegressiveDecoder.last_token(model).predict``: on a kexue model the growing inputs are
padded to bucket lengths, so a whole decode runs a few compiled shapes, and the outputs equal
the exact-shape ones (UniLM, GPT-2, T5's two-input decoder)."""

import numpy as np
import pytest

from kexue.decoding.autoregressive import LastTokenPredictor
from kexue.models import build_transformer_model

BERT = dict(vocab_size=30, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
            intermediate_size=24, max_position_embeddings=64)
GPT2 = dict(vocab_size=30, n_embd=16, n_layer=2, n_head=2, n_positions=64)
T5 = dict(vocab_size=30, d_model=16, d_kv=4, d_ff=24, num_layers=2, num_heads=2, feed_forward_proj="gated-gelu")


def recording(predictor, inputs):
    """Run once (to build the compiled function), then record the shapes it is called with."""
    predictor.predict(inputs)
    inner, shapes = predictor._run, set()

    def run(*args):
        shapes.add(tuple(np.shape(x) for x in args))
        return inner(*args)

    predictor._run = run
    return shapes


def test_unilm_steps_share_compiled_shapes_and_match_exact():
    model = build_transformer_model(BERT, application="unilm")
    bucketed, exact = LastTokenPredictor(model, bucket=True), LastTokenPredictor(model, bucket=False)
    rng = np.random.default_rng(0)
    source = [1] + list(rng.integers(4, 30, 6)) + [2]
    shapes = recording(bucketed, [np.array([source]), np.zeros((1, len(source)), "int32")])
    for step in range(20):  # lengths 8..27
        ids = np.array([source + list(rng.integers(4, 30, step))])
        segments = np.concatenate([np.zeros((1, len(source))), np.ones((1, step))], 1).astype("int32")
        got = bucketed.predict([ids, segments])
        if step in (0, 7, 19):
            np.testing.assert_allclose(got, exact.predict([ids, segments]), atol=1e-5)
    assert {shape[0][1] for shape in shapes} <= {8, 12, 16, 24, 32}  # 5 shapes, not 20


def test_gpt2_and_t5_decoder():
    gpt2 = build_transformer_model(GPT2, model="gpt2")
    ids = np.array([[5, 0, 7, 0, 9]])  # id 0 is a real GPT-2 token
    np.testing.assert_allclose(
        LastTokenPredictor(gpt2, bucket=True).predict([ids]), gpt2.predict(ids, verbose=0)[:, -1], atol=1e-6
    )
    t5 = build_transformer_model(T5, model="t5.1.1", return_keras_model=False)
    encoded = t5.encoder.predict(np.array([[5, 6, 7, 1]]), verbose=0)
    target = np.array([[0, 9, 4]])
    expected = t5.decoder.predict([encoded, target], verbose=0)[:, -1]
    got = LastTokenPredictor(t5.decoder, bucket=True).predict([encoded, target])  # both padded
    np.testing.assert_allclose(got, expected, atol=1e-6)
    source = np.array([[5, 6, 7, 1]])  # longer than the target: the target's end is read
    got = LastTokenPredictor(t5.model, bucket=True).predict([source, target])
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_models_that_padding_would_change_run_exactly():
    roberta = dict(BERT, model_type="roberta", pad_token_id=1)  # pads with 1, not 0
    model = build_transformer_model(roberta, model="roberta")
    assert not LastTokenPredictor(model, bucket=True).padded
    assert LastTokenPredictor(build_transformer_model(BERT), bucket=True).padded
    keras = pytest.importorskip("keras")
    plain = keras.Sequential([keras.Input((None,), dtype="int32"), keras.layers.Embedding(30, 4)])
    assert not LastTokenPredictor(plain, bucket=True).padded
