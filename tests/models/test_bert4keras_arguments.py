"""bert4keras' build_transformer_model arguments, one by one: the same meaning here, or an error
that says what to pass; and the model objects of ``return_keras_model=False``."""

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
GPT2 = dict(vocab_size=30, n_embd=16, n_layer=2, n_head=2, n_positions=32)
T5 = dict(vocab_size=40, d_model=16, d_kv=4, d_ff=24, num_layers=2, num_heads=2, feed_forward_proj="gated-gelu")


@pytest.mark.parametrize("application", ["lm", "unilm", "LM"])
def test_lm_and_unilm_turn_the_mlm_head_on(application):
    """bert4keras forces with_mlm for language models: the output is a distribution over the
    vocabulary, not the hidden states."""
    model = build_transformer_model(CONFIG, application=application)
    assert model.output.shape[-1] == CONFIG["vocab_size"]
    ids = random_ids(np.random.default_rng(0), 2, [5, 3], 60)
    probs = model.predict([ids, np.zeros_like(ids)], verbose=0)
    np.testing.assert_allclose(probs.sum(-1), 1.0, atol=1e-5)
    logits = build_transformer_model(CONFIG, application=application, with_mlm="linear")
    assert "mlm_activation" not in [layer.name for layer in logits.layers]


def test_gpt2_ends_with_its_lm_head_as_in_bert4keras():
    probs = build_transformer_model(GPT2, model="gpt2")
    assert probs.output.shape[-1] == 30 and "mlm_activation" in [layer.name for layer in probs.layers]
    logits = build_transformer_model(GPT2, model="gpt2", final_activation="linear")
    assert logits.output.shape[-1] == 30 and "mlm_activation" not in [layer.name for layer in logits.layers]
    hidden = build_transformer_model(GPT2, model="gpt2", with_mlm=False)  # kexue's extension
    assert hidden.output.shape[-1] == 16
    with pytest.raises(TypeError, match="no pool head"):
        build_transformer_model(GPT2, model="gpt2", with_pool=True)
    with pytest.raises(ValueError, match="padding_input=True"):
        build_transformer_model(GPT2, model="gpt2", pad_token_id=0)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(residual_attention_scores=True), "RealFormer"),
        (dict(autoresize_weights=True), "never resized"),
        (dict(layers={"Embedding-Token": None}), "get_layer"),
        (dict(hierarchical_position=True), "max_position"),
        (dict(shared_segment_embeddings=True), "own table"),
        (dict(attention_caches={"a": 1}), "CachedDecoder"),
        (dict(attention_head_size=8, attention_key_size=4), "attention_head_size only"),
        (dict(with_discriminator=True), "ELECTRA's argument"),
        (dict(final_activation="softmax"), "with_mlm"),
        (dict(application="seq2seq"), "application must be one of"),
    ],
)
def test_bert4keras_options_without_a_kexue_meaning_fail_with_the_fix(kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        build_transformer_model(CONFIG, **kwargs)


def test_refused_options_at_their_neutral_value_are_accepted():
    model = build_transformer_model(
        CONFIG, residual_attention_scores=False, autoresize_weights=False, layers=None,
        hierarchical_position=None, shared_segment_embeddings=False, attention_caches=None,
        attention_key_size=8, attention_head_size=8,
    )
    assert model.get_layer("layer_0").config.head_size == 8


def test_family_and_application_combinations_bert4keras_refuses():
    with pytest.raises(ValueError, match="cannot be used with application='unilm'"):
        build_transformer_model(CONFIG, model="electra", application="unilm")
    with pytest.raises(ValueError, match="cannot be used with application='lm'"):
        build_transformer_model(T5, model="t5.1.1", application="lm")
    with pytest.raises(ValueError, match="contradicts"):
        build_transformer_model(T5, model="t5.1.1", version="t5.1.0")
    with pytest.raises(ValueError, match="no relative position bias"):
        build_transformer_model(T5, model="t5.1.1", cross_position_bias=True)
    build_transformer_model(T5, model="mt5.1.1", cross_position_bias=False, version="mt5.1.1")
    with pytest.raises(ValueError, match="return_keras_model=False and use its .encoder"):
        build_transformer_model(T5, model="t5.1.1_encoder")
    with pytest.raises(ValueError, match="model='gpt2' builds GPT-2"):
        build_transformer_model(GPT2, model="gpt2_ml")
    with pytest.raises(TypeError, match="family name"):
        build_transformer_model(CONFIG, model=dict)


def test_keywords_replace_config_entries_as_in_bert4keras():
    model = build_transformer_model(CONFIG, max_position_embeddings=16, hidden_size=32, num_attention_heads=4)
    assert model.get_layer("position_embedding").embeddings.shape == (16, 32)
    assert (model.get_layer("layer_0").config.num_heads, model.get_layer("layer_0").config.head_size) == (4, 8)
    assert build_transformer_model(CONFIG, hidden_size=32).get_layer("layer_0").config.head_size == 16
    model = build_transformer_model(CONFIG, max_position=20, segment_vocab_size=0)
    assert len(model.inputs) == 1 and model.get_layer("position_embedding").input_dim == 20


def test_custom_position_ids_and_sequence_length():
    rng = np.random.default_rng(1)
    plain = build_transformer_model(CONFIG)
    custom = build_transformer_model(CONFIG, custom_position_ids=True, sequence_length=7)
    assert [tuple(i.shape) for i in custom.inputs] == [(None, 7)] * 3
    custom.set_weights(plain.get_weights())
    ids = random_ids(rng, 2, [7, 4], 60)
    positions = np.tile(np.arange(7), (2, 1))
    expected = plain.predict([ids, np.zeros_like(ids)], verbose=0)
    got = custom.predict([ids, np.zeros_like(ids), positions], verbose=0)
    np.testing.assert_allclose(got, expected, atol=1e-5)
    shifted = custom.predict([ids, np.zeros_like(ids), positions + 3], verbose=0)
    assert np.abs(shifted - expected).max() > 1e-3


def test_return_keras_model_false_gives_model_and_initializer_for_every_family():
    for config, family in ((CONFIG, "bert"), (dict(CONFIG, embedding_size=8), "albert"), (GPT2, "gpt2")):
        built = build_transformer_model(config, model=family, return_keras_model=False)
        assert isinstance(built.model, keras.Model)
        assert built.inputs == built.model.inputs and built.output is built.model.output
        assert isinstance(built.initializer, keras.initializers.TruncatedNormal)
        assert "layer_0" in built.layers
    t5 = build_transformer_model(T5, model="t5.1.1", return_keras_model=False, name="T5")
    assert (t5.encoder.name, t5.decoder.name, t5.model.name) == ("T5_encoder", "T5_decoder", "T5")
    assert t5.initializer.stddev == 0.02


def test_ignore_invalid_weights_means_not_strict(tmp_path):
    from safetensors.numpy import save_file

    model = build_transformer_model(CONFIG, with_pool=True)
    tensors = {"embeddings.word_embeddings.weight": np.zeros((60, 16), "float32"), "stray": np.zeros(3, "float32")}
    save_file(tensors, tmp_path / "partial.safetensors")
    built = build_transformer_model(CONFIG, return_keras_model=False)
    report = built.load_weights_from_checkpoint(tmp_path / "partial.safetensors", strict=False)
    assert report.loaded == 1 and report.unused
    model = build_transformer_model(CONFIG, tmp_path / "partial.safetensors", ignore_invalid_weights=True)
    assert model.load_report.loaded == 1
    table = keras.ops.convert_to_numpy(model.get_layer("token_embedding").embeddings)
    assert not table.any()


def test_weighted_compound_tokens(tmp_path):
    """bert4keras' compound tokens: a list of ids (their mean) or an (ids, weights) pair."""
    transformers = pytest.importorskip("transformers")
    hf = transformers.BertModel(transformers.BertConfig(**CONFIG))
    hf.save_pretrained(tmp_path)
    words = hf.embeddings.word_embeddings.weight.detach().numpy()
    model = build_transformer_model(None, tmp_path, compound_tokens=[([3, 8], [1.0, 3.0]), [4, 6]])
    table = keras.ops.convert_to_numpy(model.get_layer("token_embedding").embeddings)
    assert table.shape[0] == 62
    np.testing.assert_allclose(table[-2], (words[3] + 3 * words[8]) / 4, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(table[-1], (words[4] + words[6]) / 2, rtol=1e-5, atol=1e-7)
