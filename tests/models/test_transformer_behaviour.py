"""Masks (LM, UniLM), Conditional LayerNorm, saving, vocabulary changes and truncation."""

import keras
import numpy as np
import pytest
from helpers import random_ids

from kexue.models import build_transformer_model

CONFIG = dict(
    vocab_size=60,
    hidden_size=16,
    num_hidden_layers=2,
    num_attention_heads=2,
    intermediate_size=24,
    max_position_embeddings=32,
)


def _perturb(ids, positions, rng):
    out = ids.copy()
    out[:, positions] = rng.integers(5, CONFIG["vocab_size"], size=out[:, positions].shape)
    return out


def test_unilm_source_outputs_ignore_target_tokens():
    rng = np.random.default_rng(0)
    model = build_transformer_model(CONFIG, application="unilm", with_mlm=True)
    ids = random_ids(rng, 3, [10, 10, 10], 60)
    segments = np.zeros_like(ids)
    segments[:, 6:] = 1  # source 0..5, target 6..9
    before = model.predict([ids, segments], verbose=0)
    changed = _perturb(ids, slice(6, 10), rng)
    after = model.predict([changed, segments], verbose=0)
    np.testing.assert_allclose(after[:, :6], before[:, :6], atol=1e-6)
    assert np.abs(after[:, 6:] - before[:, 6:]).max() > 1e-4  # targets do see targets


@pytest.mark.parametrize("position", [1, 4, 8])
def test_lm_outputs_ignore_later_tokens(position):
    rng = np.random.default_rng(position)
    model = build_transformer_model(CONFIG, application="lm", with_mlm=True)
    ids = random_ids(rng, 2, [10, 10], 60)
    before = model.predict([ids, np.zeros_like(ids)], verbose=0)
    after = model.predict([_perturb(ids, slice(position + 1, 10), rng), np.zeros_like(ids)], verbose=0)
    np.testing.assert_allclose(after[:, : position + 1], before[:, : position + 1], atol=1e-6)


def test_padding_does_not_change_encoder_outputs():
    rng = np.random.default_rng(5)
    model = build_transformer_model(CONFIG)
    ids = random_ids(rng, 1, [7], 60)
    padded = np.concatenate([ids, np.zeros((1, 5), "int32")], axis=1)
    short = model.predict([ids, np.zeros_like(ids)], verbose=0)
    long = model.predict([padded, np.zeros_like(padded)], verbose=0)
    np.testing.assert_allclose(long[:, :7], short, atol=1e-5)


def test_conditional_layer_norm_starts_as_plain_model_and_learns():
    rng = np.random.default_rng(1)
    plain = build_transformer_model(CONFIG, with_mlm=True)
    cond = keras.Input((5,), name="condition")
    conditional = build_transformer_model(
        CONFIG, with_mlm=True, layer_norm_cond=cond, layer_norm_cond_hidden_size=8,
        layer_norm_cond_hidden_act="swish",
    )
    assert len(conditional.inputs) == 3
    by_path = {v.path: v for v in conditional.weights}
    for variable in plain.weights:
        by_path[variable.path].assign(keras.ops.convert_to_numpy(variable))
    ids = random_ids(rng, 2, [6, 4], 60)
    c = rng.normal(size=(2, 5)).astype("float32")
    expected = plain.predict([ids, np.zeros_like(ids)], verbose=0)
    got = conditional.predict([ids, np.zeros_like(ids), c], verbose=0)
    np.testing.assert_array_equal(got, expected)

    # Gradients reach the zero-initialised condition projections.
    from kexue.backend import variable_grads

    condition_vars = [v for v in conditional.trainable_weights if "condition_gamma" in v.path]
    assert condition_vars

    def loss_fn():
        out = conditional([ids, np.zeros_like(ids), c])
        return keras.ops.sum(keras.ops.log(out[..., 7]))

    grads = variable_grads(loss_fn, condition_vars)
    assert max(float(np.abs(keras.ops.convert_to_numpy(g)).max()) for g in grads) > 0


@pytest.mark.parametrize("fmt", ["keras", "weights.h5"])
def test_save_round_trip_is_exact(tmp_path, fmt):
    rng = np.random.default_rng(2)
    model = build_transformer_model(
        dict(CONFIG, embedding_size=8), model="albert", application="unilm", with_mlm=True,
        with_pool=True, layer_norm_cond=3,
    )
    inputs = [random_ids(rng, 2, [6, 3], 60), np.zeros((2, 6), "int32"), rng.normal(size=(2, 3)).astype("float32")]
    expected = model.predict(inputs, verbose=0)
    path = tmp_path / f"model.{fmt}"
    if fmt == "keras":
        model.save(path)
        restored = keras.saving.load_model(path)
    else:
        model.save_weights(path)
        restored = build_transformer_model(
            dict(CONFIG, embedding_size=8), model="albert", application="unilm", with_mlm=True,
            with_pool=True, layer_norm_cond=3,
        )
        restored.load_weights(path)
    for a, b in zip(expected, restored.predict(inputs, verbose=0)):
        np.testing.assert_array_equal(a, b)


def test_keep_and_compound_tokens_and_truncation(shared_dir):
    from safetensors.numpy import load_file

    fixture = shared_dir / "fixtures" / "tf_bert_tiny"
    tensors = load_file(fixture / "hf" / "model.safetensors")
    keep = [0, 5, 7, 9, 30]
    model = build_transformer_model(
        fixture / "bert_config.json", fixture / "hf", with_mlm=True, keep_tokens=keep,
        compound_tokens=[[1, 2]], num_hidden_layers=1,
    )
    table = keras.ops.convert_to_numpy(model.get_layer("token_embedding").embeddings)
    words = tensors["bert.embeddings.word_embeddings.weight"]
    np.testing.assert_array_equal(table[:5], words[keep])
    np.testing.assert_allclose(table[5], words[[5, 7]].mean(0), rtol=1e-6)
    bias = keras.ops.convert_to_numpy(model.get_layer("mlm_bias").bias)
    np.testing.assert_array_equal(bias[:5], tensors["cls.predictions.bias"][keep])
    assert model.output.shape[-1] == 6
    assert not any(layer.name == "layer_1" for layer in model.layers)


def test_unknown_arguments_are_rejected():
    with pytest.raises(TypeError, match="with_poool"):
        build_transformer_model(CONFIG, with_poool=True)
    with pytest.raises(ValueError, match="Unknown model"):
        build_transformer_model(CONFIG, model="bart")
