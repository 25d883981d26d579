"""Reproduce the recipe figures of docs/tasks: each run is the documented `kexue task` command,
next to a strong simple baseline computed in the same script.

    nice -n 10 .venv/bin/python benchmarks/recipes.py [NAME ...] [--work DIR] [--fresh] [--list]

NAME picks runs (default: all, in the order listed by --list; a run that needs another, such as
fine-tuning from the MLM-pretrained model, runs it first). Data come from ../shared/data and are
written, split and converted, under WORK/data (never into the repository); runs go to WORK/runs.
A finished run is not trained again (its metrics.json is read) unless --fresh; an interrupted
one continues with --resume. The results table is printed and written to WORK/results.json.

Splits: waimai_10k has none, so it is shuffled with seed 0 into 81% train / 9% dev / 10% test
(the baseline and the model both learn from train and choose with dev); sentiment_b4k,
csl_discipline (title -> 13 categories), SST-2 (test = GLUE dev) and Chinese STS-B keep theirs.
The figures are accuracy on test (Spearman for STS-B, top-1 retrieval for the paraphrase
groups) of the best-on-dev epoch, with the training wall time on this machine.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
if not SHARED.is_dir():  # a worktree: the shared folder sits beside the checkouts
    SHARED = Path("/work/shared/data")


def _clean(text: str) -> str:
    return " ".join(text.replace("\t", " ").split())


def _write_tsv(path: Path, rows) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write("\t".join(_clean(str(v)) for v in row) + "\n")
    return path


def data_waimai(work: Path) -> dict:
    with open(SHARED / "waimai_10k" / "waimai_10k.csv", encoding="utf-8", newline="") as handle:
        rows = [(r["review"], r["label"]) for r in csv.DictReader(handle) if r["review"].strip()]
    random.Random(0).shuffle(rows)
    n_test, n_dev = len(rows) // 10, len(rows) * 9 // 100
    test, dev, train = rows[:n_test], rows[n_test : n_test + n_dev], rows[n_test + n_dev :]
    folder = work / "data" / "waimai"
    return {name: _write_tsv(folder / f"{name}.tsv", part)
            for name, part in (("train", train), ("dev", dev), ("test", test))}


def data_b4k(work: Path) -> dict:
    folder = work / "data" / "sentiment_b4k"
    out = {}
    with zipfile.ZipFile(SHARED / "sentiment_b4k" / "sentiment.zip") as archive:
        for name, member in (("train", "train"), ("dev", "valid"), ("test", "test")):
            lines = archive.read(f"sentiment/sentiment.{member}.data").decode("utf-8").splitlines()
            out[name] = _write_tsv(folder / f"{name}.tsv", (line.split("\t") for line in lines if line.strip()))
    return out


def data_csl(work: Path) -> dict:
    folder = work / "data" / "csl_discipline"
    out = {}
    for name in ("train", "dev", "test"):
        lines = (SHARED / "csl_discipline" / f"{name}.tsv").read_text(encoding="utf-8").splitlines()
        out[name] = _write_tsv(folder / f"{name}.tsv", (line.split("\t")[1:] for line in lines if line.strip()))
    return out


def data_sst2(work: Path) -> dict:
    return {name: SHARED / "sst2" / f"{name}.tsv" for name in ("train", "dev", "test")}


def data_stsb(work: Path) -> dict:
    names = {"train": "train", "dev": "valid", "test": "test"}
    return {name: SHARED / "sts_b_zh" / f"STS-B.{member}.data" for name, member in names.items()}


def data_corpus(work: Path) -> dict:
    """Unlabelled Chinese text for MLM pretraining: the two novels, the reviews of
    online_shopping_10_cats and chnsenticorp_htl, and the CSL titles and abstracts. None of the
    waimai reviews (the fine-tuning task) are in it."""
    folder = work / "data" / "corpus"
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for name in ("hongloumeng", "shuihu"):
        text = (SHARED / "novels_zh" / f"{name}.txt").read_text(encoding="utf-8")
        out[name] = _write_lines(folder / f"{name}.txt", text.splitlines())
    with zipfile.ZipFile(SHARED / "online_shopping_10_cats" / "online_shopping_10_cats.zip") as archive:
        member = next(n for n in archive.namelist() if n.endswith(".csv"))
        rows = csv.DictReader(archive.read(member).decode("utf-8").splitlines())
        out["shopping"] = _write_lines(folder / "shopping.txt", (r["review"] for r in rows))
    with open(SHARED / "chnsenticorp_htl" / "ChnSentiCorp_htl_all.csv", encoding="utf-8") as handle:
        out["hotel"] = _write_lines(folder / "hotel.txt", (r["review"] for r in csv.DictReader(handle)))
    papers = []
    for split in ("dev", "test"):
        for line in (SHARED / "csl_title" / f"{split}.tsv").read_text(encoding="utf-8").splitlines():
            papers += line.split("\t")[1:]
    for split in ("train", "dev", "test"):
        for line in (SHARED / "csl_discipline" / f"{split}.tsv").read_text(encoding="utf-8").splitlines():
            papers += line.split("\t")[1:2]
    out["papers"] = _write_lines(folder / "papers.txt", papers)
    return out


def _write_lines(path: Path, lines) -> Path:
    with open(path, "w", encoding="utf-8") as handle:
        for line in lines:
            line = _clean(line or "")
            if line:
                handle.write(line + "\n")
    return path


DATA = {"waimai": data_waimai, "b4k": data_b4k, "csl": data_csl, "sst2": data_sst2,
        "stsb": data_stsb, "corpus": data_corpus}


def tfidf_baseline(files: dict, analyzer: str, ngrams: tuple[int, int]) -> dict:
    """TF-IDF + logistic regression; C chosen on dev among 1, 4, 16, refitted on train."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, f1_score

    from kexue.tasks.data import read_labelled_texts

    split = {name: read_labelled_texts(path) for name, path in files.items()}
    started = time.perf_counter()
    vectorizer = TfidfVectorizer(analyzer=analyzer, ngram_range=ngrams, sublinear_tf=True, min_df=1)
    x_train = vectorizer.fit_transform([e.text for e in split["train"]])
    y = {name: [e.label for e in examples] for name, examples in split.items()}
    best = None
    for c in (1.0, 4.0, 16.0):
        model = LogisticRegression(C=c, max_iter=2000).fit(x_train, y["train"])
        score = accuracy_score(y["dev"], model.predict(vectorizer.transform([e.text for e in split["dev"]])))
        if best is None or score > best[0]:
            best = (score, c, model)
    predicted = best[2].predict(vectorizer.transform([e.text for e in split["test"]]))
    return {"accuracy": float(accuracy_score(y["test"], predicted)),
            "macro_f1": float(f1_score(y["test"], predicted, average="macro")),
            "C": best[1], "seconds": round(time.perf_counter() - started, 1)}


