"""Reading source -> target data: TSV with two or three columns, JSON lines, and errors that
name file:line."""

import json

import pytest

from kexue.tasks.pair_data import DataError, read_source_target, read_sources


def test_formats(tmp_path):
    two = tmp_path / "couplets.tsv"
    two.write_text("晚风摇树\t晨露润花\n\n丹枫江冷\t绿柳堤新\n", encoding="utf-8")
    assert [(e.source, e.target, e.where) for e in read_source_target(two)] == [
        ("晚风摇树", "晨露润花", f"{two}:1"), ("丹枫江冷", "绿柳堤新", f"{two}:3")]
    lines = tmp_path / "titles.jsonl"
    lines.write_text(json.dumps({"abstract": "摘要", "title": "标题"}, ensure_ascii=False) + "\n"
                     + json.dumps({"source": "甲", "target": "乙"}) + "\n", encoding="utf-8")
    assert [(e.source, e.target) for e in read_source_target(lines)] == [("摘要", "标题"), ("甲", "乙")]
    inputs = tmp_path / "inputs.txt"
    inputs.write_text("一段摘要\n", encoding="utf-8")
    assert [(e.source, e.target) for e in read_sources(inputs)] == [("一段摘要", None)]


@pytest.mark.parametrize("content, says", [
    ("a\tb\tc\td\n", ":1: expected source<TAB>target"),
    ("task\ta\tb\nx\ty\n", ":2: expected 3 tab-separated fields"),
    ("a\t \n", ":1: the target is empty"),
    ("\n\n", "is empty: it holds no examples"),
])
def test_bad_rows_name_their_line(tmp_path, content, says):
    path = tmp_path / "data.tsv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DataError, match=says):
        read_source_target(path)
    bad_json = tmp_path / "data.jsonl"
    bad_json.write_text('{"source": "x"}\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"data.jsonl:1: the object has no target"):
        read_source_target(bad_json)
