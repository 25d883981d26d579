"""Strict loading: a missing tensor, a wrong shape, an unexpected tensor and a truncated file each
give one clear error naming the tensor(s), and leave the model untouched."""

import json
import shutil

import keras
import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from kexue.checkpoints.loader import CheckpointMismatch
from kexue.checkpoints.sources import CheckpointError
from kexue.models import build_transformer_model


@pytest.fixture()
def hf_copy(shared_dir, tmp_path):
    fixture = shared_dir / "fixtures" / "tf_bert_tiny"
    folder = tmp_path / "hf"
    shutil.copytree(fixture / "hf", folder)
    return folder


def _rewrite(folder, change):
    tensors = load_file(folder / "model.safetensors")
    change(tensors)
    save_file(tensors, folder / "model.safetensors")


def test_missing_tensor_is_named(hf_copy):
    _rewrite(hf_copy, lambda t: t.pop("bert.encoder.layer.1.attention.self.key.weight"))
    with pytest.raises(CheckpointMismatch) as info:
        build_transformer_model(None, hf_copy)
    message = str(info.value)
    assert "layer_1/attention/key/kernel <- encoder.layer.1.attention.self.key.weight" in message
    assert "missing" in message


def test_wrong_shape_is_named(hf_copy):
    def change(t):
        t["bert.encoder.layer.0.intermediate.dense.weight"] = np.zeros((65, 32), "float32")

    _rewrite(hf_copy, change)
    with pytest.raises(CheckpointMismatch, match=r"layer_0/feedforward/inner/kernel \(32, 64\)"):
        build_transformer_model(None, hf_copy)


def test_unexpected_tensor_is_named_and_opt_out_loads_the_rest(hf_copy):
    _rewrite(hf_copy, lambda t: t.update({"bert.encoder.layer.0.adapter.weight": np.ones((2, 2), "float32")}))
    with pytest.raises(CheckpointMismatch, match=r"bert\.encoder\.layer\.0\.adapter\.weight \(2, 2\)"):
        build_transformer_model(None, hf_copy)
    model = build_transformer_model(None, hf_copy, strict=False)
    assert not model.load_report.ok and model.load_report.loaded == 37


def test_truncated_file_names_the_cut_tensors(hf_copy):
    path = hf_copy / "model.safetensors"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 3000])
    with pytest.raises(CheckpointError, match="truncated") as info:
        build_transformer_model(None, hf_copy)
    assert "weight" in str(info.value) or "bias" in str(info.value)


def test_truncated_tf1_checkpoint_is_an_error(shared_dir, tmp_path):
    fixture = shared_dir / "fixtures" / "tf_bert_tiny"
    for f in fixture.iterdir():
        if f.is_file():
            shutil.copy(f, tmp_path / f.name)
    data = tmp_path / "bert_model.ckpt.data-00000-of-00001"
    data.write_bytes(data.read_bytes()[:-500])
    with pytest.raises((CheckpointError, ValueError), match="truncated"):
        build_transformer_model(tmp_path / "bert_config.json", tmp_path / "bert_model.ckpt")


def test_nothing_is_assigned_when_loading_fails(hf_copy):
    _rewrite(hf_copy, lambda t: t.pop("bert.pooler.dense.bias"))
    config = json.loads((hf_copy / "config.json").read_text())
    model = build_transformer_model(config, with_pool=True)
    before = [keras.ops.convert_to_numpy(v).copy() for v in model.weights]
    from kexue.models import load_checkpoint
    from kexue.models.families import get_family

    spec = get_family("bert").make_spec(config)
    with pytest.raises(CheckpointMismatch, match="pooler/bias"):
        load_checkpoint(model, hf_copy, model="bert", spec=spec)
    for a, b in zip(before, model.weights):
        np.testing.assert_array_equal(a, keras.ops.convert_to_numpy(b))


def test_pickles_are_refused(tmp_path):
    (tmp_path / "pytorch_model.bin").write_bytes(b"not opened")
    with pytest.raises(CheckpointError, match="never unpickles"):
        build_transformer_model({"vocab_size": 10, "hidden_size": 8, "num_hidden_layers": 1,
                                 "num_attention_heads": 2, "intermediate_size": 8},
                                tmp_path / "pytorch_model.bin")


def test_a_config_of_another_family_is_refused_with_the_right_model_name():
    from kexue.models import build_transformer_model

    config = dict(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                  intermediate_size=24, model_type="roberta")
    with pytest.raises(ValueError, match="model_type='roberta'.*use model='roberta'"):
        build_transformer_model(config, model="bert")
    t5 = dict(vocab_size=50, d_model=16, d_kv=4, d_ff=24, num_layers=1, num_heads=2, model_type="mt5",
              feed_forward_proj="gated-gelu")
    with pytest.raises(ValueError, match="use model='t5.1.1'"):
        build_transformer_model(t5, model="bert")
    build_transformer_model(t5, model="mt5.1.1")  # accepted
    build_transformer_model(dict(config, model_type="bert"), model="roberta")  # Chinese RoBERTa layout
