"""The figures of the small posts' pages, asserted (slow: each trains; `make test-slow`).

They call benchmarks/posts.py, which prints the pages' tables, with its settings and seed 0.
"""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow


def _posts():
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "posts.py"
    spec = importlib.util.spec_from_file_location("benchmark_posts", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_capsules_two_digits():
    rows = {r["head"]: r for r in _posts().run_capsules(seeds=(0,))}
    print({head: round(r["pair_accuracy"], 3) for head, r in rows.items()})
    assert rows["capsule"]["pair_accuracy"] >= 0.9
    assert rows["capsule"]["pair_accuracy"] >= rows["average"]["pair_accuracy"] + 0.2
    assert min(r["single_accuracy"] for r in rows.values()) >= 0.95  # all learned the digits


def test_attention_order_task():
    rows = {r["position"]: r["final"] for r in _posts().run_attention(seeds=(0,))}
    print(rows)
    assert rows["sinusoidal"] >= 0.95 and rows["learned"] >= 0.95
    assert rows["none"] <= 0.6  # chance by construction


def test_mixup_gap():
    rows = {r["method"]: r for r in _posts().run_mixup(seeds=(0,))}
    print({m: (round(r["train_final"], 3), round(r["val_final"], 3)) for m, r in rows.items()})
    assert rows["mixup"]["gap"] < rows["plain"]["gap"]
    assert rows["mixup"]["val_final"] > rows["plain"]["val_final"]


def test_finetune_recipe():
    row = _posts().run_finetune(seeds=(0,))[0]
    print(row)
    final = row["recipe: pseudo-labels"]
    assert final >= 0.9 and row["pseudo-label accuracy"] >= 0.95
    assert final > row["recipe: head"]  # the later stages add to the head-only model


def test_saliency_worked_example():
    result = _posts().run_saliency()
    print(result["accuracy"], result["top_words"], result["bottom_words"])
    assert result["accuracy"] >= 0.85
    assert len(result["examples"]) == 8 and all(len(e["top"]) == 3 for e in result["examples"])
    assert np.isfinite(result["seconds"])
