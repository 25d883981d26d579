"""The cws recipe through the command line: train on a few hundred segmented sentences (CRLF
and two-space input), predict (every input character kept, words separated by spaces), eval,
and a SIGKILLed run resumed to the very weights of an uninterrupted one."""

import json

import pytest
from extraction_testing import TINY, TINY_API, assert_resume_equals, write_segmented
from helpers import run_kexue

from kexue.cli import main

EPOCHS = ["--epochs", "2", "--save-every", "4"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cws")
    train = write_segmented(folder / "train.txt", 256, 1, newline="\r\n")
    dev = write_segmented(folder / "dev.txt", 48, 2)
    out = folder / "run"
    result = run_kexue("task", "cws", "train", "--train", train, "--dev", dev, "--out", out,
                       *EPOCHS, *TINY, timeout=1800)
    assert result.returncode == 0, result.stderr[-3000:]
    return train, dev, out


def test_train_predict_eval(trained, capsys):
    train, dev, out = trained
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["finished"] and metrics["best"]["dev"]["f1"] > 0.5
    texts = ["我们今天学习中文分词", "北京 天气很好Keras3", "人民日报发表文章。", "２００１年ＡＢＣ发表"]
    predicted = run_kexue("task", "cws", "predict", "--model", out, input="\n".join(texts) + "\n", timeout=600)
    assert predicted.returncode == 0, predicted.stderr[-2000:]
    lines = predicted.stdout.splitlines()
    assert len(lines) == 4
    for text, line in zip(texts, lines):
        assert "".join(line.split()) == "".join(text.split())  # nothing lost, nothing added
    # a model from scratch reads full-width digits and letters as ASCII, and says so; with no
    # --model it is the recipe's scratch family, RoFormer
    backbone = json.loads((out / "task.json").read_text())["backbone"]
    assert backbone["fold_width"] is True and backbone["model"] == "roformer"
    assert main(["task", "cws", "eval", "--model", str(out), str(dev)]) == 0
    scores = json.loads(capsys.readouterr().out)
    assert scores["f1"] == pytest.approx(metrics["best"]["dev"]["f1"], abs=1e-12)


@pytest.mark.slow_on_jax
def test_resume_after_sigkill_equals_uninterrupted(trained, tmp_path):
    train, dev, reference = trained
    assert_resume_equals("cws", train, dev, reference, tmp_path / "run",
                         {**TINY_API, "epochs": 2, "save_every": 4}, [*EPOCHS, *TINY], kill_at=22)
