"""Shared by the task-recipe tests: tiny synthetic data sets and the options of a tiny run."""

from __future__ import annotations

import random
from pathlib import Path

POSITIVE = "好吃 不错 很快 满意 新鲜 推荐 喜欢 很棒".split()
NEGATIVE = "难吃 太慢 失望 冷了 差劲 不好 糟糕 太贵".split()
FILLER = "外卖 味道 送餐 这家 今天 米饭 服务 菜品 包装 分量".split()

# a 2-layer, hidden-32 model: a few seconds per run on 2 cores
TINY = ["--scratch", "2x32x4", "--batch-size", "16", "--lr", "3e-3", "--quiet"]


def review(rng: random.Random, positive: bool) -> str:
    words = rng.sample(FILLER, 2) + rng.sample(POSITIVE if positive else NEGATIVE, 2)
    rng.shuffle(words)
    return "".join(words)


def write_reviews(path: Path, count: int, seed: int) -> Path:
    """``count`` rows of ``review<TAB>label`` (1 = positive): two sentiment words among fillers."""
    rng = random.Random(seed)
    rows = []
    for _ in range(count):
        positive = rng.random() < 0.5
        rows.append(f"{review(rng, positive)}\t{int(positive)}\n")
    path.write_text("".join(rows), encoding="utf-8")
    return path


def reviews(folder: Path, train: int = 192, dev: int = 48) -> tuple[Path, Path]:
    return write_reviews(folder / "train.tsv", train, 1), write_reviews(folder / "dev.tsv", dev, 2)


def write_pairs(path: Path, count: int, seed: int, rule: str = "agree") -> Path:
    """``a<TAB>b<TAB>score`` rows of two reviews. ``agree``: 4-5 when they agree in sentiment,
    0-1 when not (pairs scored 4-5 join their reviews into paraphrase groups); ``sum``:
    2 per positive review plus 0 or 1 (what a small model learns in a few steps)."""
    rng = random.Random(seed)
    rows = []
    for _ in range(count):
        first, second = rng.random() < 0.5, rng.random() < 0.5
        if rule == "sum":
            score = 2 * first + 2 * second + rng.choice((0, 1))
        else:
            score = rng.choice((4, 5)) if first == second else rng.choice((0, 1))
        rows.append(f"{review(rng, first)}\t{review(rng, second)}\t{score}\n")
    path.write_text("".join(rows), encoding="utf-8")
    return path
