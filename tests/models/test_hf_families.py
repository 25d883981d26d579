"""Tiny random Hugging Face models of each family, saved with ``save_pretrained`` and loaded by
kexue: hidden states must agree with ``transformers`` to 1e-5 on non-padded positions, for ids
drawn from the whole vocabulary (padding ids included)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

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


def hf_hidden_states(model, ids, mask):
    with torch.no_grad():
        out = model(input_ids=torch.tensor(ids).long(), attention_mask=torch.tensor(mask).long())
    return out.last_hidden_state.numpy()


def whole_vocabulary_ids(seed, lengths, pad, vocab=99):
    """Ids drawn from the whole vocabulary (the padding id included, so some real-looking
    positions are padding by the family's own definition), right-padded to the longest."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, vocab, size=(len(lengths), max(lengths))).astype("int32")
    for row, n in enumerate(lengths):
        ids[row, n:] = pad
    ids[0, 1] = pad  # a padding id inside a sequence, and id 0 where it is not padding
    ids[0, 2] = 0
    ids[:, 0] = np.where(ids[:, 0] == pad, 2, ids[:, 0])  # no row is all padding
    return ids


@pytest.mark.parametrize("family", sorted(CASES))
def test_family_matches_transformers(family, tmp_path):
    """Every family on ids from the whole vocabulary: padding is what the family says it is
    (id == pad for BERT-style vocabularies, nothing for GPT-2), for kexue and transformers."""
    hf_model, pad = save_random_hf_model(family, tmp_path)
    if family == "gpt2":  # no padding token: id 0 is a real token and every position counts
        ids = np.random.default_rng(1).integers(0, 99, size=(4, 9)).astype("int32")
        ids[:, 2] = 0
        mask = np.ones_like(ids, dtype=bool)
    else:
        ids = whole_vocabulary_ids(1, [12, 9, 6, 3], pad)
        mask = ids != pad
    expected = hf_hidden_states(hf_model, ids, mask)
    options = {"with_mlm": False} if family == "gpt2" else {}
    model = build_transformer_model(None, tmp_path, model=family, **options)
    inputs = [ids] if family == "gpt2" else [ids, np.zeros_like(ids)]
    got = model.predict(inputs, verbose=0)
    assert model.load_report.ok
    assert np.abs(got - expected)[mask].max() <= 1e-5


def test_gpt2_padding_only_through_the_explicit_input(tmp_path):
    """GPT-2 masks nothing by id; a right-padded batch says where its padding is through the
    ``padding_mask`` input, as transformers' ``attention_mask`` does."""
    hf_model, _ = save_random_hf_model("gpt2", tmp_path)
    ids = np.random.default_rng(4).integers(0, 99, size=(3, 8)).astype("int32")
    lengths = np.array([8, 5, 2])
    mask = np.arange(8)[None] < lengths[:, None]
    expected = hf_hidden_states(hf_model, ids, mask)
    model = build_transformer_model(None, tmp_path, model="gpt2", with_mlm=False, padding_input=True)
    got = model.predict([ids, mask.astype("int32")], verbose=0)
    assert np.abs(got - expected)[mask].max() <= 1e-5


def test_albert_unshared_starts_from_the_shared_weights(tmp_path):
    hf_model, pad = save_random_hf_model("albert", tmp_path)
    ids = whole_vocabulary_ids(2, [7, 4], pad)
    mask = ids != pad
    expected = hf_hidden_states(hf_model, ids, mask)
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
    ids = whole_vocabulary_ids(3, [8, 5], 0)
    mask = ids != 0
    expected = hf_hidden_states(hf_model, ids, mask)
    model = build_transformer_model(tmp_path / "hf", tmp_path / "old.safetensors", with_pool=False)
    got = model.predict([ids, np.zeros_like(ids)], verbose=0)
    assert np.abs(got - expected)[mask].max() <= 1e-5
