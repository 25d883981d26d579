"""Unsupervised word discovery on People's Daily 1998-01: kexue vs nlp-zero 0.1.6.

Both learn a lexicon from the whole corpus (tags stripped); each tokenizer then
segments the first 5,000 lines, scored by word-span F1 against the gold
segmentation, and the 5,000 most frequent discovered words of >= 2 Chinese
characters are scored for precision against the gold vocabulary. jieba (a
supervised dictionary) is scored for reference. Learning times are taken in
the same run.

    KERAS_BACKEND=jax nice -n 10 .venv/bin/python benchmarks/word_discovery.py
"""

from __future__ import annotations

import argparse
import time

from _timing import best_time

from kexue.text import (
    WordDiscovery,
    peoples_daily_1998,
    segmentation_f1,
    top_word_precision,
)


def load_nlp_zero():
    import collections
    import collections.abc

    collections.Iterable = (
        collections.abc.Iterable
    )  # nlp-zero 0.1.6 predates Python 3.10
    from nlp_zero import Word_Finder

    return Word_Finder



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--lines", type=int, default=5000, help="lines scored (from the top)"
    )
    parser.add_argument(
        "--repeats", type=int, default=3, help="timing repeats (best is kept)"
    )
    args = parser.parse_args()
    corpus = peoples_daily_1998()
    raw, gold = corpus.lines, corpus.words
    test_raw, test_gold = raw[: args.lines], gold[: args.lines]
    vocabulary = {w for words in gold for w in words}
    print(
        f"corpus: {len(raw)} lines, {sum(map(len, raw))} characters; scoring the first {len(test_raw)} lines"
    )

    Word_Finder = load_nlp_zero()

    def nlp_zero_fit():
        finder = Word_Finder(min_proba=1e-5, min_pmi=1)
        finder.train(raw)
        finder.find(raw)
        return finder

    rows = []
    t_ref, ref = best_time(nlp_zero_fit, args.repeats)
    ref_tok = ref.export_tokenizer()
    rows.append(
        (
            "nlp-zero 0.1.6 (min_proba 1e-5, min_pmi 1)",
            t_ref,
            ref_tok.tokenize,
            ref.words,
        )
    )

    configs = [
        (
            "kexue, nlp-zero settings (1e-5, 1, margin 1, no max length)",
            {"min_proba": 1e-5, "min_pmi": 1, "split_margin": 1, "max_length": None},
        ),
        ("kexue defaults (1e-6, 0.5, margin 4, max length 4, min count 2)", {}),
    ]
    for name, options in configs:
        seconds, finder = best_time(
            lambda options=options: WordDiscovery(**options).fit(raw), args.repeats
        )
        rows.append((name, seconds, finder.tokenizer().tokenize, finder.words))

    try:
        import jieba

        jieba.setLogLevel(60)
        jieba.initialize()
        rows.append(
            (
                "jieba 0.42 (supervised dictionary)",
                float("nan"),
                lambda s: list(jieba.cut(s)),
                None,
            )
        )
    except ImportError:
        print("jieba not installed: skipping its reference row")

    print(
        f"{'method':<62} {'learn s':>8} {'speed-up':>8} {'word F1':>8} {'top-5k P':>9}"
    )
    for name, seconds, tokenize, words in rows:
        start = time.perf_counter()
        f1 = segmentation_f1((tokenize(line) for line in test_raw), test_gold).f1
        segment_s = time.perf_counter() - start
        precision = (
            top_word_precision(words, vocabulary) if words is not None else float("nan")
        )
        print(
            f"{name:<62} {seconds:8.2f} {t_ref / seconds:7.1f}x {f1:8.4f} {precision:9.4f}  (segmenting {segment_s:.1f} s)"
        )


if __name__ == "__main__":
    main()
