"""The CMRC 2018 evaluation on hand-computed cases (punctuation inside and outside the
official list, English and digit tokens, several references, spaces), and its Treebank word
rules against NLTK's tokenizer when NLTK is installed."""

import json
from pathlib import Path

import pytest

from kexue.tasks.cmrc_eval import evaluate, em, f1, mixed_segmentation, treebank_words

# (prediction, references, EM, F1), each worked out by hand in the comment
CASES = [
    ("北京", ["北京"], 1, 1.0),
    ("“北京”。", ["北京"], 1, 1.0),                 # full-width quotes and stop are in the list
    ("北京大学", ["北京"], 0, 2 / 3),                # P 2/4, R 2/2
    ("1990年", ["1990"], 0, 2 / 3),                  # segments 1990 | 年 against 1990
    ("Apple Inc.", ["apple inc."], 1, 1.0),          # lower-cased
    ("北京,", ["北京"], 0, 0.8),                     # half-width comma kept: 北 京 , -> P 2/3
    ("北京，", ["北京"], 1, 1.0),                    # full-width comma removed
    ("2,000人", ["2000人"], 0, 0.5),                 # 2,000 is one token; only 人 in common
    ("周杰伦", ["杰伦", "周杰伦先生"], 0, 0.8),       # best of 0.8 (P 2/3, R 1) and 0.75
    ("", ["北京"], 0, 0.0),
    ("the New York Times", ["New York"], 0, 2 / 3),  # words: the new york times
    ("第2版", ["第二版"], 0, 1 / 3),                 # 第 | 2 | 版 against 第 | 二 | 版
    ("COVID-19", ["covid19"], 1, 1.0),               # '-' is in the list
    ("北大京", ["北京"], 0, 0.4),                    # contiguous runs only: P 1/3, R 1/2
    ("北 京", ["北京"], 0, 1.0),                     # inner space survives EM, not segmentation
    ("apple inc.", ["apple inc"], 0, 0.8),           # the final period is a token
]


@pytest.mark.parametrize("prediction,answers,exact,overlap", CASES)
def test_hand_computed_cases(prediction, answers, exact, overlap):
    assert em(prediction, answers) == exact
    assert f1(prediction, answers) == pytest.approx(overlap, abs=1e-12)


def test_aggregate_is_the_mean_over_questions():
    scores = evaluate([c[0] for c in CASES], [c[1] for c in CASES])
    assert scores["em"] == pytest.approx(sum(c[2] for c in CASES) / len(CASES))
    assert scores["f1"] == pytest.approx(sum(c[3] for c in CASES) / len(CASES))
    assert scores["average"] == pytest.approx((scores["em"] + scores["f1"]) / 2)
    with pytest.raises(ValueError, match="2 predictions for 1 questions"):
        evaluate(["a", "b"], [["a"]])


def test_segments():
    assert mixed_segmentation("“1998年”Windows 98发布", remove_punct=True) == [
        "1998", "年", "windows", "98", "发", "布"]
    assert mixed_segmentation("a：b") == ["a", "：", "b"]


RUNS = ['He said "2,000 (approx.)" isn\'t $5.', "U.S. army, 3.5%", "rock'n'roll & co.", "(1990)",
        "cannot gonna 'tis", "Mr. Smith's car...", "a--b", "x; y? z!", "“quoted” text", "o'clock"]


def test_treebank_words_match_nltk():
    nltk = pytest.importorskip("nltk.tokenize")
    reference = nltk.NLTKWordTokenizer()
    runs = list(RUNS)
    dev = Path("/work/shared/data/cmrc2018/cmrc2018_dev.json")
    if dev.exists():  # every non-Chinese run of the dev answers
        data = json.loads(dev.read_text(encoding="utf-8"))
        for article in data["data"]:
            for paragraph in article["paragraphs"]:
                for qa in paragraph["qas"]:
                    for answer in qa["answers"]:
                        runs += [r for r in _runs(answer["text"]) if r.strip()]
    for run in runs:
        assert treebank_words(run) == reference.tokenize(run), run


def _runs(text):
    import re

    return re.split(r"[\u4e00-\u9fa5]", text.lower())