def tfidf_cosine_baseline(files: dict) -> dict:
    """Untrained pair scorer: cosine of TF-IDF vectors (character 1-2-grams fitted on the
    training sentences); Spearman against the gold scores of test (and dev)."""
    from scipy.stats import spearmanr
    from sklearn.feature_extraction.text import TfidfVectorizer

    def rows(path):
        parts = (line.rstrip("\n").split("\t") for line in open(path, encoding="utf-8"))
        return [(p[0], p[1], float(p[2])) for p in parts if len(p) >= 3]

    train = rows(files["train"])
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), sublinear_tf=True)
    vectorizer.fit([a for a, _, _ in train] + [b for _, b, _ in train])
    out = {}
    for split in ("test", "dev"):
        pairs = rows(files[split])
        a = vectorizer.transform([p[0] for p in pairs])
        b = vectorizer.transform([p[1] for p in pairs])
        cosine = a.multiply(b).sum(axis=1).A.ravel()
        key = "spearman" if split == "test" else "dev_spearman"
        out[key] = float(spearmanr(cosine, [p[2] for p in pairs]).correlation)
    return out


def minilm() -> str:
    from kexue.resources import minilm_dir

    return str(minilm_dir())


def data_sst2_10k(work: Path) -> dict:
    """SST-2 with 10,000 training phrases drawn with seed 0 (a CPU budget; dev and test whole)."""
    from kexue.tasks.data import read_labelled_texts

    rows = read_labelled_texts(SHARED / "sst2" / "train.tsv")
    chosen = random.Random(0).sample(rows, 10_000)
    return {"train": _write_tsv(work / "data" / "sst2_10k" / "train.tsv", ((e.text, e.label) for e in chosen)),
            "dev": SHARED / "sst2" / "dev.tsv", "test": SHARED / "sst2" / "test.tsv"}


