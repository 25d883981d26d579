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


def model_weights(path: Path) -> list:
    import keras

    return [keras.ops.convert_to_numpy(v) for v in keras.saving.load_model(path, compile=False).weights]


def check_resume_after_sigkill(recipe: str, train_file: Path, dev_file: Path, folder: Path, kill_at: int,
                               kwargs: dict) -> tuple[Path, Path]:
    """Train ``recipe`` uninterrupted, then again in a subprocess SIGKILLed after step
    ``kill_at`` and resumed; the two best models must have the same weights. Returns the
    resumed and the reference run folders."""
    import json
    import os
    import signal
    import subprocess
    import sys

    import numpy as np

    from kexue.tasks import train

    reference, out = folder / "reference", folder / "resumed"
    train(recipe, train=train_file, dev=dev_file, out=reference, progress=False, **kwargs)
    worker = Path(__file__).with_name("generation_kill_worker.py")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    killed = subprocess.run([sys.executable, str(worker), recipe, str(train_file), str(dev_file), str(out),
                             str(kill_at), json.dumps(kwargs)], env=env, capture_output=True, text=True,
                            timeout=600)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    assert (out / "train_state.npz").exists()
    train(recipe, train=train_file, dev=dev_file, out=out, resume=True, progress=False, **kwargs)
    for ours, theirs in zip(model_weights(out / "model.keras"), model_weights(reference / "model.keras")):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6)
    return out, reference
