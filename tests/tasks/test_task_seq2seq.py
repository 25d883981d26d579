"""The seq2seq recipe: train, predict and eval through the command line; the LSTM learns to
copy to exact match (slow); cached and uncached decoding agree on trained UniLM and T5 models;
a SIGKILLed run resumes to the uninterrupted weights; the copy prior lowers the loss; bad input
is one clear error."""

import csv
import json
from pathlib import Path

import pytest
from generation_testing import TINY, WIDE_ALPHABET, check_resume_after_sigkill, pairs, write_pairs
from helpers import run_kexue

from kexue.cli import main
from kexue.tasks import load_task, train
from kexue.tasks.pair_data import read_source_target

TRAIN = dict(scratch="2x32x4", batch_size=16, lr=5e-3, maxlen=16, progress=False)


@pytest.fixture(scope="module")
def reverse_data(tmp_path_factory):
    return pairs(tmp_path_factory.mktemp("reverse"), "reverse", train=96, dev=16)


def test_train_predict_eval_through_the_cli(reverse_data, tmp_path, capsys):
    train_file, dev_file = reverse_data
    out = tmp_path / "run"
    result = run_kexue("task", "seq2seq", "train", "--arch", "unilm", "--train", train_file, "--dev",
                       dev_file, "--out", out, "--epochs", "2", *TINY, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    assert sorted(p.name for p in out.iterdir()) == ["curve.csv", "metrics.json", "model.keras",
                                                     "task.json", "vocab.txt"]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["finished"] and set(metrics["best"]["dev"]) == {
        "rouge_1", "rouge_2", "rouge_l", "bleu", "sentence_bleu", "exact_match"}
    assert result.stdout.startswith(f"best epoch {metrics['best']['epoch']}: dev rouge_l")
    sources = [e.source for e in read_source_target(dev_file)][:3]
    predicted = run_kexue("task", "seq2seq", "predict", "--model", out, "--beams", "2",
                          input="".join(s + "\n" for s in sources), timeout=600)
    assert predicted.returncode == 0, predicted.stderr[-2000:]
    assert len(predicted.stdout.splitlines()) == len(sources)
    assert main(["task", "seq2seq", "eval", "--model", str(out), str(dev_file), "--decoder", "uncached"]) == 0
    assert json.loads(capsys.readouterr().out) == metrics["best"]["dev"]  # greedy: same tokens


@pytest.mark.slow
def test_lstm_learns_to_copy_to_exact_match_through_the_cli(tmp_path, capsys):
    train_file, dev_file = pairs(tmp_path, "copy", train=384, dev=32)
    out = tmp_path / "run"
    result = run_kexue("task", "seq2seq", "train", "--arch", "lstm", "--train", train_file, "--dev",
                       dev_file, "--out", out, "--epochs", "8", *TINY, "--lr", "1e-2", timeout=3600)
    assert result.returncode == 0, result.stderr[-3000:]
    best = json.loads((out / "metrics.json").read_text())["best"]["dev"]
    assert best["exact_match"] >= 0.9 and best["rouge_l"] >= 0.95, best
    sources = [e.source for e in read_source_target(dev_file)][:6]
    predicted = run_kexue("task", "seq2seq", "predict", "--model", out, input="".join(s + "\n" for s in sources),
                          timeout=600)
    assert predicted.returncode == 0, predicted.stderr[-2000:]
    assert sum(a == b for a, b in zip(predicted.stdout.splitlines(), sources)) >= 5
    assert main(["task", "seq2seq", "eval", "--model", str(out), str(dev_file), "--beams", "2"]) == 0
    assert json.loads(capsys.readouterr().out)["rouge_l"] >= 0.9
    code = main(["task", "seq2seq", "eval", "--model", str(out), str(dev_file), "--decoder", "cached"])
    assert code == 1 and "has no cached decoder" in capsys.readouterr().err


@pytest.mark.parametrize("arch", ["unilm", "t5"])
def test_cached_and_uncached_decoding_agree_on_a_trained_model(reverse_data, tmp_path, arch):
    train_file, dev_file = reverse_data
    train("seq2seq", train=train_file, dev=dev_file, out=tmp_path / "run", epochs=5,
          options={"arch": arch, "max_target": 8}, **TRAIN)
    task = load_task(tmp_path / "run")
    items = [task.recipe.encode(e, task.ctx) for e in read_source_target(dev_file)]
    sources = [task.recipe._arch(task.ctx).source_of(item) for item in items]
    cached = task.recipe.generate_ids(task.ctx, task.model, sources, cached=True)
    uncached = task.recipe.generate_ids(task.ctx, task.model, sources, cached=False)
    assert cached == uncached
    assert sum(map(len, cached)) >= len(cached)  # not all empty: the model writes something
    task.ctx.options["beams"] = 3
    beam_cached = task.recipe.generate_ids(task.ctx, task.model, sources[:4], cached=True)
    assert all(len(out) <= 8 for out in beam_cached)


@pytest.mark.slow_on_jax
def test_resume_after_sigkill_equals_uninterrupted(reverse_data, tmp_path):
    train_file, dev_file = reverse_data  # 6 steps an epoch: killed in epoch 2
    kwargs = dict(epochs=2, save_every=2, options={"arch": "unilm", "max_target": 8}, **TRAIN)
    kwargs.pop("progress")
    out, reference = check_resume_after_sigkill("seq2seq", train_file, dev_file, tmp_path, 9, kwargs)
    metrics = [json.loads((d / "metrics.json").read_text()) for d in (out, reference)]
    assert [e["dev"] for e in metrics[0]["epochs"]] == [e["dev"] for e in metrics[1]["epochs"]]


def _final_loss(out: Path) -> float:
    return float(list(csv.DictReader((out / "curve.csv").open()))[-1]["train_loss"])


def test_copy_prior_lowers_the_loss(tmp_path):
    """Targets made of source characters (every other one) over a 38-character alphabet: after
    the same steps from the same seed, the model with the copy prior has the lower loss."""
    train_file = write_pairs(tmp_path / "train.tsv", 320, 1, "every-other", WIDE_ALPHABET, (4, 10))
    dev_file = write_pairs(tmp_path / "dev.tsv", 8, 2, "every-other", WIDE_ALPHABET, (4, 10))
    losses = {}
    for prior in (True, False):
        out = tmp_path / f"prior-{prior}"
        train("seq2seq", train=train_file, dev=dev_file, out=out, epochs=2,
              options={"arch": "lstm", "max_target": 8, "copy_prior": prior}, **TRAIN)
        losses[prior] = _final_loss(out)
    assert losses[True] < 0.95 * losses[False], losses


def _error(capsys, *argv) -> tuple[int, str]:
    code = main([str(a) for a in argv])
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("kexue: error: "), err
    return code, err


def test_bad_input_is_one_clear_error(tmp_path, capsys):
    train_file, dev_file = pairs(tmp_path, train=16, dev=4)
    out = tmp_path / "run"
    broken = tmp_path / "broken.tsv"
    broken.write_text("一二\t二一\n只有一列\n", encoding="utf-8")
    code, err = _error(capsys, "task", "seq2seq", "train", "--train", broken, "--dev", dev_file,
                       "--out", out, *TINY)
    assert code == 1 and f"{broken}:2: expected 2 tab-separated fields" in err
    checkpoint = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "tf_bert_tiny"
    if not checkpoint.exists():
        checkpoint = Path("/work/shared/fixtures/tf_bert_tiny")
    if checkpoint.exists():
        prefix = next(checkpoint.glob("*.index")).with_suffix("")
        code, err = _error(capsys, "task", "seq2seq", "train", "--arch", "t5", "--train", train_file,
                           "--dev", dev_file, "--out", out, "--checkpoint", prefix)
        assert code == 2 and "--arch t5 trains from --scratch" in err
    code, err = _error(capsys, "task", "seq2seq", "train", "--train", train_file, "--dev", dev_file,
                       "--out", out, *TINY, "--max-target", "20")
    assert code == 2 and "--max-target 20" in err
    assert not out.exists()