DATA["sst2_10k"] = data_sst2_10k


def waimai_first(rows: int):
    """Data of the first ``rows`` rows of the waimai training split (dev and test whole): the
    labelled-data budgets at which pretraining is compared with scratch."""

    def data(work: Path) -> dict:
        files = data_waimai(work)
        lines = files["train"].read_text(encoding="utf-8").splitlines()
        folder = work / "data" / f"waimai_{rows}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "train.tsv").write_text("\n".join(lines[:rows]) + "\n", encoding="utf-8")
        return {**files, "train": folder / "train.tsv"}

    return data


DATA["waimai_1k"] = waimai_first(1000)
DATA["waimai_200"] = waimai_first(200)

SCRATCH = ["--scratch", "tiny", "--pooling", "mean", "--batch-size", "32"]
SHORT = ["--pooling", "mean", "--batch-size", "32", "--maxlen", "64", "--epochs", "2"]
# the pretraining comparison uses a quarter of "tiny" (4 layers x 128 x 4 heads): on 2 CPU cores
# shared with other work, that is what several thousand pretraining steps afford
QUARTER = ["--scratch", "4x128x4"]
MLM = "{work}/runs/pretrain-mlm"
MLM_LONG = "{work}/runs/pretrain-mlm-long"
SMALL_DATA = ["--pooling", "mean", "--batch-size", "32", "--maxlen", "64"]
# Each run: the task and action, its data, its arguments, the figure (metric, target) and the
# baseline computed beside it (TF-IDF analyzer and n-grams), and the runs it needs first.
RUNS = {
    "waimai-scratch": dict(task="classify", data="waimai", args=SCRATCH + ["--maxlen", "128", "--epochs", "8"],
                           metric="accuracy", target=0.88, baseline=("char", (1, 3))),
    "pretrain-mlm": dict(task="pretrain", action="mlm", data="corpus", metric="accuracy",
                         args=QUARTER + ["--maxlen", "64", "--batch-size", "32", "--steps", "1500",
                                         "--lr", "1e-3", "--min-count", "2"]),
    "waimai-scratch-short": dict(task="classify", data="waimai", args=QUARTER + SHORT,
                                 metric="accuracy", baseline=("char", (1, 3))),
    "waimai-mlm-short": dict(task="classify", data="waimai", args=["--checkpoint", MLM, "--lr", "5e-4"] + SHORT,
                             metric="accuracy", needs=["pretrain-mlm"]),
    "stsb-cross": dict(task="similarity", data="stsb", needs=["pretrain-mlm"], metric="spearman",
                       args=["--checkpoint", MLM, "--lr", "5e-4", "--epochs", "4", "--maxlen", "64"]),
    # 1,170 paraphrase groups of about 2 sentences: 75 steps an epoch, so more epochs
    "stsb-siamese-am": dict(task="similarity", data="stsb", needs=["pretrain-mlm"], metric="top1",
                            args=["--checkpoint", MLM, "--mode", "siamese", "--loss", "am-softmax",
                                  "--lr", "5e-4", "--epochs", "10", "--maxlen", "64"]),
    "stsb-siamese-softmax": dict(task="similarity", data="stsb", needs=["pretrain-mlm"], metric="top1",
                                 args=["--checkpoint", MLM, "--mode", "siamese", "--loss", "softmax",
                                       "--lr", "5e-4", "--epochs", "10", "--maxlen", "64"]),
    "csl-scratch": dict(task="classify", data="csl", metric="accuracy", baseline=("char", (1, 3)),
                        args=SCRATCH + ["--maxlen", "64", "--epochs", "5"]),
    "b4k-scratch": dict(task="classify", data="b4k", metric="accuracy", baseline=("char", (1, 3)),
                        args=SCRATCH + ["--maxlen", "128", "--epochs", "3"]),
    # the same comparison after 8,000 pretraining steps, with the whole training split and with 1,000
    # labelled rows (where pretraining has the most to give), each at one fine-tuning budget
    "pretrain-mlm-long": dict(task="pretrain", action="mlm", data="corpus", metric="accuracy",
                              args=QUARTER + ["--maxlen", "64", "--batch-size", "32", "--steps", "8000",
                                              "--lr", "1e-3", "--min-count", "2"]),
    "waimai-mlm-long-short": dict(task="classify", data="waimai", args=["--checkpoint", MLM_LONG, "--lr", "5e-4"]
                                  + SHORT, metric="accuracy", needs=["pretrain-mlm-long"]),
    "waimai1k-scratch": dict(task="classify", data="waimai_1k", args=QUARTER + SMALL_DATA + ["--epochs", "10"], metric="accuracy",
                             baseline=("char", (1, 3))),
    "waimai1k-mlm-long": dict(task="classify", data="waimai_1k", metric="accuracy", needs=["pretrain-mlm-long"],
                              args=["--checkpoint", MLM_LONG, "--lr", "5e-4"] + SMALL_DATA + ["--epochs", "10"]),
    # 200 labelled rows, and the pretrained model at a fine-tuning rate of 1e-4 (scratch as well)
    "waimai200-scratch": dict(task="classify", data="waimai_200", args=QUARTER + SMALL_DATA + ["--epochs", "30"],
                              metric="accuracy", baseline=("char", (1, 3))),
    "waimai200-mlm-long": dict(task="classify", data="waimai_200", metric="accuracy", needs=["pretrain-mlm-long"],
                               args=["--checkpoint", MLM_LONG, "--lr", "5e-4"] + SMALL_DATA + ["--epochs", "30"]),
    "waimai1k-scratch-lr1e-4": dict(task="classify", data="waimai_1k", metric="accuracy",
                                    args=QUARTER + SMALL_DATA + ["--epochs", "10", "--lr", "1e-4"]),
    "waimai1k-mlm-long-lr1e-4": dict(task="classify", data="waimai_1k", metric="accuracy",
                                     needs=["pretrain-mlm-long"],
                                     args=["--checkpoint", MLM_LONG, "--lr", "1e-4"] + SMALL_DATA + ["--epochs", "10"]),
    # STS-B from the longer pretraining and from scratch (same 4x128x4 shape, same budget)
    "stsb-siamese-am-mlm-long": dict(task="similarity", data="stsb", needs=["pretrain-mlm-long"], metric="top1",
                                     args=["--checkpoint", MLM_LONG, "--mode", "siamese", "--loss", "am-softmax",
                                           "--lr", "5e-4", "--epochs", "10", "--maxlen", "64"]),
    "stsb-siamese-am-scratch": dict(task="similarity", data="stsb", metric="top1",
                                    args=QUARTER + ["--mode", "siamese", "--loss", "am-softmax",
                                                    "--lr", "5e-4", "--epochs", "10", "--maxlen", "64"]),
    # the whole SST-2 training split (60,614 phrases), two epochs
    "sst2-full-minilm": dict(task="classify", data="sst2", metric="accuracy", target=0.88,
                             baseline=("word", (1, 2)),
                             args=["--checkpoint", "{minilm}", "--epochs", "2", "--batch-size", "32",
                                   "--maxlen", "64", "--lr", "5e-5", "--warmup", "0.06", "--pooling", "mean"]),
    "sst2-minilm": dict(task="classify", data="sst2_10k", metric="accuracy", target=0.88,
                        baseline=("word", (1, 2)),
                        args=["--checkpoint", "{minilm}", "--epochs", "1", "--batch-size", "32",
                              "--maxlen", "64", "--lr", "1e-4", "--pooling", "mean"]),
}


