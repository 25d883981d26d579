"""The recipe written out in docs/tasks/runner.md trains, saves, reloads and predicts."""

import re
from pathlib import Path

from task_testing import reviews

from kexue.tasks import load_task, train

PAGE = Path(__file__).resolve().parents[2] / "docs" / "tasks" / "runner.md"


def test_the_example_recipe_of_the_runner_page_runs(tmp_path):
    blocks = re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.S)
    source = next(b for b in blocks if "class Sentiment" in b)
    namespace: dict = {}
    exec(compile(source, "runner.md", "exec"), namespace)
    recipe = namespace["RECIPE"]
    train_file, dev_file = reviews(tmp_path)
    metrics = train(recipe, train=train_file, dev=dev_file, out=tmp_path / "run", scratch="2x32x4",
                    epochs=3, batch_size=16, lr=3e-3, progress=False)
    assert metrics["finished"] and metrics["best"]["dev"]["accuracy"] >= 0.9
    task = load_task(tmp_path / "run", recipe=recipe)  # not registered: pass the recipe itself
    assert task.predict([namespace["read_labelled_texts"](dev_file)[0]])[0] in (0, 1)
    assert task.evaluate(dev_file)["accuracy"] == metrics["best"]["dev"]["accuracy"]


def test_ema_weights_are_the_ones_evaluated_and_saved(tmp_path):
    train_file, dev_file = reviews(tmp_path, train=64, dev=32)
    runs = {}
    for ema in (None, 0.5):
        out = tmp_path / f"run-{ema}"
        metrics = train("classify", train=train_file, dev=dev_file, out=out, scratch="1x16x2", epochs=1,
                        batch_size=16, lr=3e-3, ema=ema, progress=False)
        task = load_task(out)
        # the saved model scores what the epoch's evaluation scored (EMA weights under --ema)
        assert task.evaluate(dev_file) == metrics["best"]["dev"]
        runs[ema] = [w.copy() for w in task.model.get_weights()]
    assert any(abs(a - b).max() > 1e-4 for a, b in zip(runs[None], runs[0.5]))
