"""The padding mask travels with the Transformer's outputs as their Keras mask: blocks, heads,
T5's encoder and decoder; the layers and losses after them receive it without being told, and
an explicit ``mask=`` still wins."""

import keras
import numpy as np
import pytest
from helpers import random_ids

from kexue.layers import ConditionalRandomField, Loss
from kexue.models import build_transformer_model

CONFIG = dict(
    vocab_size=60,
    hidden_size=16,
    num_hidden_layers=2,
    num_attention_heads=2,
    intermediate_size=24,
    max_position_embeddings=32,
)
T5 = dict(vocab_size=40, d_model=16, d_kv=4, d_ff=24, num_layers=2, num_heads=2, feed_forward_proj="gated-gelu")


class MaskProbe(Loss):
    """Returns the masks it was given (as 0/1 floats), so a model can output them."""

    def compute_loss(self, inputs, mask=None):
        self.seen = mask
        return keras.ops.zeros(())

    def call(self, inputs, mask=None):
        super().call(inputs, mask)
        return [keras.ops.cast(m, "float32") if m is not None else keras.ops.zeros((1, 1)) for m in mask]

    def compute_output_spec(self, inputs, mask=None):
        return [keras.KerasTensor(x.shape[:2], "float32") for x in inputs]


def masks_of(model, inputs, tensors):
    probe = keras.Model(model.inputs, MaskProbe()(tensors))
    out = probe.predict(inputs, verbose=0)
    return [np.asarray(m) for m in (out if isinstance(out, list) else [out])]


def test_block_head_and_mlm_outputs_carry_the_padding_mask():
    model = build_transformer_model(CONFIG, application="unilm", with_mlm=True, with_pool=True)
    ids = np.array([[2, 5, 0, 7, 3, 0, 0]])  # an interior [PAD] is padding too (bert4keras)
    seg = np.array([[0, 0, 0, 1, 1, 0, 0]])
    block, mlm = model.get_layer("layer_1").output, model.outputs[1]
    got = masks_of(model, [ids, seg], [block, mlm])
    for m in got:
        np.testing.assert_array_equal(m, (ids != 0).astype("float32"))


def test_gpt2_never_masks_id_zero_and_takes_an_explicit_padding_input():
    config = dict(vocab_size=30, n_embd=16, n_layer=2, n_head=2, n_positions=32)
    ids = np.array([[5, 0, 7, 0, 0]])
    model = build_transformer_model(config, model="gpt2", with_mlm="linear")
    (mask,) = masks_of(model, [ids], [model.output])
    np.testing.assert_array_equal(mask, np.ones((1, 5)))
    explicit = build_transformer_model(config, model="gpt2", with_mlm="linear", padding_input=True)
    padding = np.array([[1, 1, 1, 0, 0]])
    (mask,) = masks_of(explicit, [ids, padding], [explicit.output])
    np.testing.assert_array_equal(mask, padding)


def test_crf_gets_the_mask_and_an_explicit_mask_wins():
    rng = np.random.default_rng(0)
    bert = build_transformer_model(CONFIG)
    crf = ConditionalRandomField()
    model = keras.Model(bert.inputs, crf(keras.layers.Dense(3)(bert.get_layer("layer_1").output)))
    ids = random_ids(rng, 3, [7, 4, 2], 60)
    labels = rng.integers(0, 3, ids.shape)
    scores = model.predict([ids, np.zeros_like(ids)], verbose=0)
    assert (scores[ids == 0] < -1e6).all() and (scores[ids != 0] > -1e6).all()
    loss = keras.ops.convert_to_numpy(crf.sparse_loss(labels, scores))
    explicit = keras.ops.convert_to_numpy(crf.sparse_loss(labels, scores, mask=ids != 0))
    np.testing.assert_allclose(loss, explicit, rtol=1e-6)
    shorter = np.where(np.arange(7) < 1, True, False)[None].repeat(3, 0)
    other = keras.ops.convert_to_numpy(crf.sparse_loss(labels, scores, mask=shorter))
    assert np.abs(other - loss).max() > 1e-3
    # explicit mask= in the call replaces the Keras mask
    unmasked = keras.Model(bert.inputs, crf(keras.layers.Dense(3)(bert.output), mask=keras.ops.ones_like(bert.inputs[0])))
    assert (unmasked.predict([ids, np.zeros_like(ids)], verbose=0) > -1e6).all()


def test_t5_masks_and_bert4keras_two_input_decoder():
    t5 = build_transformer_model(T5, model="t5.1.1", with_lm="linear", return_keras_model=False)
    source = np.array([[5, 6, 7, 1, 0, 0], [8, 1, 0, 0, 0, 0]])
    target = np.array([[0, 9, 4, 1, 0], [0, 3, 1, 0, 0]])
    encoder_mask, decoder_mask = masks_of(t5.model, [source, target], [t5.encoder.output, t5.model.output])
    np.testing.assert_array_equal(encoder_mask, source != 0)
    np.testing.assert_array_equal(decoder_mask, np.concatenate([[[1], [1]], target[:, 1:] != 0], 1))
    encoded = t5.encoder.predict(source, verbose=0)
    assert not encoded[source == 0].any() and (np.abs(encoded[source != 0]).sum(-1) > 0).all()
    combined = t5.model.predict([source, target], verbose=0)
    two_inputs = t5.decoder.predict([encoded, target], verbose=0)
    np.testing.assert_allclose(two_inputs, combined, atol=1e-5)
    # the padded source rows are masked: the second row decodes as if its source were short
    short = t5.model.predict([source[1:, :2], target[1:]], verbose=0)
    np.testing.assert_allclose(combined[1:], short, atol=1e-5)


def test_electra_discriminator_matches_transformers(tmp_path):
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    config = transformers.ElectraConfig(**CONFIG, embedding_size=8)
    torch.manual_seed(0)
    hf = transformers.ElectraForPreTraining(config).eval()
    hf.save_pretrained(tmp_path)
    ids = random_ids(np.random.default_rng(2), 2, [7, 4], 60, low=3)
    with torch.no_grad():
        logits = hf(torch.tensor(ids).long(), attention_mask=torch.tensor(ids != 0).long()).logits.numpy()
    model = build_transformer_model(None, tmp_path, model="electra", with_discriminator=True)
    assert model.load_report.ok
    got = model.predict([ids, np.zeros_like(ids)], verbose=0)[..., 0]
    expected = 1 / (1 + np.exp(-logits))
    np.testing.assert_allclose(got[ids != 0], expected[ids != 0], atol=1e-5)
