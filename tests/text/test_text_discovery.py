"""Word discovery: matches nlp-zero 0.1.6 under its settings, streams, and
segments People's Daily well under the tuned defaults."""

import re
from pathlib import Path

import pytest

from kexue.text import (
    Lines,
    WordDiscovery,
    peoples_daily_1998,
    segmentation_f1,
    top_word_precision,
)

NLP_ZERO_SETTINGS = {
    "min_proba": 1e-5,
    "min_pmi": 1,
    "split_margin": 1,
    "max_length": None,
    "min_count": 1,
}


@pytest.fixture(scope="module")
def corpus():
    return peoples_daily_1998()


def _nlp_zero():
    import collections
    import collections.abc

    collections.Iterable = (
        collections.abc.Iterable
    )  # nlp-zero 0.1.6 predates Python 3.10 (test only)
    nlp_zero = pytest.importorskip("nlp_zero")
    return nlp_zero.Word_Finder


def test_same_lexicon_as_nlp_zero_on_chinese_text(corpus):
    # nlp-zero treats digits and Latin letters as characters, we treat runs of
    # them as atoms: compare on the Chinese characters only.
    lines = [re.sub("[^\u4e00-\u9fa5]+", "，", line) for line in corpus.lines[:3000]]
    reference = _nlp_zero()(min_proba=1e-5, min_pmi=1)
    reference.train(lines)
    reference.find(lines)
    ours = WordDiscovery(**NLP_ZERO_SETTINGS).fit(lines).words
    shared = set(reference.words) & set(ours)
    assert len(shared) / len(set(reference.words) | set(ours)) > 0.99
    same_count = sum(reference.words[w] == ours[w] for w in shared)
    assert same_count / len(shared) > 0.99  # ties in the de-redundancy order differ


def test_streaming_in_small_chunks_gives_the_same_lexicon(corpus):
    lines = corpus.lines[:800]
    whole = WordDiscovery(chunk_chars=1 << 22).fit(lines).words
    pieces = (
        WordDiscovery(chunk_chars=5000).fit(Lines(iter(lines))).words
    )  # one-shot stream, spooled
    assert whole == pieces


def test_people_daily_segmentation(corpus):
    finder = WordDiscovery().fit(corpus.lines)
    tokenizer = finder.segmenter()
    score = segmentation_f1(
        (tokenizer.tokenize(s) for s in corpus.lines[:1000]), corpus.words[:1000]
    )
    assert score.f1 > 0.78
    vocabulary = {w for words in corpus.words for w in words}
    assert top_word_precision(finder.words, vocabulary) > 0.85


@pytest.mark.slow
def test_people_daily_target_on_5000_lines(corpus):
    """No worse than before the margin came from the corpus (F1 0.799, top-5k precision 0.904)."""
    finder = WordDiscovery().fit(corpus.lines)
    tokenizer = finder.segmenter()
    score = segmentation_f1(
        (tokenizer.tokenize(s) for s in corpus.lines[:5000]), corpus.words[:5000]
    )
    vocabulary = {w for words in corpus.words for w in words}
    assert score.f1 >= 0.799 and top_word_precision(finder.words, vocabulary) >= 0.904


def test_margin_comes_from_the_corpus_unless_given(corpus):
    lines = corpus.lines[:2000]
    derived = WordDiscovery().fit(lines)
    assert 4.0 < derived.cohesion_ < 8.0
    assert derived.margin_ == pytest.approx(0.69 * derived.cohesion_)
    fixed = WordDiscovery(split_margin=2.0).fit(lines)
    assert fixed.margin_ == 2.0 and fixed.cohesion_ is None
    assert len(fixed.words) > len(derived.words)  # a smaller margin keeps more compounds


@pytest.mark.slow
@pytest.mark.parametrize("novel", ["hongloumeng", "shuihu"])
def test_novels_keep_names_and_precision_at_least_as_well_as_nlp_zero(novel, shared_dir):
    """The issue's targets on each novel: precision of the 2,000 most frequent words against
    jieba's dictionary + People's Daily's vocabulary + the names, and recall of the names."""
    import jieba

    from kexue.text import peoples_daily_1998

    text = shared_dir / "data" / "novels_zh" / f"{novel}.txt"
    if not text.exists():
        pytest.skip(f"needs {text}")
    rows = (Path(__file__).parent / "data" / f"names_{novel}.tsv").read_text(encoding="utf-8")
    names = [r.split("\t")[0] for r in rows.splitlines() if r and not r.startswith("#")]
    lines = text.read_text(encoding="utf-8").splitlines()
    reference = {w for ws in peoples_daily_1998().words for w in ws} | set(names)
    reference |= {r.split()[0] for r in (Path(jieba.__file__).parent / "dict.txt")
                  .read_text(encoding="utf-8").splitlines()}
    nz = _nlp_zero()(min_proba=1e-5, min_pmi=1)
    nz.train(lines)
    nz.find(lines)
    ours = WordDiscovery().fit(lines).words
    assert top_word_precision(ours, reference, 2000) >= top_word_precision(nz.words, reference, 2000)
    assert sum(n in ours for n in names) >= sum(n in nz.words for n in names)


def test_bad_arguments():
    with pytest.raises(ValueError, match="min_proba"):
        WordDiscovery(min_proba=0)
    with pytest.raises(ValueError, match="max_length"):
        WordDiscovery(max_length=0)
    with pytest.raises(ValueError, match="no two adjacent"):
        WordDiscovery().fit(["，。", "abc"])
    with pytest.raises(RuntimeError, match="fit"):
        WordDiscovery().segmenter()
    with pytest.raises(TypeError, match="str"):
        WordDiscovery().fit([b"bytes"])


def test_progress_bars_are_shown(capsys, corpus):
    WordDiscovery(progress=True, chunk_chars=20_000).fit(corpus.lines[:300])
    err = capsys.readouterr().err
    assert "counting pairs" in err and "cutting" in err
