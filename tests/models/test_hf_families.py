"""Tiny random Hugging Face models of each family, saved with ``save_pretrained`` and loaded by
kexue: hidden states must agree with ``transformers`` to 1e-5 on non-padded positions."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from helpers import random_ids  # noqa: E402

from kexue.models import build_transformer_model  # noqa: E402

SMALL = dict(
    vocab_size=99,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=4,
    intermediate_size=37,
    max_position_embeddings=40,
)
CASES = {
    "bert": ("BertConfig", "BertModel", dict(SMALL), 0),
    "roberta": ("RobertaConfig", "RobertaModel", dict(SMALL, type_vocab_size=1, pad_token_id=1), 1),
    "albert": ("AlbertConfig", "AlbertModel", dict(SMALL, embedding_size=16), 0),
    "electra": ("ElectraConfig", "ElectraModel", dict(SMALL, embedding_size=16), 0),
    "roformer": ("RoFormerConfig", "RoFormerModel", dict(SMALL, embedding_size=16), 0),
    "gpt2": (
        "GPT2Config",
        "GPT2Model",
        dict(vocab_size=99, n_embd=32, n_layer=2, n_head=4, n_positions=40, bos_token_id=1, eos_token_id=2),
        0,
    ),
}


def save_random_hf_model(family, folder, std=0.3):
    config_name, model_name, kwargs, pad = CASES[family]
    config = getattr(transformers, config_name)(**kwargs)
    torch.manual_seed(0)
    model = getattr(transformers, model_name)(config).eval()
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "embed_positions" not in name:  # RoFormer's fixed sinusoids stay as they are
                param.normal_(0.0, std)
    model.save_pretrained(folder)
    return model, pad


def hf_hidden_states(model, ids, pad):
    mask = ids != pad
    with torch.no_grad():
        out = model(input_ids=torch.tensor(ids).long(), attention_mask=torch.tensor(mask).long())
    return out.last_hidden_state.numpy(), mask


@pytest.mark.parametrize("family", sorted(CASES))
def test_family_matches_transformers(family, tmp_path):
    hf_model, pad = save_random_hf_model(family, tmp_path)
    ids = random_ids(np.random.default_rng(1), 4, [9, 6, 3, 1], 99, low=3, pad=pad)
    expected, mask = hf_hidden_states(hf_model, ids, pad)
    model = build_transformer_model(None, tmp_path, model=family)
    inputs = [ids] if family == "gpt2" else [ids, np.zeros_like(ids)]
    got = model.predict(inputs, verbose=0)
    assert model.load_report.ok
    assert np.abs(got - expected)[mask].max() <= 1e-5


def test_albert_unshared_starts_from_the_shared_weights(tmp_path):
    hf_model, pad = save_random_hf_model("albert", tmp_path)
    ids = random_ids(np.random.default_rng(2), 2, [7, 4], 99, low=3)
    expected, mask = hf_hidden_states(hf_model, ids, pad)
    model = build_transformer_model(None, tmp_path, model="albert_unshared")
    kernels = [model.get_layer(f"layer_{i}").attention.query.kernel for i in range(2)]
    assert kernels[0] is not kernels[1]
    got = model.predict([ids, np.zeros_like(ids)], verbose=0)
    assert np.abs(got - expected)[mask].max() <= 1e-5


def test_bert_prefixless_layout_and_old_layernorm_names(tmp_path):
    """all-MiniLM-L6-v2 stores BERT without the ``bert.`` prefix; old checkpoints name
    LayerNorm parameters gamma/beta. Both load to the same model."""
    from safetensors.numpy import load_file, save_file

    hf_model, _ = save_random_hf_model("bert", tmp_path / "hf")
    tensors = load_file(tmp_path / "hf" / "model.safetensors")
    renamed = {}
    for name, value in tensors.items():
        name = name.removeprefix("bert.")
        if "LayerNorm" in name:
            name = name.replace(".weight", ".gamma").replace(".bias", ".beta")
        renamed[name] = value
    assert renamed.keys() != tensors.keys()
    save_file(renamed, tmp_path / "old.safetensors")
    ids = random_ids(np.random.default_rng(3), 2, [8, 5], 99, low=3)
    expected, mask = hf_hidden_states(hf_model, ids, 0)
    model = build_transformer_model(tmp_path / "hf", tmp_path / "old.safetensors", with_pool=False)
    got = model.predict([ids, np.zeros_like(ids)], verbose=0)
    assert np.abs(got - expected)[mask].max() <= 1e-5
