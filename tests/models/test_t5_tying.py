"""Tied or untied LM heads and the d_model**-0.5 output scaling follow each T5 checkpoint's config:
folders written by ``transformers``' own ``save_pretrained`` (T5 v1.0, v1.1 and mT5, each with
``tie_word_embeddings`` true and false) give the logits of the model that wrote them."""

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from kexue.models import build_transformer_model  # noqa: E402
from kexue.models.families.t5 import output_tying  # noqa: E402

TINY = dict(vocab_size=48, d_model=16, d_kv=4, d_ff=24, num_layers=1, num_decoder_layers=2,
            num_heads=2, relative_attention_num_buckets=8, relative_attention_max_distance=12,
            dropout_rate=0.0, decoder_start_token_id=0)
# kexue name -> (transformers config class, model class, feed_forward_proj)
FAMILIES = {
    "t5.1.0": ("T5Config", "T5ForConditionalGeneration", "relu"),
    "t5.1.1": ("T5Config", "T5ForConditionalGeneration", "gated-gelu"),
    "mt5.1.1": ("MT5Config", "MT5ForConditionalGeneration", "gated-gelu"),
}


def saved_by_transformers(name: str, tie: bool, folder):
    config_cls, model_cls, projection = FAMILIES[name]
    config = getattr(transformers, config_cls)(**TINY, feed_forward_proj=projection, tie_word_embeddings=tie)
    torch.manual_seed(0)
    model = getattr(transformers, model_cls)(config).eval()
    with torch.no_grad():
        for p in model.parameters():  # larger than the default init, so a wrong scale shows
            p.normal_(0.0, 0.5)
    model.save_pretrained(folder)
    return model


def ids():
    rng = np.random.default_rng(3)
    source = rng.integers(1, TINY["vocab_size"], (2, 7))
    target = np.concatenate([np.zeros((2, 1), "int64"), rng.integers(1, TINY["vocab_size"], (2, 5))], 1)
    return source, target


def hf_logits(model, source, target, hidden=False):
    with torch.no_grad():
        out = model(input_ids=torch.tensor(source), decoder_input_ids=torch.tensor(target),
                    output_hidden_states=hidden)
    return out.decoder_hidden_states[-1].numpy() if hidden else out.logits.numpy()


def kexue_logits(folder, name, source, target):
    model = build_transformer_model(checkpoint_path=folder, model=name, with_lm="linear")
    assert not model.load_report.unused
    return model.predict([source, target], verbose=0)


@pytest.mark.parametrize("tie", [True, False])
@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_save_pretrained_folders_give_the_writers_logits(name, tie, tmp_path):
    reference = saved_by_transformers(name, tie, tmp_path)
    source, target = ids()
    np.testing.assert_allclose(
        kexue_logits(tmp_path, name, source, target), hf_logits(reference, source, target), atol=1e-4, rtol=0
    )


def test_mt5_tied_by_transformers_4_is_scaled(tmp_path):
    """transformers 4 scaled a tied mT5's decoder output by d_model**-0.5 (5 never does): the same
    folder, marked as written by 4.x, gives the scaled logits."""
    reference = saved_by_transformers("mt5.1.1", True, tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    (tmp_path / "config.json").write_text(json.dumps({**config, "transformers_version": "4.46.3"}))
    source, target = ids()
    hidden = hf_logits(reference, source, target, hidden=True)
    embedding = reference.shared.weight.detach().numpy()
    expected = (hidden * TINY["d_model"] ** -0.5) @ embedding.T
    np.testing.assert_allclose(kexue_logits(tmp_path, "mt5.1.1", source, target), expected, atol=1e-4, rtol=0)


@pytest.mark.parametrize("config, version, expected", [
    ({}, "1.0", (True, True)),
    ({}, "1.1", (False, False)),
    ({"tie_word_embeddings": False}, "1.1", (False, False)),  # published v1.1 / mT5 (transformers 4)
    ({"tie_word_embeddings": True}, "1.1", (True, True)),
    ({"tie_word_embeddings": True, "scale_decoder_outputs": False, "model_type": "t5"}, "1.0", (True, False)),
    ({"tie_word_embeddings": True, "model_type": "mt5", "transformers_version": "5.0.0"}, "1.1",
     (True, False)),
    ({"tie_word_embeddings": True, "model_type": "mt5", "transformers_version": "4.40.0"}, "1.1",
     (True, True)),
    ({"tie_word_embeddings": False, "model_type": "mt5", "transformers_version": "5.0.0"}, "1.1",
     (False, False)),  # an untied head written out by hand (tests/models/test_t5.py does)
])
def test_output_tying_reads_the_config(config, version, expected):
    assert output_tying(config, version) == expected
