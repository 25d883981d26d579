"""Both generation recipes fine-tune a real TF1 BERT checkpoint (the shared tiny fixture):
UniLM seq2seq reads its MLM head, cond-gen adds the zero-initialised condition projections
beside the strictly loaded weights."""

from pathlib import Path

import numpy as np
import pytest
from generation_testing import pairs

from kexue.tasks import load_task, train
from kexue.tasks.data import LabelledText
from kexue.tasks.pair_data import SourceTarget

FIXTURE = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "tf_bert_tiny"
if not FIXTURE.exists():  # a worktree beside the shared folder's parent
    FIXTURE = Path("/work/shared/fixtures/tf_bert_tiny")
CHARS = "一人大天中小上下"  # characters the fixture's vocabulary holds
OPTIONS = dict(checkpoint=str(FIXTURE / "bert_model.ckpt"), batch_size=16, lr=1e-3, maxlen=24,
               epochs=1, progress=False)


@pytest.fixture
def checkpoint():
    if not (FIXTURE / "bert_model.ckpt.index").exists():
        pytest.skip(f"the shared fixture {FIXTURE} is absent")
    return FIXTURE


def test_unilm_from_a_checkpoint(checkpoint, tmp_path):
    train_file, dev_file = pairs(tmp_path, "copy", train=32, dev=8, alphabet=CHARS)
    metrics = train("seq2seq", train=train_file, dev=dev_file, out=tmp_path / "run",
                    options={"arch": "unilm", "max_target": 8}, **OPTIONS)
    assert metrics["finished"]
    task = load_task(tmp_path / "run")
    assert task.ctx.backbone.vocab["的"] == 5  # the checkpoint's vocabulary, not a new one
    (text,) = task.predict([SourceTarget("一人大", None, "x")])
    assert set(text) <= set(checkpoint.joinpath("vocab.txt").read_text(encoding="utf-8")) | {" "}


def test_cond_gen_from_a_checkpoint(checkpoint, tmp_path):
    rows = [f"{c * 3}上下\t{int(c in '一大中上')}\n" for c in CHARS] * 4
    (tmp_path / "train.tsv").write_text("".join(rows), encoding="utf-8")
    metrics = train("cond-gen", train=tmp_path / "train.tsv", dev=tmp_path / "train.tsv",
                    out=tmp_path / "run", options={"condition_size": 8, "max_new": 6}, **OPTIONS)
    assert metrics["finished"]
    task = load_task(tmp_path / "run")
    gains = [np.abs(np.asarray(v)).max() for v in task.model.weights if "condition_gamma" in v.path]
    assert gains and max(gains) > 0  # trained away from their zero start
    assert len(task.predict([LabelledText("", "1", "x")])) == 1
