"""Corpora, lexicon files and scores."""

import json

import pytest

from kexue.text import (
    Lines,
    peoples_daily_1998,
    read_lexicon,
    read_zhidao,
    segmentation_f1,
    write_lexicon,
)


def test_peoples_daily_joins_gold_words():
    corpus = peoples_daily_1998(limit=50)
    assert len(corpus.lines) == 50
    assert all("".join(w) == line for w, line in zip(corpus.words, corpus.lines))
    assert corpus.words[0][:2] == ["迈向", "充满"] and "/" not in "".join(corpus.lines)


def test_lines_from_files_and_stdin(tmp_path, monkeypatch):
    import io

    path = tmp_path / "a.txt"
    path.write_text("一\n二\n", encoding="utf-8")
    monkeypatch.setattr("sys.stdin", io.StringIO("三\n"))
    corpus = Lines.from_files([str(path), "-"])
    assert list(corpus) == list(corpus) == ["一", "二", "三"]
    with pytest.raises(FileNotFoundError):
        Lines.from_files([str(tmp_path / "missing.txt")])
    with pytest.raises(TypeError, match="from_files"):
        Lines(str(path))


def test_blocks_are_whole_lines_of_the_same_text(tmp_path):
    """Lines.blocks() (what word discovery reads) joins to exactly the lines iteration gives,
    and text_blocks never splits a line between blocks, whatever the read size."""
    import io

    from kexue.text.reading import text_blocks, text_lines

    text = "\ufeff甲乙\r\n\n丙 丁\r\r\n戊己庚\n\n辛" * 40
    data = text.encode("utf-8")
    path = tmp_path / "c.txt"
    path.write_bytes(data)
    corpus = Lines.from_files([path, path])
    lines = list(corpus)
    assert "\n".join(corpus.blocks()) == "\n".join(lines)
    assert lines[:6] == ["甲乙", "", "丙 丁\r", "戊己庚", "", "辛\ufeff甲乙"]
    for size in (1, 4, 7, 1 << 20):
        blocks = list(text_blocks(io.BytesIO(data), "x", block_size=size))
        assert [line for b in blocks for line in b.split("\n")] == \
            list(text_lines(io.BytesIO(data), "x", block_size=size)) == lines[: len(lines) // 2]
    assert list(Lines(["一", "二"]).blocks()) == ["一", "二"]


def test_a_spooled_stream_is_removed_on_close(tmp_path, monkeypatch):
    import os
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with Lines(iter(["一", "二"])) as corpus:
        assert list(corpus) == ["一", "二"] and len(os.listdir(tmp_path)) == 1
    assert os.listdir(tmp_path) == []
    corpus.close()  # twice is harmless


def test_zhidao_records(tmp_path):
    path = tmp_path / "zhidao.json"
    records = [
        {
            "url": "http://zhidao.baidu.com/question/1",
            "question": "怎么做蛋糕",
            "tags": ["美食", "烘焙"],
        }
    ]
    path.write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n\n",
        encoding="utf-8",
    )
    (question,) = list(read_zhidao(path))
    assert question.question == "怎么做蛋糕" and question.tags == ["美食", "烘焙"]
    path.write_text('{"url": "x"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=":1:"):
        list(read_zhidao(path))


def test_lexicon_round_trip_and_errors(tmp_path):
    path = tmp_path / "lex.tsv"
    words = {"中国": 5, "\ue000年": 9, "人民": 5}
    assert write_lexicon(words, path) == 3
    assert path.read_text(encoding="utf-8").splitlines() == [
        "<NUM>年\t9",
        "中国\t5",
        "人民\t5",
    ]
    assert read_lexicon(path) == words
    path.write_text("中国 5\n", encoding="utf-8")
    with pytest.raises(ValueError, match="TAB"):
        read_lexicon(path)


def test_segmentation_f1_by_hand():
    score = segmentation_f1([["ab", "c", "d"]], [["a", "b", "c", "d"]])
    assert (score.precision, score.recall) == (2 / 3, 2 / 4)
    with pytest.raises(ValueError, match="join"):
        segmentation_f1([["ab"]], [["ac"]])
