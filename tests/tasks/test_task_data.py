"""Reading task data: every format, and a clear file:line error for every kind of bad row."""

import json

import pytest

from kexue.tasks.data import DataError, read_input_lines, read_labelled_texts, read_text_pairs


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_formats(tmp_path):
    csv_file = write(tmp_path / "a.csv", 'label,review\n1,"好吃\n真的"\n0,难吃\n')
    assert [(e.text, e.label, e.where) for e in read_labelled_texts(csv_file)] == [
        ("好吃\n真的", "1", f"{csv_file}:2"), ("难吃", "0", f"{csv_file}:4")]
    tsv = write(tmp_path / "b.tsv", "sentence\tlabel\nit is good\t1\n\nbad\t0\n")
    assert [(e.text, e.label) for e in read_labelled_texts(tsv)] == [("it is good", "1"), ("bad", "0")]
    jsonl = write(tmp_path / "c.jsonl", json.dumps({"text": "x", "label": 1}) + "\n")
    assert read_labelled_texts(jsonl)[0].label == "1"
    pairs = write(tmp_path / "d.tsv", "一\t二\t4\n三\t四\t0\n")
    assert [(p.first, p.second, p.label) for p in read_text_pairs(pairs)] == [("一", "二", "4"), ("三", "四", "0")]
    pair_json = write(tmp_path / "e.jsonl", json.dumps({"sentence1": "a", "sentence2": "b", "score": 2.5}) + "\n")
    assert read_text_pairs(pair_json)[0].label == "2.5"
    inputs = write(tmp_path / "f.txt", "甲\t乙\n\n丙\t丁\n")
    assert [(p.first, p.second, p.label) for p in read_input_lines(inputs, pair=True)] == [
        ("甲", "乙", None), ("丙", "丁", None)]


@pytest.mark.parametrize("name, text, says", [
    ("a.tsv", "好\t1\n坏\t0\textra\n", ":2: expected 2 tab-separated fields (text, label), found 3"),
    ("b.tsv", "好\t1\n\t0\n", ":2: the text is empty"),
    ("c.tsv", "好\t1\n坏\t \n", ":2: the label is empty"),
    ("d.csv", "1,好\n", ":1: a CSV file needs a header"),
    ("e.csv", "label,text\n1\n", ":2: the header names 2 columns but this row has 1"),
    ("f.jsonl", '{"text": "a", "label": 1}\n{"text": "b"\n', ":2: not a JSON object"),
    ("g.jsonl", '["a", 1]\n', ":1: expected a JSON object, found list"),
    ("h.jsonl", '{"body": "a", "label": 1}\n', ":1: the object has no text"),
    ("i.tsv", "\n\n", " is empty: it holds no examples"),
])
def test_bad_rows_name_file_and_line(tmp_path, name, text, says):
    path = write(tmp_path / name, text)
    with pytest.raises(DataError) as error:
        read_labelled_texts(path)
    assert str(error.value).startswith(str(path)) and says in str(error.value)


def test_missing_and_undecodable_files(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        read_labelled_texts(tmp_path / "nope.tsv")
    latin = tmp_path / "latin.tsv"
    latin.write_bytes("caf\xe9\t1\n".encode("latin-1"))
    with pytest.raises(DataError, match="not UTF-8 text"):
        read_labelled_texts(latin)
    with pytest.raises(DataError, match="expected two tab-separated texts"):
        read_input_lines(write(tmp_path / "p.txt", "only one\n"), pair=True)
