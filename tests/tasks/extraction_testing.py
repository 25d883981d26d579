"""Shared by the extraction recipe tests: tiny synthetic data (segmented sentences, entity
texts with Latin words, digits, full-width characters and spaces, triples, reading
comprehension) and the check that a SIGKILLed run resumes to an uninterrupted one."""

from __future__ import annotations

import csv
import json
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np

from kexue.cli import main

# a 2-layer, hidden-32 model; maxlen 64 keeps every step small
TINY = ["--scratch", "2x32x4", "--batch-size", "16", "--lr", "5e-3", "--maxlen", "64", "--quiet"]
TINY_API = {"scratch": "2x32x4", "batch_size": 16, "lr": 5e-3, "maxlen": 64}

LEXICON = ("我们 今天 北京 天气 很好 学习 中文 分词 模型 训练 数据 人民 日报 发表 文章 经济 "
           "发展 的 了 在 和 是 也 新 年").split()
PEOPLE = ["张伟", "李娜", "王小明", "John Smith", "ＡＬＩＣＥ", "赵 四"]
PLACES = ["北京", "上海", "New York", "深圳湾", "ＴＯＫＹＯ", "2号楼"]
FILLERS = ["在", "去了", "住在", "2019年到", "喜欢", "回到 了"]


def segmented_line(rng: random.Random) -> str:
    return "  ".join(rng.choice(LEXICON) for _ in range(rng.randint(4, 10)))


def write_segmented(path: Path, count: int, seed: int, newline: str = "\n") -> Path:
    rng = random.Random(seed)
    path.write_text(newline.join(segmented_line(rng) for _ in range(count)) + newline,
                    encoding="utf-8", newline="")
    return path


def entity_text(rng: random.Random) -> tuple[str, list]:
    """``PERSON FILLER PLACE`` with varied spacing; entity spans end exclusive."""
    person, filler, place = rng.choice(PEOPLE), rng.choice(FILLERS), rng.choice(PLACES)
    text, entities = "", []
    for part, kind in ((person, "PER"), (filler, None), (place, "LOC"), ("。", None)):
        if kind:
            entities.append([len(text), len(text) + len(part), kind])
        text += part
    return text, entities


def write_json_lines(path: Path, count: int, seed: int, make, field: str) -> Path:
    """``count`` JSON lines ``{"text", field}`` from ``make(rng) -> (text, value)``."""
    rng = random.Random(seed)
    rows = []
    for _ in range(count):
        text, value = make(rng)
        rows.append(json.dumps({"text": text, field: value}, ensure_ascii=False))
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def write_entity_lines(path: Path, count: int, seed: int) -> Path:
    return write_json_lines(path, count, seed, entity_text, "entities")


def model_weights(path: Path) -> list:
    return [keras.ops.convert_to_numpy(v) for v in keras.saving.load_model(path, compile=False).weights]


def assert_resume_equals(recipe: str, train: Path, dev: Path, reference: Path, out: Path,
                         options: dict, cli: list[str], kill_at: int) -> None:
    """Kill a run of ``recipe`` after step ``kill_at``, resume it through the CLI, and compare
    the saved model, the loss curve and the dev metrics with the uninterrupted ``reference``."""
    worker = Path(__file__).with_name("recipe_kill_worker.py")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    killed = subprocess.run([sys.executable, str(worker), recipe, str(train), str(dev), str(out),
                             str(kill_at), json.dumps(options)], env=env, capture_output=True,
                            text=True, timeout=1800)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    assert (out / "train_state.npz").exists()
    code = main(["task", recipe, "train", "--train", str(train), "--dev", str(dev), "--out",
                 str(out), "--resume", *cli])
    assert code == 0
    for ours, theirs in zip(model_weights(out / "model.keras"), model_weights(reference / "model.keras")):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    losses = [[float(r["train_loss"]) for r in csv.DictReader((d / "curve.csv").open())]
              for d in (out, reference)]
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-5)
    metrics = [json.loads((d / "metrics.json").read_text()) for d in (out, reference)]
    assert [e["dev"] for e in metrics[0]["epochs"]] == [e["dev"] for e in metrics[1]["epochs"]]
    assert not (out / "train_state.npz").exists()


BOOKS = ["红楼梦", "水浒传", "Keras入门", "三国演义", "ＡＢＣ手册"]
AUTHORS = ["曹雪芹", "施耐庵", "François Chollet", "罗贯中", "李 四"]
COUNTRIES = ["中国", "法国", "日本", "Italy"]
CAPITALS = ["北京", "巴黎", "东京", "Rome"]


def triple_sentence(rng: random.Random) -> tuple[str, list]:
    parts, triples = [], []
    for _ in range(rng.randint(1, 2)):
        if rng.random() < 0.5:
            i = rng.randrange(len(BOOKS))
            parts.append(f"《{BOOKS[i]}》的作者是{AUTHORS[i]}")
            triples.append({"subject": BOOKS[i], "predicate": "作者", "object": {"@value": AUTHORS[i]}})
        else:
            i = rng.randrange(len(COUNTRIES))
            parts.append(f"{COUNTRIES[i]}的首都是{CAPITALS[i]}")
            triples.append([COUNTRIES[i], "首都", CAPITALS[i]])
    return "，".join(parts) + "。", triples


def write_triples(path: Path, count: int, seed: int) -> Path:
    return write_json_lines(path, count, seed, triple_sentence, "spo_list")


def write_squad(path: Path, count: int, seed: int) -> Path:
    """SQuAD-style questions on short contexts (some longer than one window)."""
    rng = random.Random(seed)
    paragraphs = []
    for n in range(count):
        i = rng.randrange(len(COUNTRIES))
        filler = "".join(rng.choice("这是一段很长的说明文字。") for _ in range(rng.randint(0, 60)))
        context = f"{filler}{COUNTRIES[i]}的首都是{CAPITALS[i]}。{filler[:10]}"
        start = context.index(f"首都是{CAPITALS[i]}") + 3
        qa = {"id": f"q{n}", "question": f"{COUNTRIES[i]}的首都是哪里？",
              "answers": [{"text": CAPITALS[i], "answer_start": start}]}
        paragraphs.append({"id": f"p{n}", "context": context, "qas": [qa]})
    path.write_text(json.dumps({"version": "test", "data": [{"title": "t", "paragraphs": paragraphs}]},
                               ensure_ascii=False), encoding="utf-8")
    return path


class RandomModel:
    """Stands in for a trained model: ``predict_on_batch`` returns uniform random outputs of
    the given shapes (``None`` axes take the batch and length of the input)."""

    def __init__(self, *shapes, seed: int = 0, scale: float = 1.0):
        self.shapes, self.scale = shapes, scale
        self.rng = np.random.default_rng(seed)

    def predict_on_batch(self, x):
        batch, length = np.asarray(x[0]).shape
        outputs = []
        for shape in self.shapes:
            concrete = [batch if i == 0 else length if s is None else s for i, s in enumerate(shape)]
            outputs.append((self.rng.random(concrete) * self.scale).astype("float32"))
        return outputs if len(outputs) > 1 else outputs[0]
