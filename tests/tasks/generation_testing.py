"""Shared by the generation recipe tests: tiny synthetic source -> target sets and the options
of a tiny run."""

from __future__ import annotations

import random
from pathlib import Path

ALPHABET = "一二三四五六七八"
WIDE_ALPHABET = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥金木水火土日月星风云雨雪山川"

# a 2-layer, hidden-32 model on short texts: seconds per epoch on 2 cores
TINY = ["--scratch", "2x32x4", "--batch-size", "16", "--lr", "5e-3", "--maxlen", "16",
        "--max-target", "8", "--quiet"]


def write_pairs(path: Path, count: int, seed: int, task: str = "copy", alphabet: str = ALPHABET,
                lengths: tuple[int, int] = (3, 5)) -> Path:
    """``count`` rows of ``source<TAB>target``: ``copy`` (target = source), ``reverse``, or
    ``every-other`` (the source's 1st, 3rd, 5th... characters: every target character is in
    the source, the copy prior's case)."""
    rng = random.Random(seed)
    rows = []
    for _ in range(count):
        source = "".join(rng.choice(alphabet) for _ in range(rng.randint(*lengths)))
        target = {"copy": source, "reverse": source[::-1], "every-other": source[::2]}[task]
        rows.append(f"{source}\t{target}\n")
    path.write_text("".join(rows), encoding="utf-8")
    return path


def pairs(folder: Path, task: str = "copy", train: int = 256, dev: int = 32, **kwargs) -> tuple[Path, Path]:
    return (write_pairs(folder / "train.tsv", train, 1, task, **kwargs),
            write_pairs(folder / "dev.tsv", dev, 2, task, **kwargs))
