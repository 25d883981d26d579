"""The similarity recipe: a cross-encoder trained and used through the command line, and the
siamese encoder whose training classes are the paraphrase groups and whose predictions are
the cosines of its sentence vectors."""

import json

import keras
import numpy as np
import pytest
from helpers import run_kexue
from task_testing import TINY, write_pairs

from kexue.tasks import load_task, train
from kexue.tasks.data import read_text_pairs
from kexue.tasks.recipes.similarity import paraphrase_groups


def test_cross_encoder_learns_and_predicts_through_the_cli(tmp_path):
    train_file = write_pairs(tmp_path / "train.tsv", 256, 1, rule="sum")
    dev_file = write_pairs(tmp_path / "dev.tsv", 64, 2, rule="sum")
    out = tmp_path / "run"
    result = run_kexue("task", "similarity", "train", "--train", train_file, "--dev", dev_file,
                       "--out", out, "--epochs", "3", *TINY, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["metric"] == "spearman" and metrics["best"]["dev"]["spearman"] > 0.5
    task = json.loads((out / "task.json").read_text())
    assert task["settings"] == {"regression": True, "low": 0.0, "high": 5.0}
    predicted = run_kexue("task", "similarity", "predict", "--model", out,
                          input="菜品好吃推荐外卖\t这家很棒满意\n菜品好吃推荐外卖\t送餐太慢失望\n")
    assert predicted.returncode == 0, predicted.stderr[-2000:]
    same, different = map(float, predicted.stdout.split())
    assert same > different


def test_siamese_encoder_classifies_paraphrase_groups(tmp_path):
    train_file, dev_file = write_pairs(tmp_path / "train.tsv", 128, 3), write_pairs(tmp_path / "dev.tsv", 32, 4)
    out = tmp_path / "run"
    metrics = train("similarity", train=train_file, dev=dev_file, out=out, scratch="2x32x4", epochs=1,
                    batch_size=16, lr=3e-3, progress=False, options={"mode": "siamese"})
    assert metrics["metric"] == "top1" and 0 <= metrics["best"]["dev"]["top1"] <= 1
    task = load_task(out)
    rows = read_text_pairs(train_file)
    groups = paraphrase_groups(((r.first, r.second, r.label) for r in rows), 4)
    assert task.model.output.shape[-1] == len(groups) == task.ctx.settings["groups"] > 2
    pairs = read_text_pairs(dev_file)[:5]
    cosines = task.predict(pairs)
    encoder = keras.Model(task.model.inputs, task.model.get_layer("sentence_vector").output)

    def vector(text):
        ids, segments = task.ctx.tokenizer.encode(text, maxlen=task.ctx.maxlen)
        v = keras.ops.convert_to_numpy(encoder([np.array([ids]), np.array([segments])]))[0]
        return v / np.linalg.norm(v)

    expected = [float(vector(p.first) @ vector(p.second)) for p in pairs]
    np.testing.assert_allclose(cosines, expected, atol=1e-5)
    scores = task.evaluate(dev_file)
    assert set(scores) == {"spearman", "pearson", "top1"}
    assert scores["top1"] == pytest.approx(metrics["best"]["dev"]["top1"])
