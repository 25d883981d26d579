"""Does MLM pretraining beat training from scratch at the same fine-tuning budget? A sweep over
labelled-data sizes, fine-tuning budgets and seeds, on the waimai split of benchmarks/recipes.py.

    KERAS_BACKEND=torch OMP_NUM_THREADS=1 .venv/bin/python benchmarks/pretraining_benefit.py \\
        [--rows 200 1000] [--epochs 1 2 3 5] [--seeds 0 1 2] [--work DIR]

Both sides are the same 4-layer x 128 x 4-head BERT with mean pooling, batch 32, maxlen 64,
learning rate 5e-4 (linear decay, best-on-dev epoch): one starts from the encoder that
``recipes.py pretrain-mlm-long`` pretrains (8,000 MLM steps on novels, other review sets and
paper abstracts; no waimai text), the other from random weights with a vocabulary of its
training rows. Each (rows, epochs, seed, start) is its own `kexue task classify train` run,
reused when it has finished. The table gives test accuracy, mean and standard deviation over
the seeds, and the difference pretrained - scratch (a paired mean over seeds).
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

import recipes

SHAPE = ["--pooling", "mean", "--batch-size", "32", "--maxlen", "64", "--lr", "5e-4"]
STARTS = {"scratch": recipes.QUARTER, "mlm": ["--checkpoint", recipes.MLM_LONG]}


def run_name(rows: int, epochs: int, seed: int, start: str) -> str:
    return f"benefit-waimai{rows}-{start}-e{epochs}-s{seed}"


def add_runs(rows: int, epochs: int, seed: int) -> None:
    """Register the two runs of one cell in recipes.RUNS (same data, budget and seed)."""
    if f"waimai_{rows}" not in recipes.DATA:
        recipes.DATA[f"waimai_{rows}"] = recipes.waimai_first(rows)
    for start, args in STARTS.items():
        recipes.RUNS[run_name(rows, epochs, seed, start)] = dict(
            task="classify", data=f"waimai_{rows}", metric="accuracy",
            needs=["pretrain-mlm-long"] if start == "mlm" else [],
            args=args + SHAPE + ["--epochs", str(epochs), "--seed", str(seed)])


def table(results: dict, rows_list, epochs_list, seeds) -> str:
    lines = ["| labelled rows | fine-tuning epochs (steps) | scratch | MLM-pretrained | pretrained - scratch |",
             "| --- | --- | --- | --- | --- |"]
    for rows in rows_list:
        for epochs in epochs_list:
            score = {start: [results[run_name(rows, epochs, s, start)]["test"] for s in seeds]
                     for start in STARTS}
            gains = [m - s for m, s in zip(score["mlm"], score["scratch"])]
            steps = results[run_name(rows, epochs, seeds[0], "mlm")]["steps"]

            def cell(values):
                spread = statistics.stdev(values) if len(values) > 1 else 0.0
                return f"{statistics.mean(values):.4f} ± {spread:.4f}"

            wins = sum(g > 0 for g in gains)
            lines.append(f"| {rows} | {epochs} ({steps}) | {cell(score['scratch'])} | {cell(score['mlm'])} "
                         f"| {statistics.mean(gains):+.4f} ({wins}/{len(gains)} seeds better) |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--epochs", type=int, nargs="+", default=[1, 2, 3, 5])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--work", type=Path, default=Path("recipe-runs"))
    args = parser.parse_args()
    results: dict = {}
    for seed in args.seeds:  # seed-major: an interrupted sweep already has whole seeds
        for rows in args.rows:
            for epochs in args.epochs:
                add_runs(rows, epochs, seed)
                for start in STARTS:
                    recipes.report(run_name(rows, epochs, seed, start), args.work, False, results)
    text = table(results, args.rows, args.epochs, args.seeds)
    print(text)
    out = args.work / "pretraining_benefit.json"
    out.write_text(json.dumps({"table": text, "runs": {k: v for k, v in results.items() if k.startswith("benefit-")}},
                              indent=1, ensure_ascii=False) + "\n")
    print(f"(written to {out})")


if __name__ == "__main__":
    main()
