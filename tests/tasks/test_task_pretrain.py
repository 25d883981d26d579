"""``kexue task pretrain mlm|lm``: dynamic (whole-word) masking, and a run folder that
``transformers`` loads with the same outputs and that ``--checkpoint`` accepts."""

import json
from collections import Counter
from pathlib import Path

import keras
import numpy as np
import pytest
from helpers import run_kexue

from kexue.cli import main
from kexue.models import build_transformer_model
from kexue.tasks.backbone import checkpoint_backbone
from kexue.tasks.masking import mask_tokens, word_index
from kexue.tasks.recipes.pretrain import pack

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

CORPUS = ("今天天气很好，我们去公园散步吧。外卖送得很快，味道也不错！" * 3 + "\n"
          "这家店的菜太咸了，下次不会再来。红楼梦是一部伟大的小说。\n") * 20


def test_dynamic_masking_rates_and_whole_words():
    rng = np.random.default_rng(0)
    ids = np.concatenate([[2], np.arange(10, 110), [3]])
    kinds, counts = Counter(), []
    for _ in range(300):
        masked, positions, labels = mask_tokens(ids, rng, mask_id=4, vocab_size=200)
        assert 0 not in positions and len(ids) - 1 not in positions  # never [CLS] / [SEP]
        np.testing.assert_array_equal(labels, ids[positions])
        counts.append(len(positions))
        kinds.update("mask" if m == 4 else "kept" if m == o else "random"
                     for m, o in zip(masked[positions], labels))
    assert set(counts) == {15}  # 15% of 100 content tokens
    total = sum(kinds.values())
    assert abs(kinds["mask"] / total - 0.8) < 0.03 and abs(kinds["kept"] / total - 0.1) < 0.03
    words = word_index("我爱北京天安门", [(i, i + 1) for i in range(7)], ["我", "爱", "北京", "天安门"])
    row = np.array([2, 10, 11, 12, 13, 14, 15, 16, 3])
    for _ in range(20):
        _, positions, _ = mask_tokens(row, rng, mask_id=4, vocab_size=30, rate=0.3,
                                      word_ids=[-1] + words + [-1])
        chosen = {words[p - 1] for p in positions}
        assert sum(w in chosen for w in words) == len(positions)  # whole words only


def test_pack_keeps_text_and_length():
    segments = pack(["一二三四五六七八九十。十一十二", "短句"], 6)
    assert all(len(s) <= 6 for s in segments)
    assert "".join(segments).replace(" ", "") == "一二三四五六七八九十。十一十二短句"


def hf_logits(folder, cls, ids):
    model = getattr(transformers, cls).from_pretrained(folder).eval()
    with torch.no_grad():
        return model(input_ids=torch.tensor(ids)).logits.numpy()


@pytest.mark.parametrize("objective", ["mlm", pytest.param("lm", marks=pytest.mark.slow)])
def test_pretrained_folder_loads_in_transformers_and_as_checkpoint(objective, tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(CORPUS, encoding="utf-8")
    out = tmp_path / "run"
    argv = ["task", "pretrain", objective, "--corpus", str(corpus), "--out", str(out), "--scratch",
            "2x32x4", "--steps", "6", "--maxlen", "16", "--batch-size", "8", "--lr", "3e-3", "--quiet"]
    if objective == "mlm":  # through the command line in a subprocess, with whole words
        result = run_kexue(*argv, "--whole-word", timeout=600)
        assert result.returncode == 0, result.stderr[-3000:]
    else:
        assert main(argv) == 0
    names = {p.name for p in out.iterdir()}
    assert {"config.json", "model.safetensors", "vocab.txt", "tokenizer_config.json"} <= names
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["finished"] and metrics["steps"] == 6 and 0 <= metrics["best"]["dev"]["accuracy"] <= 1

    application = "lm" if objective == "lm" else "encoder"
    ours = build_transformer_model(checkpoint_path=out, model="bert", application=application, with_mlm="linear")
    ids = np.array([[2, 7, 8, 9, 10, 11, 3]], "int32")
    expected = hf_logits(out, "BertLMHeadModel" if objective == "lm" else "BertForMaskedLM", ids)
    got = keras.ops.convert_to_numpy(ours([ids, np.zeros_like(ids)]))
    np.testing.assert_allclose(got, expected, atol=1e-5, rtol=0)
    backbone = checkpoint_backbone(out)  # what --checkpoint does
    assert backbone.family == "bert" and len(backbone.vocab) == json.loads((out / "config.json").read_text())["vocab_size"]
    assert backbone.build().load_report.ok