def run_command(name: str, work: Path, fresh: bool) -> tuple[dict, float]:
    spec = RUNS[name]
    files = DATA[spec["data"]](work)
    out = work / "runs" / name
    metrics_file = out / "metrics.json"
    if fresh and out.exists():
        import shutil

        shutil.rmtree(out)
    if metrics_file.exists() and json.loads(metrics_file.read_text())["finished"]:
        metrics = json.loads(metrics_file.read_text())
        return metrics, metrics["train_seconds"]
    values = {"minilm": minilm(), "work": str(work)}
    argv = ["task", spec["task"], spec.get("action", "train")]
    if spec["task"] == "pretrain":
        argv += ["--corpus", *map(str, files.values())]
    else:
        argv += [f"--{k}={v}" for k, v in files.items() if k in ("train", "dev", "test")]
    argv += ["--out", str(out)] + [a.format(**values) for a in spec["args"]]
    if (out / "task.json").exists():
        argv.append("--resume")
    print("kexue " + " ".join(argv), flush=True)
    started = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-m", "kexue.cli", *argv], check=True, env=env, cwd=ROOT)
    return json.loads(metrics_file.read_text()), time.perf_counter() - started


def report(name: str, work: Path, fresh: bool, results: dict) -> None:
    spec = RUNS[name]
    for need in spec.get("needs", []):
        if need not in results:
            report(need, work, False, results)
    metric, target = spec["metric"], spec.get("target")
    metrics, seconds = run_command(name, work, fresh)
    best = metrics["best"]
    row = {"metric": metric, "dev": best["dev"][metric], "test": (best.get("test") or {}).get(metric),
           "epoch": best["epoch"], "steps": metrics["steps"], "seconds": round(seconds), "target": target,
           "dev_all": best["dev"], "test_all": best.get("test")}
    if spec.get("baseline"):
        row["baseline"] = tfidf_baseline(DATA[spec["data"]](work), *spec["baseline"])
    elif name == "stsb-cross":
        row["baseline"] = tfidf_cosine_baseline(DATA["stsb"](work))
    results[name] = row
    shown = row["test"] if row["test"] is not None else row["dev"]
    base = row.get("baseline", {}).get(metric)
    print(f"{name}: {'test' if row['test'] is not None else 'dev'} {metric} {shown:.4f} "
          f"(best epoch {row['epoch']}, {row['steps']} steps, {row['seconds']} s)"
          + (f"; TF-IDF + LR {base:.4f}" if base is not None else "")
          + (f"; target {target}" if target else ""), flush=True)


