"""Backbones a recipe can train on: every ``--model`` family builds from scratch with a
character vocabulary, and checkpoints are checked before anything is written."""

import json

import keras
import numpy as np
import pytest

from kexue.tasks.backbone import FAMILIES, BackboneError, checkpoint_backbone, scratch_backbone, scratch_size
from kexue.tasks.vocab import character_vocabulary


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_family_builds_from_scratch(family):
    backbone = scratch_backbone("1x16x2", ["外卖送得很快", "味道一般 OK"], family=family)
    assert backbone.config["model_type"] == FAMILIES[family] and backbone.vocab["[PAD]"] == 0
    model = backbone.build(with_mlm="linear")
    ids, segments = backbone.tokenizer().encode("送得很快ok")
    logits = keras.ops.convert_to_numpy(model([np.array([ids]), np.array([segments])]))
    assert logits.shape == (1, len(ids), len(backbone.vocab)) and np.isfinite(logits).all()
    assert "[UNK]" not in backbone.tokenizer().tokenize("味道很快ok")  # every character is known


def test_vocabulary_counts_and_caps():
    vocab = character_vocabulary(["aab", "ba", "c"], min_count=2)
    assert list(vocab)[5:] == ["##a", "a"]  # only ##a is seen twice; its plain form is added
    assert len(character_vocabulary(["abcdef"], max_size=7)) == 7
    with pytest.raises(ValueError, match="no characters"):
        character_vocabulary([" "])


def test_scratch_sizes_and_checkpoint_errors(tmp_path):
    assert scratch_size("tiny") == (4, 256, 4)
    for bad in ("huge", "2x30x4", "0x32x4"):
        with pytest.raises(BackboneError, match="--scratch"):
            scratch_size(bad)
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "t5", "vocab_size": 10}))
    with pytest.raises(BackboneError, match="model_type='t5'"):
        checkpoint_backbone(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "bert", "vocab_size": 10}))
    with pytest.raises(BackboneError, match="No .safetensors or TensorFlow checkpoint"):
        checkpoint_backbone(tmp_path)
