"""Reproduce the generation figures of docs/tasks (seq2seq.md, cond-gen.md): each run is the
documented `kexue task` command, next to a simple baseline computed in the same script.

    nice -n 10 .venv/bin/python benchmarks/recipes_generation.py [NAME ...] [--work DIR] [--budget MIN] [--list]

NAME picks runs (default: all, in the order of --list). Data come from ../shared/data and are
split and written under WORK/data (never into the repository); runs go to WORK/runs. A
finished run is not trained again (its metrics.json is read); an interrupted one continues
with --resume. Results (and samples) are printed and written to WORK/results_generation.json.

Splits:
* CSL titles: the snapshot has no train split, so the model trains on dev.tsv — its first 900
  rows train, its last 50 pick the best epoch — and is scored once on the first 200 rows of
  test.tsv (--full-test: all 1,000). Baseline: the abstract's first characters, as many as the
  mean training title.
* Couplets: 4,000 training pairs drawn with seed 0 from zh_couplet_train.tsv, 100 more for
  dev; scored on the 42 pairs of zh_couplet_test.tsv. Baseline: the nearest training first
  line (character-overlap F1) gives its second line.
* ``couplets-unilm-long``: every training couplet but those 100 dev pairs (about 49,850), a
  4-layer model, 4 epochs; the nearest-couplet baseline then searches all of them.
* Conditional generation: 3,000 texts drawn with seed 0 from sentiment_b4k's train split
  (the CPU budget), its valid split for dev; 100 texts sampled per class are labelled by a
  separately trained judge, a character unigram + bigram naive Bayes fitted on the whole train
  split (its accuracy on the real test texts is printed beside).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
import zipfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
if not SHARED.is_dir():  # a worktree: the shared folder sits beside the checkouts
    SHARED = Path("/work/shared/data")
sys.path.insert(0, str(ROOT))


def _clean(text: str) -> str:
    return " ".join(text.replace("\t", " ").split())


def _write(path: Path, rows) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write("\t".join(_clean(str(v)) for v in row) + "\n")
    return path


def _tsv(path: Path) -> list[list[str]]:
    return [line.rstrip("\n").split("\t") for line in open(path, encoding="utf-8") if line.strip()]


TEST_ROWS = 200  # CSL test rows scored (all 1,000 with --full-test)


def data_csl(work: Path) -> dict:
    rows = [(r[1], r[2]) for r in _tsv(SHARED / "csl_title" / "dev.tsv")]
    test = [(r[1], r[2]) for r in _tsv(SHARED / "csl_title" / "test.tsv")]
    folder = work / "data" / "csl"
    return {"train": _write(folder / "train.tsv", rows[:900]), "dev": _write(folder / "dev.tsv", rows[950:]),
            "test": _write(folder / "test.tsv", test[:TEST_ROWS])}


def _couplet_rows() -> list[tuple[str, str]]:
    """The training couplets, shuffled with seed 0 (the order every couplet split is cut from)."""
    rows = [tuple(r) for r in _tsv(SHARED / "couplets_zh" / "zh_couplet_train.tsv") if len(r) == 2]
    random.Random(0).shuffle(rows)
    return rows


def data_couplets(work: Path) -> dict:
    rows = _couplet_rows()
    test = [tuple(r) for r in _tsv(SHARED / "couplets_zh" / "zh_couplet_test.tsv")]
    folder = work / "data" / "couplets"
    return {"train": _write(folder / "train.tsv", rows[:4000]),
            "dev": _write(folder / "dev.tsv", rows[4000:4100]), "test": _write(folder / "test.tsv", test)}


def data_b4k(work: Path) -> dict:
    folder = work / "data" / "b4k"
    files = {}
    with zipfile.ZipFile(SHARED / "sentiment_b4k" / "sentiment.zip") as archive:
        for split, name in (("train", "train"), ("dev", "valid"), ("test", "test")):
            lines = archive.read(f"sentiment/sentiment.{name}.data").decode("utf-8").splitlines()
            rows = [line.rsplit("\t", 1) for line in lines if line.strip()]
            rows = [(t[:120], y) for t, y in rows if t.strip()]
            files[split] = _write(folder / f"{split}.tsv", rows)
            if split == "train":  # the conditional LM trains on a shuffled 3,000 (CPU budget)
                random.Random(0).shuffle(rows)
                files["train_small"] = _write(folder / "train_small.tsv", rows[:3000])
    return files


def data_couplets_all(work: Path) -> dict:
    """Every training couplet but the 100 dev pairs of ``data_couplets`` (about 49,850)."""
    rows = _couplet_rows()
    files = data_couplets(work)
    return {**files, "train": _write(work / "data" / "couplets" / "train_all.tsv", rows[:4000] + rows[4100:])}


def data_b4k_all(work: Path) -> dict:
    """The whole sentiment_b4k train split (16,883 reviews) for the longer conditional LM."""
    files = data_b4k(work)
    files.pop("train_small")
    return files


DATA = {"csl": data_csl, "couplets": data_couplets, "couplets_all": data_couplets_all, "b4k": data_b4k,
        "b4k_all": data_b4k_all}
# name: (task, data, arguments)
RUNS = {
    "csl-lstm": ("seq2seq", "csl", ["--arch", "lstm", "--scratch", "1x64x4", "--maxlen", "128",
                                    "--max-target", "32", "--epochs", "4", "--batch-size", "32"]),
    "csl-lstm-nocopy": ("seq2seq", "csl", ["--arch", "lstm", "--no-copy-prior", "--scratch", "1x64x4",
                                           "--maxlen", "128", "--max-target", "32", "--epochs", "4",
                                           "--batch-size", "32"]),
    "csl-unilm": ("seq2seq", "csl", ["--arch", "unilm", "--scratch", "2x64x2", "--maxlen", "160",
                                     "--max-target", "32", "--epochs", "4", "--batch-size", "32",
                                     "--lr", "2e-3"]),
    "couplets-unilm": ("seq2seq", "couplets", ["--arch", "unilm", "--scratch", "2x64x2", "--maxlen", "64",
                                               "--max-target", "32", "--epochs", "2", "--batch-size", "32",
                                               "--lr", "2e-3"]),
    "couplets-unilm-long": ("seq2seq", "couplets_all", ["--arch", "unilm", "--scratch", "4x128x4", "--maxlen",
                                                         "64", "--max-target", "32", "--epochs", "4",
                                                         "--batch-size", "32", "--lr", "1e-3"]),
    "b4k-cond-gen": ("cond-gen", "b4k", ["--scratch", "2x64x2", "--maxlen", "32", "--epochs", "1",
                                         "--batch-size", "32", "--lr", "2e-3", "--max-new", "32",
                                         "--condition-size", "32"]),
    # the whole train split, a 4x128x4 model, five epochs
    "b4k-cond-gen-long": ("cond-gen", "b4k_all", ["--scratch", "4x128x4", "--maxlen", "64", "--epochs", "5",
                                                  "--batch-size", "32", "--lr", "1e-3", "--max-new", "48",
                                                  "--condition-size", "64"]),
}


def kexue(*argv, timeout: float | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    print("kexue " + " ".join(map(str, argv)), flush=True)
    return subprocess.run([sys.executable, "-m", "kexue.cli", *map(str, argv)], check=True, env=env,
                          cwd=ROOT, capture_output=True, text=True, timeout=timeout)


BUDGET = {"minutes": None}  # --budget: stop a training after this long, score its best epoch so far


def train_run(name: str, work: Path) -> tuple[dict, dict, float]:
    task, data, extra = RUNS[name]
    files = DATA[data](work)
    out = work / "runs" / name
    metrics_file = out / "metrics.json"
    started = time.perf_counter()
    if not (metrics_file.exists() and json.loads(metrics_file.read_text())["finished"]):
        argv = ["task", task, "train", "--train", files.get("train_small", files["train"]), "--dev",
                files["dev"], "--out", out, *extra]
        if (out / "task.json").exists():
            argv.append("--resume")
        minutes = BUDGET["minutes"]
        try:
            kexue(*argv, timeout=None if minutes is None else 60 * minutes)
        except subprocess.TimeoutExpired:
            print(f"{name}: stopped after the --budget of {minutes} minutes; scoring its best epoch so far",
                  flush=True)
    if not metrics_file.exists():
        raise NoEpoch(f"{name}: no epoch finished within the budget")
    return json.loads(metrics_file.read_text()), files, time.perf_counter() - started


class NoEpoch(RuntimeError):
    """A training stopped by --budget before its first evaluation."""


def lead_baseline(files: dict) -> dict:
    from kexue.tasks.generation_metrics import generation_scores

    train, test = _tsv(files["train"]), _tsv(files["test"])
    length = round(sum(len(t) for _, t in train) / len(train))
    return generation_scores([s[:length] for s, _ in test], [t for _, t in test])


def nearest_baseline(files: dict) -> dict:
    from kexue.tasks.generation_metrics import generation_scores, rouge_n

    train, test = _tsv(files["train"]), _tsv(files["test"])
    picked = [max(train, key=lambda pair: rouge_n(list(pair[0]), list(s), 1))[1] for s, _ in test]
    return generation_scores(picked, [t for _, t in test])


def seq2seq_result(name: str, work: Path, baseline) -> dict:
    metrics, files, seconds = train_run(name, work)
    out = work / "runs" / name
    scored = json.loads(kexue("task", "seq2seq", "eval", "--model", out, files["test"]).stdout)
    beam = json.loads(kexue("task", "seq2seq", "eval", "--model", out, files["test"], "--beams", "3").stdout)
    test = _tsv(files["test"])[:8]
    sources = work / "data" / f"{name}-samples.txt"
    sources.write_text("".join(s + "\n" for s, _ in test), encoding="utf-8")
    predicted = kexue("task", "seq2seq", "predict", "--model", out, sources, "--beams", "3").stdout.splitlines()
    return {"best_epoch": metrics["best"]["epoch"], "epochs_done": len(metrics["epochs"]),
            "finished": metrics["finished"], "dev": metrics["best"]["dev"], "test_greedy": scored,
            "test_beam3": beam, "baseline": baseline(files), "train_seconds": metrics["train_seconds"],
            "seconds": round(seconds, 1),
            "samples": [{"source": s[:60], "reference": t, "generated": p}
                        for (s, t), p in zip(test, predicted)]}


class NaiveBayes:
    """Multinomial naive Bayes on character unigrams and bigrams (Laplace smoothing): the
    separately trained judge of the generated texts."""

    def __init__(self, rows):
        self.counts = {label: Counter() for _, label in rows}
        for text, label in rows:
            self.counts[label].update(self.features(text))
        self.vocab = set().union(*self.counts.values())
        self.prior = Counter(label for _, label in rows)

    @staticmethod
    def features(text: str) -> list[str]:
        return list(text) + [text[i : i + 2] for i in range(len(text) - 1)]

    def predict(self, text: str) -> str:
        import math

        def score(label):
            counts, total = self.counts[label], sum(self.counts[label].values()) + len(self.vocab)
            return math.log(self.prior[label]) + sum(math.log((counts[f] + 1) / total)
                                                      for f in self.features(text) if f in self.vocab)

        return max(self.counts, key=score)


def cond_gen_result(work: Path, name: str = "b4k-cond-gen") -> dict:
    metrics, files, seconds = train_run(name, work)
    judge = NaiveBayes([tuple(r) for r in _tsv(files["train"])])
    test = _tsv(files["test"])
    judge_accuracy = sum(judge.predict(t) == y for t, y in test) / len(test)
    out = work / "runs" / name
    requests = work / "data" / "cond-gen-requests.txt"
    requests.write_text("1\n" * 100 + "0\n" * 100, encoding="utf-8")
    texts = kexue("task", "cond-gen", "predict", "--model", out, requests).stdout.splitlines()
    predicted = [judge.predict(t) for t in texts]
    wanted = ["1"] * 100 + ["0"] * 100
    return {"class_accuracy_of_generated": sum(p == w for p, w in zip(predicted, wanted)) / len(wanted),
            "per_class": {c: sum(p == w for p, w in zip(predicted, wanted) if w == c) / 100 for c in "10"},
            "judge_test_accuracy": judge_accuracy, "dev": metrics["best"]["dev"],
            "epochs_done": len(metrics["epochs"]), "finished": metrics["finished"],
            "train_seconds": metrics["train_seconds"], "seconds": round(seconds, 1),
            "distinct_texts": len(set(texts)), "mean_length": sum(map(len, texts)) / len(texts),
            "samples": {"1": texts[:6], "0": texts[100:106]}}


RESULTS = {
    "csl-lstm": lambda work: seq2seq_result("csl-lstm", work, lead_baseline),
    "csl-lstm-nocopy": lambda work: seq2seq_result("csl-lstm-nocopy", work, lead_baseline),
    "csl-unilm": lambda work: seq2seq_result("csl-unilm", work, lead_baseline),
    "couplets-unilm": lambda work: seq2seq_result("couplets-unilm", work, nearest_baseline),
    "couplets-unilm-long": lambda work: seq2seq_result("couplets-unilm-long", work, nearest_baseline),
    "cond-gen": cond_gen_result,
    "cond-gen-long": lambda work: cond_gen_result(work, "b4k-cond-gen-long"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="runs to do (default: all)")
    parser.add_argument("--work", type=Path, default=Path("recipe-runs"), help="data and runs folder")
    parser.add_argument("--list", action="store_true", help="list the runs and exit")
    parser.add_argument("--full-test", action="store_true", help="score CSL on all 1,000 test rows")
    parser.add_argument("--budget", type=float, metavar="MINUTES",
                        help="stop each training after MINUTES (it stays resumable) and score its best epoch")
    args = parser.parse_args()
    BUDGET["minutes"] = args.budget
    global TEST_ROWS
    TEST_ROWS = None if args.full_test else TEST_ROWS
    if args.list:
        print("\n".join(RESULTS))
        return
    work = args.work.resolve()
    results_file = work / "results_generation.json"
    results = json.loads(results_file.read_text()) if results_file.exists() else {}
    for name in args.names or list(RESULTS):
        if name not in RESULTS:
            raise SystemExit(f"unknown run {name!r}; the runs are: {', '.join(RESULTS)}")
        try:
            results[name] = RESULTS[name](work)
        except NoEpoch as error:
            results[name] = {"status": str(error)}
        print(json.dumps({name: results[name]}, ensure_ascii=False, indent=1), flush=True)
        work.mkdir(parents=True, exist_ok=True)
        results_file.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
