"""The mrc recipe: MLM slot filling through the command line (train -> save -> reload ->
predict, eval with the CMRC metric), UniLM seq2seq from Python, answers that are always
substrings of their context (also under random outputs, with and without the vote), and a
SIGKILLed run resumed to the weights of an uninterrupted one."""

import json

import pytest
from extraction_testing import TINY, TINY_API, RandomModel, assert_resume_equals, write_squad
from helpers import run_kexue

from kexue.cli import main
from kexue.tasks import load_task, train
from kexue.tasks.backbone import scratch_backbone
from kexue.tasks.mrc_data import Question, read_questions
from kexue.tasks.recipe import TaskContext
from kexue.tasks.registry import get_recipe

EPOCHS = ["--epochs", "2", "--save-every", "4"]
PAIRS = [("中国的首都是哪里？", "这是中国的首都是北京。"), ("Italy的首都是哪里？", "Italy的首都是Rome。")]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mrc")
    return write_squad(folder / "train.json", 192, 1), write_squad(folder / "dev.json", 32, 2)


def test_mlm_train_predict_eval_through_the_cli(data, tmp_path, capsys):
    train_file, dev_file = data
    out = tmp_path / "run"
    result = run_kexue("task", "mrc", "train", "--train", train_file, "--dev", dev_file, "--out", out,
                       "--epochs", "3", "--max-question", "12", "--max-answer", "6", *TINY, timeout=1800)
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["finished"] and set(metrics["best"]["dev"]) >= {"em", "f1", "average"}
    predicted = run_kexue("task", "mrc", "predict", "--model", out,
                          input="".join(f"{q}\t{c}\n" for q, c in PAIRS), timeout=600)
    assert predicted.returncode == 0, predicted.stderr[-2000:]
    answers = predicted.stdout.split("\n")[:-1]
    assert len(answers) == 2 and all(a in c for a, (_, c) in zip(answers, PAIRS))
    assert main(["task", "mrc", "eval", "--model", str(out), str(dev_file)]) == 0
    assert json.loads(capsys.readouterr().out)["f1"] == pytest.approx(metrics["best"]["dev"]["f1"])


def test_seq2seq_trains_and_answers_from_the_context(data, tmp_path):
    train_file, dev_file = data
    options = {"method": "seq2seq", "max_question": 12, "max_answer": 6}
    metrics = train("mrc", train=train_file, dev=dev_file, out=tmp_path / "run", epochs=1,
                    progress=False, options=options, **TINY_API)
    assert metrics["finished"]
    task = load_task(tmp_path / "run")
    answers = task.predict([Question(str(i), q, c, None) for i, (q, c) in enumerate(PAIRS)])
    assert all(a in c for a, (_, c) in zip(answers, PAIRS))


def untrained(data, count: int, **options):
    """The mrc recipe, a context over a fresh 2x32 backbone with ``options`` (the rest at their
    defaults), the first ``count`` dev questions and their encodings."""
    recipe = get_recipe("mrc")
    questions = read_questions(data[1], labelled=False)[:count]
    backbone = scratch_backbone("2x32x4", [q.context + q.question for q in questions])
    options = {**recipe.option_defaults(), "max_question": 12, "max_answer": 6, **options}
    ctx = TaskContext(recipe, backbone, backbone.tokenizer(), maxlen=48, batch_size=4, options=options)
    ctx.settings = recipe.setup(questions, ctx)
    return recipe, ctx, questions, [recipe.encode(q, ctx) for q in questions]


@pytest.mark.parametrize("method", ["mlm", "seq2seq"])
@pytest.mark.parametrize("no_vote", [False, True])
def test_answers_are_substrings_under_random_outputs(method, no_vote, data):
    recipe, ctx, questions, items = untrained(data, 6, method=method, no_vote=no_vote, beams=2)
    assert max(len(item[2]["windows"]) for item in items) > 1  # several passages to vote over
    vocab = len(ctx.backbone.vocab)
    answers = recipe.predict(ctx, RandomModel((None, None, vocab), scale=8.0), items)
    assert all(a in q.context for a, q in zip(answers, questions))
    assert any(answers)


class Abstaining(RandomModel):
    """Every window's most likely first token is [SEP]: each passage says "no answer"."""

    def __init__(self, vocab: int, sep: int):
        super().__init__((None, None, vocab), scale=1.0)
        self.sep = sep

    def predict_on_batch(self, x):
        out = super().predict_on_batch(x)
        out[..., self.sep] += 10.0
        return out


@pytest.mark.parametrize("method", ["mlm", "seq2seq"])
def test_an_answer_even_when_every_window_abstains(method, data):
    """CMRC/SQuAD 1.1 questions all have answers: when every window abstains the best
    non-empty substring is given; with --allow-no-answer the answer is empty."""
    recipe, ctx, questions, items = untrained(data, 4, method=method)
    assert ctx.options["allow_no_answer"] is False  # the default
    model = Abstaining(len(ctx.backbone.vocab), ctx.backbone.vocab["[SEP]"])
    answers = recipe.predict(ctx, model, items)
    assert all(answers) and all(a in q.context for a, q in zip(answers, questions))
    ctx.options["allow_no_answer"] = True
    assert recipe.predict(ctx, model, items) == [""] * len(questions)


@pytest.mark.slow_on_jax
def test_resume_after_sigkill_equals_uninterrupted(data, tmp_path):
    train_file, dev_file = data
    reference = tmp_path / "reference"
    cli = ["--max-question", "12", "--max-answer", "6"]
    options = {**TINY_API, "epochs": 2, "save_every": 4, "options": {"max_question": 12, "max_answer": 6}}
    train("mrc", train=train_file, dev=dev_file, out=reference, progress=False, **options)
    assert_resume_equals("mrc", train_file, dev_file, reference, tmp_path / "run", options,
                         [*EPOCHS, *TINY, *cli], kill_at=18)
