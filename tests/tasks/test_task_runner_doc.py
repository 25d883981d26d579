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
