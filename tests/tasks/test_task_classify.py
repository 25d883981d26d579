"""The classify recipe end to end through the command line (train, predict, eval), a run
SIGKILLed mid-epoch and resumed to the same weights as an uninterrupted one, and bad input
(one clear error each, the output folder untouched)."""

import csv
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
from helpers import run_kexue
from task_testing import TINY, reviews, write_reviews

from kexue.cli import main


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("classify")
    train, dev = reviews(folder)
    out = folder / "run"
    result = run_kexue("task", "classify", "train", "--train", train, "--dev", dev, "--out", out,
                       "--epochs", "3", "--save-every", "3", *TINY, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return train, dev, out, result


def weights(path):
    return [keras.ops.convert_to_numpy(v) for v in keras.saving.load_model(path, compile=False).weights]


def test_train_predict_eval_through_the_cli(trained, capsys):
    train, dev, out, result = trained
    assert sorted(p.name for p in out.iterdir()) == [
        "curve.csv", "metrics.json", "model.keras", "task.json", "vocab.txt"]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["finished"] and [e["epoch"] for e in metrics["epochs"]] == [1, 2, 3]
    best = metrics["best"]["dev"]["accuracy"]
    assert best >= 0.9  # two sentiment words per review: separable
    assert result.stdout.startswith(f"best epoch {metrics['best']['epoch']}: dev accuracy {best:.4f}")
    task = json.loads((out / "task.json").read_text())
    assert task["settings"]["labels"] == ["0", "1"] and task["backbone"]["config"]["hidden_size"] == 32
    rows = list(csv.DictReader((out / "curve.csv").open()))
    assert [int(r["step"]) for r in rows] == [12, 24, 36] and float(rows[-1]["learning_rate"]) == 0.0

    predicted = run_kexue("task", "classify", "predict", "--model", out, input="菜品好吃推荐\n送餐太慢失望\n")
    assert predicted.returncode == 0, predicted.stderr[-2000:]
    lines = [line.split("\t") for line in predicted.stdout.splitlines()]
    assert [label for label, _ in lines] == ["1", "0"]
    assert all(0.5 < float(p) <= 1.0 for _, p in lines)

    assert main(["task", "classify", "eval", "--model", str(out), str(dev)]) == 0  # in-process: faster
    assert json.loads(capsys.readouterr().out)["accuracy"] == pytest.approx(best, abs=1e-12)


@pytest.mark.slow_on_jax
def test_resume_after_sigkill_equals_uninterrupted(trained, tmp_path):
    train, dev, reference, _ = trained
    out = tmp_path / "run"
    worker = Path(__file__).with_name("classify_kill_worker.py")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    killed = subprocess.run([sys.executable, str(worker), train, dev, out, "17"], env=env,
                            capture_output=True, text=True, timeout=600)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    # killed in epoch 2 after the snapshot of step 15: the state and epoch 1's model are there
    assert (out / "train_state.npz").exists() and (out / "model.keras").exists()
    assert len(json.loads((out / "metrics.json").read_text())["epochs"]) == 1

    code = main(["task", "classify", "train", "--train", str(train), "--dev", str(dev), "--out",
                 str(out), "--epochs", "3", "--save-every", "3", "--resume", *TINY])
    assert code == 0
    for ours, theirs in zip(weights(out / "model.keras"), weights(reference / "model.keras")):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6)
    losses = [[float(r["train_loss"]) for r in csv.DictReader((d / "curve.csv").open())]
              for d in (out, reference)]
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-5)
    metrics = [json.loads((d / "metrics.json").read_text()) for d in (out, reference)]
    assert [e["dev"] for e in metrics[0]["epochs"]] == [e["dev"] for e in metrics[1]["epochs"]]
    assert not (out / "train_state.npz").exists()


def _error(capsys, *argv) -> tuple[int, str]:
    code = main([str(a) for a in argv])
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("kexue: error: "), err
    return code, err


def test_bad_input_is_one_clear_error_and_writes_nothing(tmp_path, capsys):
    train, dev = reviews(tmp_path)
    out = tmp_path / "run"
    base = ["task", "classify", "train", "--dev", dev, "--out", out, *TINY]

    broken = tmp_path / "broken.tsv"
    broken.write_text("好吃\t1\n难吃\n", encoding="utf-8")
    code, err = _error(capsys, *base, "--train", broken)
    assert code == 1 and f"{broken}:2: expected 2 tab-separated fields" in err

    empty = tmp_path / "empty.tsv"
    empty.write_text("\n", encoding="utf-8")
    code, err = _error(capsys, *base, "--train", empty)
    assert code == 1 and "is empty" in err

    odd_dev = write_reviews(tmp_path / "odd.tsv", 5, 3)
    odd_dev.write_text(odd_dev.read_text() + "还行\t2\n", encoding="utf-8")
    code, err = _error(capsys, "task", "classify", "train", "--train", train, "--dev", odd_dev,
                       "--out", out, *TINY)
    assert code == 1 and f"{odd_dev}:6: label '2' is not one of the training labels" in err

    for checkpoint, says in ((tmp_path / "nowhere", "no such file or folder"),
                             (tmp_path, "no config.json")):
        code, err = _error(capsys, "task", "classify", "train", "--train", train, "--dev", dev,
                           "--out", out, "--checkpoint", checkpoint)
        assert code == 2 and says in err
    assert not out.exists()


def test_trained_folder_is_never_overwritten_and_checks_labels(trained, tmp_path, capsys):
    train, dev, out, _ = trained
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    code, err = _error(capsys, "task", "classify", "train", "--train", train, "--dev", dev,
                       "--out", out, *TINY)
    assert code == 2 and "already holds a run; pass --resume" in err
    unknown = tmp_path / "unknown.tsv"
    unknown.write_text("好吃\t1\n太慢\tmaybe\n", encoding="utf-8")
    code, err = _error(capsys, "task", "classify", "eval", "--model", out, unknown)
    assert code == 1 and f"{unknown}:2: label 'maybe' is not one of" in err
    tabbed = tmp_path / "tabbed.txt"
    tabbed.write_text("好吃\t1\n", encoding="utf-8")
    code, err = _error(capsys, "task", "classify", "predict", "--model", out, tabbed)
    assert code == 1 and "one text per line" in err
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before


def test_resume_accepts_an_option_added_since_at_its_default(trained, tmp_path, capsys):
    """A run saved before a recipe option existed resumes when the option is at its default
    (here the finished run is "resumed": nothing left to train); another value is refused."""
    import shutil

    train, dev, out, _ = trained
    old = tmp_path / "old"
    shutil.copytree(out, old)
    task = json.loads((old / "task.json").read_text())
    del task["options"]["label_smoothing"]
    (old / "task.json").write_text(json.dumps(task))
    args = ["task", "classify", "train", "--train", str(train), "--dev", str(dev), "--out", str(old),
            "--epochs", "3", "--save-every", "3", *map(str, TINY), "--resume"]
    assert main(args) == 0
    assert "finished already" in capsys.readouterr().err
    assert main(args + ["--label-smoothing", "0.1"]) != 0
    assert "label_smoothing=None, not 0.1" in capsys.readouterr().err

