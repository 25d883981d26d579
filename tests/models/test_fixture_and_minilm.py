"""Real checkpoints: the TensorFlow-written tiny BERT fixture (TF1 and its HF twin) and the
real all-MiniLM-L6-v2 against ``transformers.BertModel``."""

import sys

import keras
import numpy as np
import pytest

from kexue.models import build_transformer_model


def _outputs_by_name(model):
    """Sequence output, pooled output and every head of a model built with all heads."""
    last_block = max(
        (layer for layer in model.layers if layer.name.startswith("layer_")),
        key=lambda layer: int(layer.name.split("_")[1]),
    )
    return keras.Model(
        model.inputs, [last_block.output, model.get_layer("pooler").output] + list(model.outputs)
    )


@pytest.mark.parametrize("kind", ["tf1", "hf"])
def test_tiny_bert_fixture_reproduces_expected(kind, shared_dir):
    fixture = shared_dir / "fixtures" / "tf_bert_tiny"
    checkpoint = fixture / ("bert_model.ckpt" if kind == "tf1" else "hf")
    expected = np.load(fixture / "expected.npz")
    model = build_transformer_model(
        fixture / "bert_config.json", checkpoint, with_pool=True, with_nsp="linear", with_mlm="linear"
    )
    assert model.load_report.ok and model.load_report.loaded == 46
    seq, pooled, nsp, mlm = _outputs_by_name(model).predict(
        [expected["input_ids"], expected["segment_ids"]], verbose=0
    )
    valid = expected["attention_mask"].astype(bool)
    assert np.abs(seq - expected["sequence_output"])[valid].max() <= 1e-5
    assert np.abs(pooled - expected["pooled_output"]).max() <= 1e-5
    assert np.abs(nsp - expected["nsp_logits"]).max() <= 1e-5
    # The MLM logits reach |9|; expected.npz itself (transformers, float32) is 2.2e-5 from the
    # float64 answer, so 1e-5 is below its own rounding noise there. Two float32 computations
    # that are each ~2.2e-5 from the truth can be ~4.4e-5 apart: allow 5e-5 here and check the
    # distance to the float64 truth in the test below.
    assert np.abs(mlm - expected["mlm_logits"])[valid].max() <= 5e-5


def test_tiny_bert_mlm_is_as_close_to_float64_truth_as_the_reference(shared_dir):
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    fixture = shared_dir / "fixtures" / "tf_bert_tiny"
    expected = np.load(fixture / "expected.npz")
    reference = transformers.BertForPreTraining.from_pretrained(fixture / "hf").double().eval()
    with torch.no_grad():
        truth = reference(
            input_ids=torch.tensor(expected["input_ids"]).long(),
            token_type_ids=torch.tensor(expected["segment_ids"]).long(),
            attention_mask=torch.tensor(expected["attention_mask"]).long(),
        ).prediction_logits.numpy()
    model = build_transformer_model(fixture / "bert_config.json", fixture / "bert_model.ckpt", with_mlm="linear")
    mlm = model.predict([expected["input_ids"], expected["segment_ids"]], verbose=0)
    valid = expected["attention_mask"].astype(bool)
    ours = np.abs(mlm - truth)[valid].max()
    theirs = np.abs(expected["mlm_logits"] - truth)[valid].max()
    # Same order as float32 rounding of the reference (XLA's CPU erf and summation order differ
    # from torch's by a few ulps: 2.31e-5 against 2.16e-5 on one AMD EPYC); a mapping or
    # precision bug would be orders of magnitude larger.
    assert ours <= theirs * 1.5


def test_fixture_loads_without_tensorflow(shared_dir):
    assert "tensorflow" not in sys.modules
    fixture = shared_dir / "fixtures" / "tf_bert_tiny"
    build_transformer_model(fixture / "bert_config.json", fixture)  # a folder works too
    assert "tensorflow" not in sys.modules


SENTENCES = [
    "Hello world!",
    "The quick brown fox jumps over the lazy dog.",
    "Keras 3 runs on JAX, PyTorch and TensorFlow, on CPUs and accelerators.",
    "a",
    "Café au lait, naïve résumé — déjà vu.",
    "中文句子也可以编码吗？当然可以。",
    "Numbers like 3.14159 and 2,718 or emails like a.b@example.com are tokenised too.",
    "Sentence embeddings power semantic search, clustering and duplicate detection at scale "
    "for many applications in industry and research alike.",
    "🙂 emoji",
]


def test_minilm_matches_transformers():
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from kexue.resources import minilm_dir

    folder = minilm_dir()
    tokenizer = transformers.BertTokenizerFast.from_pretrained(str(folder))
    assert tokenizer.vocab_size == 30522
    batch = tokenizer(SENTENCES, padding=True, return_tensors="np")
    ids, segments = batch["input_ids"].astype("int32"), batch["token_type_ids"].astype("int32")
    mask = batch["attention_mask"].astype(bool)
    assert len(set(mask.sum(1))) >= 8  # different lengths in one padded batch
    reference = transformers.BertModel.from_pretrained(folder).eval()
    with torch.no_grad():
        out = reference(
            input_ids=torch.tensor(ids).long(),
            token_type_ids=torch.tensor(segments).long(),
            attention_mask=torch.tensor(mask).long(),
        )
    model = build_transformer_model(None, folder, with_pool=True)
    sub = keras.Model(model.inputs, [model.get_layer("layer_5").output, model.output])
    hidden, pooled = sub.predict([ids, segments], verbose=0)
    assert np.abs(hidden - out.last_hidden_state.numpy())[mask].max() <= 1e-5
    assert np.abs(pooled - out.pooler_output.numpy()).max() <= 1e-5
