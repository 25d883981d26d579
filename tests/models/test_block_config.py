"""``BlockConfig``: made from the spec once, carried by every block, serialised as one entry,
and read back by ``keras.saving.load_model`` (also from the flat keyword form older saves
used), so saved models compute the same after loading."""

from __future__ import annotations

import dataclasses

import keras
import numpy as np
import pytest

from kexue.files import save_model
from kexue.models import build_transformer_model
from kexue.models.block import TransformerBlock
from kexue.models.block_config import BlockConfig
from kexue.models.spec import TransformerSpec

ROFORMER = dict(vocab_size=40, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                intermediate_size=24, max_position_embeddings=32)


def test_config_is_the_specs_block_settings():
    spec = TransformerSpec(vocab_size=40, hidden_size=16, num_layers=2, num_heads=4, intermediate_size=24,
                           norm_position="pre", position_type="nezha", gated_feedforward=True, rms_norm=True)
    config = BlockConfig.from_spec(spec)
    shared = {f.name for f in dataclasses.fields(BlockConfig)} & {f.name for f in dataclasses.fields(spec)}
    assert len(shared) >= 15 and all(getattr(config, n) == getattr(spec, n) for n in shared)
    assert config.attention_position == "nezha" and BlockConfig.from_spec(spec.replace(position_type="t5")).attention_position == "none"
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.num_heads = 2
    block = TransformerBlock(config)
    assert block.attention.heads == 4 and block.attention.position == "nezha" and block.feedforward.gated


def test_block_settings_serialised_once_and_legacy_arguments_accepted():
    config = BlockConfig(num_heads=2, head_size=4, intermediate_size=8, position_type="rotary", gated_feedforward=True)
    saved = TransformerBlock(config, name="layer_0").get_config()
    assert saved["config"] == config.to_dict() and "num_heads" not in saved
    assert TransformerBlock.from_config(saved).config == config
    legacy = TransformerBlock(num_heads=2, head_size=4, intermediate_size=8, position="rotary", gated=True)
    assert legacy.config == config
    with pytest.raises(TypeError, match="not both"):
        TransformerBlock(config, num_heads=3)


@pytest.mark.parametrize("family, application", [("roformer", "unilm"), ("albert", "encoder")])
def test_saved_model_loads_and_computes_the_same(tmp_path, family, application):
    model = build_transformer_model(ROFORMER, model=family, application=application, with_mlm="linear")
    ids = np.array([[2, 5, 7, 9, 3]], "int32")
    inputs = [ids, np.array([[0, 0, 0, 1, 1]], "int32")]
    before = keras.ops.convert_to_numpy(model(inputs))
    save_model(model, tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras")
    assert loaded.get_layer("layer_0").config == model.get_layer("layer_0").config
    np.testing.assert_allclose(keras.ops.convert_to_numpy(loaded(inputs)), before, atol=1e-5)
