"""``save_pretrained``: a kexue model with random weights is written as a Hugging Face folder;
``transformers`` (``...ForMaskedLM`` / ``BertLMHeadModel`` / ``GPT2LMHeadModel`` for the
logits, ``AutoModel`` for the hidden states) computes the same outputs (≤ 1e-5 on real
positions), and ``build_transformer_model`` reads the folder back to the same function."""

import json

import keras
import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from kexue.checkpoints import save_pretrained  # noqa: E402
from kexue.models import build_transformer_model  # noqa: E402

BASE = dict(vocab_size=40, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
            intermediate_size=48, max_position_embeddings=64)
VOCAB = {f"[unused{i}]": i for i in range(40)}
# family: (config, application, transformers class of the logits)
CASES = {
    "bert": (dict(BASE, model_type="bert"), "encoder", "BertForMaskedLM"),
    "bert-lm": (dict(BASE, model_type="bert"), "lm", "BertLMHeadModel"),
    "roberta": (dict(BASE, model_type="roberta", pad_token_id=0, max_position_embeddings=65),
                "encoder", "RobertaForMaskedLM"),
    "albert": (dict(BASE, model_type="albert", embedding_size=16, hidden_act="gelu_new"),
               "encoder", "AlbertForMaskedLM"),
    "electra": (dict(BASE, model_type="electra", embedding_size=16), "encoder", "ElectraForMaskedLM"),
    "roformer": (dict(BASE, model_type="roformer"), "encoder", "RoFormerForMaskedLM"),
    "gpt2": (dict(model_type="gpt2", vocab_size=40, n_embd=32, n_layer=2, n_head=4, n_positions=64),
             "lm", "GPT2LMHeadModel"),
}


def randomized(model, seed=0):
    rng = np.random.default_rng(seed)
    for variable in model.weights:
        if "seed_generator" in variable.path:
            continue
        shift = 1.0 if variable.path.endswith("gamma") else 0.0
        variable.assign((rng.normal(size=variable.shape) * 0.2 + shift).astype("float32"))
    return model


def inputs(family):
    rng = np.random.default_rng(1)
    ids = rng.integers(5, 40, size=(2, 9)).astype("int32")
    segments = np.zeros_like(ids)
    if family == "gpt2":
        return ids, segments, [ids], np.ones_like(ids, bool)
    ids[1, 6:] = 0  # right padding
    segments[0, 5:] = 1
    return ids, segments, [ids, segments], ids != 0


def hf_call(model, ids, segments, family):
    kwargs = {"input_ids": torch.tensor(ids)}
    if family != "gpt2":
        kwargs.update(token_type_ids=torch.tensor(segments), attention_mask=torch.tensor((ids != 0).astype("int64")))
    with torch.no_grad():
        return model(**kwargs)


@pytest.mark.parametrize("case", sorted(CASES))
def test_transformers_reads_the_folder_with_the_same_outputs(case, tmp_path):
    config, application, lm_class = CASES[case]
    family = config["model_type"]
    keras.utils.set_random_seed(0)
    ours = randomized(build_transformer_model(config, model=family, application=application,
                                              with_mlm="linear"))
    save_pretrained(ours, tmp_path, model_type=family, config=config, vocab=VOCAB)
    ids, segments, feed, real = inputs(family)
    logits = keras.ops.convert_to_numpy(ours(feed))

    theirs = getattr(transformers, lm_class).from_pretrained(tmp_path).eval()
    expected = hf_call(theirs, ids, segments, family).logits.numpy()
    np.testing.assert_allclose(logits[real], expected[real], atol=1e-5, rtol=0)

    base = transformers.AutoModel.from_pretrained(tmp_path).eval()
    hidden = hf_call(base, ids, segments, family).last_hidden_state.numpy()
    heads = {"with_mlm": False} if family == "gpt2" else {}  # GPT-2 ends with its LM head by default
    encoder = build_transformer_model(checkpoint_path=tmp_path, model=family, application=application, **heads)
    assert encoder.load_report.ok
    if family != "gpt2" and application in ("lm", "unilm"):  # the MLM head is forced on: read the last block
        last = encoder.get_layer(f"layer_{config['num_hidden_layers'] - 1}")
        encoder = keras.Model(encoder.inputs, last.output)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(encoder(feed))[real], hidden[real], atol=1e-5, rtol=0)

    again = build_transformer_model(checkpoint_path=tmp_path, model=family, application=application,
                                    with_mlm="linear")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(again(feed)), logits, atol=1e-6, rtol=0)
    assert (tmp_path / "vocab.txt").read_text().splitlines() == list(VOCAB)


def test_structure_decides_the_family_and_nezha_round_trips(tmp_path):
    config = dict(BASE, max_relative_position=8)
    keras.utils.set_random_seed(0)
    nezha = randomized(build_transformer_model(config, model="nezha", with_mlm="linear"))
    save_pretrained(nezha, tmp_path)  # no model_type: the NEZHA positions say it
    written = json.loads((tmp_path / "config.json").read_text())
    assert written["model_type"] == "nezha" and written["max_relative_position"] == 8
    back = build_transformer_model(checkpoint_path=tmp_path, model="nezha", with_mlm="linear")
    ids, segments, feed, _ = inputs("nezha")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(back(feed)),
                               keras.ops.convert_to_numpy(nezha(feed)), atol=1e-6, rtol=0)


def test_what_cannot_be_written_is_refused(tmp_path):
    classifier = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="no token_embedding layer"):
        save_pretrained(classifier, tmp_path)
    bert = build_transformer_model(BASE, model="bert")
    with pytest.raises(ValueError, match="the vocabulary has 3 tokens but the model 40"):
        save_pretrained(bert, tmp_path, vocab={"a": 0, "b": 1, "c": 2})
    assert not any(tmp_path.iterdir())  # nothing written
    albert_lm = build_transformer_model(dict(BASE, embedding_size=16), model="albert", application="lm")
    with pytest.raises(ValueError, match="no causal-LM ALBERT"):
        save_pretrained(albert_lm, tmp_path)
