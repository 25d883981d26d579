"""ROUGE and BLEU on characters against cases worked out by hand (the arithmetic is in the
comments), and the properties the definitions promise."""

import math

import pytest

from kexue.tasks.generation_metrics import (
    characters,
    corpus_bleu,
    generation_scores,
    lcs_length,
    rouge_l,
    rouge_n,
    sentence_bleu,
)

CAND, REF = characters("猫坐垫子上"), characters("猫坐在垫子上")


def test_rouge_by_hand():
    # unigrams: 5 of the candidate's 5 are in the reference's 6: P = 1, R = 5/6, F1 = 10/11
    assert rouge_n(CAND, REF, 1) == pytest.approx(10 / 11)
    # bigrams: 猫坐 坐垫 垫子 子上 vs 猫坐 坐在 在垫 垫子 子上: 3 shared; P = 3/4, R = 3/5
    assert rouge_n(CAND, REF, 2) == pytest.approx(2 * 0.75 * 0.6 / (0.75 + 0.6))
    # LCS = 猫坐垫子上 (5): same as ROUGE-1 here
    assert lcs_length(CAND, REF) == 5 and rouge_l(CAND, REF) == pytest.approx(10 / 11)
    # order matters for ROUGE-L but not ROUGE-1: 上子垫坐猫 shares every character, LCS 1
    reverse = CAND[::-1]
    assert rouge_n(reverse, REF, 1) == pytest.approx(10 / 11)
    assert rouge_l(reverse, REF) == pytest.approx(2 * (1 / 5) * (1 / 6) / (1 / 5 + 1 / 6))
    # clipping: 好好好好 against 好 counts one match; P = 1/4, R = 1
    assert rouge_n(list("好好好好"), ["好"], 1) == pytest.approx(2 * 0.25 / 1.25)
    assert rouge_n([], REF, 1) == 0.0 and rouge_l(CAND, []) == 0.0


def test_bleu_by_hand():
    cand, ref = characters("我爱北京天安门"), characters("我爱北京的天安门")
    # precisions 7/7, 5/6, 3/5 (我爱北 爱北京 天安门), 1/4 (我爱北京); brevity exp(1 - 8/7)
    expected = math.exp(1 - 8 / 7) * (1 * 5 / 6 * 3 / 5 * 1 / 4) ** 0.25
    assert corpus_bleu([cand], [ref]) == pytest.approx(expected)
    assert sentence_bleu(cand, ref) == pytest.approx(expected)
    # no 4-gram match: corpus BLEU 0; smoothed sentence BLEU counts 0.1 of the 2 candidate 4-grams
    assert corpus_bleu([CAND], [REF]) == 0.0
    smoothed = math.exp(1 - 6 / 5) * (1 * 3 / 4 * 1 / 3 * 0.1 / 2) ** 0.25
    assert sentence_bleu(CAND, REF) == pytest.approx(smoothed)
    # corpus BLEU sums counts over the corpus before dividing (not a mean of sentence scores)
    pair = corpus_bleu([cand, CAND], [ref, REF])
    matches = [7 + 5, 5 + 3, 3 + 1, 1 + 0]
    totals = [7 + 5, 6 + 4, 5 + 3, 4 + 2]
    by_hand = math.exp(1 - 14 / 12) * math.prod(m / t for m, t in zip(matches, totals)) ** 0.25
    assert pair == pytest.approx(by_hand)
    # longer than the reference: no brevity penalty; identical: 1
    assert corpus_bleu([list("一二三四五六")], [list("一二三四五")]) == pytest.approx((5 / 6 * 4 / 5 * 3 / 4 * 2 / 3) ** 0.25)
    assert corpus_bleu([REF], [REF]) == 1.0


def test_scores_compare_characters_without_case_or_spaces():
    scores = generation_scores(["Deep 学习", "完全不同"], ["deep学习", "一模一样"])
    assert scores["exact_match"] == 0.5 and scores["rouge_1"] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="as many predictions as references"):
        generation_scores(["a"], [])


def test_corpus_bleu_equals_sacrebleu_on_chinese():
    """sacrebleu's ``zh`` tokenizer splits Chinese into characters: on Chinese text its corpus
    BLEU (no smoothing) is the standard definition we compute."""
    import random

    sacrebleu = pytest.importorskip("sacrebleu")  # in the test extras (pyproject.toml)
    rng = random.Random(0)
    refs = ["".join(rng.choice("天地人和日月山水") for _ in range(rng.randint(6, 14))) for _ in range(60)]
    hyps = ["".join(c if rng.random() < 0.7 else rng.choice("天地人和") for c in r[: rng.randint(4, len(r))])
            for r in refs]
    ours = corpus_bleu([characters(h) for h in hyps], [characters(r) for r in refs])
    theirs = sacrebleu.corpus_bleu(hyps, [refs], tokenize="zh", smooth_method="none").score / 100
    assert 0.05 < ours < 0.95 and ours == pytest.approx(theirs, abs=1e-9)
