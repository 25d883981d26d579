"""The ner recipe: CRF through the command line (JSON-lines data with Latin words, digits,
full-width characters and spaces; predict prints entities whose offsets slice the input
exactly), the GlobalPointer heads from Python, char-per-line data, and a SIGKILLed
GlobalPointer run resumed to the weights of an uninterrupted one."""

import json

import pytest
from extraction_testing import TINY, TINY_API, assert_resume_equals, write_entity_lines
from helpers import run_kexue

from kexue.cli import main
from kexue.tasks import load_task, train

EPOCHS = ["--epochs", "2", "--save-every", "4"]
TEXTS = ["John Smith 2019年到 New York。", "ＡＬＩＣＥ住在ＴＯＫＹＯ 2号楼", "赵 四  喜欢 深圳湾。", "张伟在北京"]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ner")
    return write_entity_lines(folder / "train.jsonl", 256, 1), write_entity_lines(folder / "dev.jsonl", 48, 2)


def check_lines(lines, texts):
    assert len(lines) == len(texts)
    for text, line in zip(texts, lines):
        record = json.loads(line)
        assert record["text"] == text
        for start, end, kind, mention in record["entities"]:
            assert 0 <= start < end <= len(text) and text[start:end] == mention and kind in ("PER", "LOC")


def test_crf_train_predict_eval_through_the_cli(data, tmp_path, capsys):
    train_file, dev_file = data
    out = tmp_path / "run"
    result = run_kexue("task", "ner", "train", "--train", train_file, "--dev", dev_file, "--out", out,
                       "--epochs", "3", "--scheme", "BIOES", *TINY, timeout=1800)
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["best"]["dev"]["f1"] > 0.5 and set(metrics["best"]["dev"]["per_type"]) == {"PER", "LOC"}
    predicted = run_kexue("task", "ner", "predict", "--model", out, input="\n".join(TEXTS) + "\n", timeout=600)
    assert predicted.returncode == 0, predicted.stderr[-2000:]
    check_lines(predicted.stdout.splitlines(), TEXTS)
    assert main(["task", "ner", "eval", "--model", str(out), str(dev_file)]) == 0
    assert json.loads(capsys.readouterr().out)["f1"] == pytest.approx(metrics["best"]["dev"]["f1"])


@pytest.mark.parametrize("head", ["globalpointer", "efficient_globalpointer"])
def test_pointer_heads_on_char_per_line_data(head, data, tmp_path):
    train_file, dev_file = data
    rows = [json.loads(line) for line in train_file.read_text(encoding="utf-8").splitlines()]
    tagged = tmp_path / "train.tsv"  # the same data as char<TAB>tag lines (spaces dropped)
    lines = []
    for row in rows:
        tags = ["O"] * len(row["text"])
        for start, end, kind in row["entities"]:
            tags[start:end] = [f"B-{kind}"] + [f"I-{kind}"] * (end - start - 1)
        lines += [f"{c}\t{t}" for c, t in zip(row["text"], tags) if not c.isspace()] + [""]
    tagged.write_text("\n".join(lines), encoding="utf-8")
    metrics = train("ner", train=tagged, dev=dev_file, out=tmp_path / "run", epochs=2,
                    progress=False, options={"head": head}, **TINY_API)
    assert metrics["finished"]
    task = load_task(tmp_path / "run")
    check_lines(_predict(task, TEXTS), TEXTS)
    pointer = task.model.get_layer("pointer")  # GlobalPointer with a score offset per type
    assert getattr(pointer, "offset", False) == (head == "globalpointer")


@pytest.mark.parametrize("head", ["globalpointer", "efficient_globalpointer"])
def test_pointer_heads_start_at_the_share_of_positive_spans(head, data):
    """Each type's constant score starts at log(mentions / spans) of the training data, so
    the first steps need not flatten every token state to lower all scores (from random
    weights GlobalPointer otherwise predicted nothing on Weibo even after 1,290 steps)."""
    import keras
    import numpy as np

    from kexue.tasks.backbone import scratch_backbone
    from kexue.tasks.recipe import TaskContext
    from kexue.tasks.recipes.ner import RECIPE, span_prior

    examples = RECIPE.read(data[0])
    backbone = scratch_backbone("2x32x4", [e.text for e in examples], family="roformer")
    ctx = TaskContext(RECIPE, backbone, backbone.tokenizer(), maxlen=64,
                      options={**RECIPE.option_defaults(), "head": head})
    ctx.settings = RECIPE.setup(examples, ctx)
    mentions = {kind: sum(k == kind for e in examples for *_, k in e.entities) for kind in ("LOC", "PER")}
    spans = sum(min(len(e.text), 62) * (min(len(e.text), 62) + 1) // 2 for e in examples)
    expected = [np.log(mentions[kind] / spans) for kind in ctx.settings["types"]]
    np.testing.assert_allclose(ctx.settings["pointer_prior"], expected, rtol=1e-12)
    assert span_prior(examples, ["LOC", "PER", "ORG"], 62)[2] == pytest.approx(-np.log(spans))
    model = RECIPE.build(ctx)
    pointer = model.get_layer("pointer")
    constant = pointer.offsets if head == "globalpointer" else pointer.q_dense.bias
    np.testing.assert_allclose(keras.ops.convert_to_numpy(constant),
                               np.repeat(expected, 1 if head == "globalpointer" else 2), rtol=1e-6)
    items = [RECIPE.encode(e, ctx) for e in examples[:16]]
    _, x, _ = next(iter(ctx.batches(items)))
    scores = keras.ops.convert_to_numpy(model(x, training=False))
    constant.assign(np.zeros(constant.shape, "float32"))  # the same model without the prior
    shift = scores - keras.ops.convert_to_numpy(model(x, training=False))
    valid = scores > -1e6
    for kind in range(2):  # every valid span of a type starts exactly its prior lower
        np.testing.assert_allclose(shift[:, kind][valid[:, kind]], expected[kind], atol=1e-4)


def _predict(task, texts):
    from kexue.tasks.sequence_data import Annotated

    return [task.recipe.format(task.ctx, p) for p in task.predict([Annotated(t, None) for t in texts])]


@pytest.mark.slow_on_jax
def test_resume_after_sigkill_equals_uninterrupted(data, tmp_path):
    train_file, dev_file = data
    reference = tmp_path / "reference"
    options = {**TINY_API, "epochs": 2, "save_every": 4, "options": {"head": "globalpointer"}}
    train("ner", train=train_file, dev=dev_file, out=reference, progress=False, **options)
    assert_resume_equals("ner", train_file, dev_file, reference, tmp_path / "run", options,
                         [*EPOCHS, *TINY, "--head", "globalpointer"], kill_at=22)
