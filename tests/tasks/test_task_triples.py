"""The triples recipe: train -> save -> reload -> predict through the command line on a few
hundred sentences (DuIE-style and list-style triples), every predicted subject and object a
substring of its text (also under random pointer scores), the Conditional LayerNorm and
--no-cln models, and a SIGKILLed run resumed to the weights of an uninterrupted one."""

import json
import random

import pytest
from extraction_testing import TINY, TINY_API, RandomModel, assert_resume_equals, triple_sentence, write_triples
from helpers import run_kexue

from kexue.cli import main
from kexue.tasks.backbone import scratch_backbone
from kexue.tasks.recipe import TaskContext
from kexue.tasks.registry import get_recipe
from kexue.tasks.recipes.triples import Sentence, read_schema

EPOCHS = ["--epochs", "2", "--save-every", "4"]
TEXTS = ["《红楼梦》的作者是曹雪芹。", "Italy的首都是Rome，《ＡＢＣ手册》的作者是李 四。"]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("triples")
    schema = folder / "schema.json"
    schema.write_text(json.dumps([{"predicate": "作者", "subject_type": "图书作品", "object_type": {"@value": "人物"}},
                                  {"predicate": "首都", "subject_type": "国家", "object_type": {"@value": "城市"}},
                                  {"predicate": "作者", "subject_type": "歌曲", "object_type": {"@value": "人物"}}],
                                 ensure_ascii=False), encoding="utf-8")
    return write_triples(folder / "train.jsonl", 256, 1), write_triples(folder / "dev.jsonl", 48, 2), schema


def check_lines(lines, texts):
    assert len(lines) == len(texts)
    for text, line in zip(texts, lines):
        record = json.loads(line)
        assert record["text"] == text
        for spo in record["spo_list"]:
            for part in ("subject", "object"):
                start, end = spo[f"{part}_span"]
                assert spo[part] and text[start:end] == spo[part]
            assert spo["predicate"] in ("作者", "首都")


def test_train_predict_eval_through_the_cli(data, tmp_path, capsys):
    train_file, dev_file, schema = data
    assert read_schema(schema) == ["作者", "首都"]
    out = tmp_path / "run"
    result = run_kexue("task", "triples", "train", "--train", train_file, "--dev", dev_file, "--out", out,
                       "--schema", schema, "--epochs", "4", "--ema", "0.9", *TINY, timeout=1800)
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["finished"] and metrics["best"]["dev"]["f1"] > 0.3
    assert json.loads((out / "task.json").read_text())["backbone"]["model"] == "roformer"
    predicted = run_kexue("task", "triples", "predict", "--model", out, input="\n".join(TEXTS) + "\n", timeout=600)
    assert predicted.returncode == 0, predicted.stderr[-2000:]
    check_lines(predicted.stdout.splitlines(), TEXTS)
    assert main(["task", "triples", "eval", "--model", str(out), str(dev_file)]) == 0
    assert json.loads(capsys.readouterr().out)["f1"] == pytest.approx(metrics["best"]["dev"]["f1"])


@pytest.mark.parametrize("no_cln", [False, True])
def test_decoded_triples_are_substrings_under_random_scores(no_cln):
    recipe = get_recipe("triples")
    rng = random.Random(5)
    texts = [triple_sentence(rng)[0] for _ in range(20)] + TEXTS
    backbone = scratch_backbone("2x32x4", texts)
    ctx = TaskContext(recipe, backbone, backbone.tokenizer(), maxlen=64, batch_size=8,
                      options={"schema": None, "no_cln": no_cln}, settings={"predicates": ["作者", "首都"]})
    model = recipe.build(ctx)  # builds with either conditioning
    assert len(model.outputs) == 2
    items = [recipe.encode(Sentence(t, None), ctx) for t in texts]
    predictions = recipe.predict(ctx, RandomModel((None, None, 2), (None, None, 2, 2), scale=1.2), items)
    assert sum(len(spo) for _, spo in predictions) > 50
    check_lines([recipe.format(ctx, p) for p in predictions], texts)


def test_pointers_start_at_the_rates_of_positive_targets(data):
    """sigmoid(bias)ⁿ of each pointer starts at the share of its positive targets, computed
    by hand here."""
    import keras
    import numpy as np

    recipe = get_recipe("triples")
    examples = recipe.read(data[0])
    backbone = scratch_backbone("2x32x4", [e.text for e in examples])
    ctx = TaskContext(recipe, backbone, backbone.tokenizer(), maxlen=64, batch_size=16,
                      options={"schema": str(data[2]), "no_cln": False})
    ctx.settings = recipe.setup(examples, ctx)
    tokens = sum(min(len(e.text), 62) for e in examples)
    subjects = sum(len({s for s, _, _ in e.triples}) for e in examples)
    triples = sum(len(e.triples) for e in examples)
    expected = [subjects / tokens, triples / subjects / (tokens / len(examples)) / 2]
    np.testing.assert_allclose(ctx.settings["pointer_rates"], expected, rtol=1e-12)
    model = recipe.build(ctx)
    for layer, rate, power in (("subject_pointers", expected[0], 2), ("object_pointers", expected[1], 4)):
        bias = keras.ops.convert_to_numpy(model.get_layer(layer).bias)
        np.testing.assert_allclose(1 / (1 + np.exp(-bias)) ** power, rate, rtol=1e-5)


@pytest.mark.slow_on_jax
def test_resume_after_sigkill_equals_uninterrupted(data, tmp_path):
    train_file, dev_file, schema = data
    reference = tmp_path / "reference"
    options = {**TINY_API, "epochs": 2, "save_every": 4, "options": {"schema": str(schema)}}
    from kexue.tasks import train

    train("triples", train=train_file, dev=dev_file, out=reference, progress=False, **options)
    assert_resume_equals("triples", train_file, dev_file, reference, tmp_path / "run", options,
                         [*EPOCHS, *TINY, "--schema", str(schema)], kill_at=22)