def markdown_table(results: dict, names: list[str]) -> str:
    """The docs' table: one row per run (test figure, dev figure, baseline, budget, time)."""
    lines = ["| run | test | dev | TF-IDF + LR (test) | steps | wall time |", "| --- | --- | --- | --- | --- | --- |"]
    for name in names or list(results):
        row = results[name]
        metric = row["metric"]
        extra = {"accuracy": "macro_f1"}.get(metric)
        test = "—" if row["test"] is None else f"{metric} {row['test']:.4f}"
        if extra and row.get("test_all"):
            test += f", {extra.replace('_', '-')} {row['test_all'][extra]:.4f}"
        base = row.get("baseline")
        base_text = f"{base[metric]:.4f}" + (f" (macro-F1 {base['macro_f1']:.4f})" if extra else "") if base else "—"
        lines.append(f"| `{name}` | {test} | {metric} {row['dev']:.4f} (epoch {row['epoch']}) | {base_text} "
                     f"| {row['steps']} | {row['seconds'] / 60:.0f} min |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="runs to do (default: all)")
    parser.add_argument("--work", type=Path, default=Path("recipe-runs"), help="data and runs folder")
    parser.add_argument("--fresh", action="store_true", help="train again even if finished")
    parser.add_argument("--list", action="store_true", help="list the runs and exit")
    parser.add_argument("--table", action="store_true", help="print WORK/results.json as a Markdown table")
    args = parser.parse_args()
    if args.list:
        for name, spec in RUNS.items():
            print(f"{name:<22} kexue task {spec['task']} {spec.get('action', 'train')} ... {' '.join(spec['args'])}")
        return
    if args.table:
        print(markdown_table(json.loads((args.work / "results.json").read_text()), args.names))
        return
    unknown = set(args.names) - set(RUNS)
    if unknown:
        sys.exit(f"unknown runs {sorted(unknown)}; see --list")
    results_file = args.work / "results.json"
    results = json.loads(results_file.read_text()) if results_file.exists() else {}
    for name in args.names or list(RUNS):
        report(name, args.work, args.fresh, results)
        # re-read before writing: several of these scripts may share one --work folder
        merged = json.loads(results_file.read_text()) if results_file.exists() else {}
        merged[name] = results[name]
        results_file.write_text(json.dumps(merged, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
