"""Readers of sequence-labelling data: the PKU gold form (two spaces, CRLF), char-per-line
BIO/BIOES with tab or space separators and Weibo's char+digit form, JSON lines; bad rows are
one error naming file:line. Real shared files are read when present."""

import json
from pathlib import Path

import pytest

from kexue.tasks.data import DataError
from kexue.tasks.sequence_data import read_char_tags, read_entities, read_segmented

DATA = Path("/work/shared/data")


def test_segmented_lines(tmp_path):
    path = tmp_path / "gold.utf8"
    path.write_bytes("共同  创造  美好  的  新  世纪  ——  二○○一年  新年  贺词  \r\n\r\n１２月  ３１日 \r\n".encode())
    rows = read_segmented(path)
    assert [r.text for r in rows] == ["共同创造美好的新世纪——二○○一年新年贺词", "１２月３１日"]
    assert rows[1].words == ((0, 3), (3, 6)) and rows[1].where == f"{path}:3"
    assert [r.text[a:b] for r in rows[:1] for a, b in r.words][-3:] == ["二○○一年", "新年", "贺词"]


def test_char_tag_forms(tmp_path):
    tab = tmp_path / "msra.tsv"
    tab.write_text("张\tB-PER\n三\tI-PER\n在\tO\n北\tB-LOC\n京\tE-LOC\n\n好\tS-ORG\n", encoding="utf-8")
    rows = read_char_tags(tab)
    assert [(r.text, r.entities) for r in rows] == [("张三在北京", ((0, 2, "PER"), (3, 5, "LOC"))),
                                                     ("好", ((0, 1, "ORG"),))]
    space = tmp_path / "resume.tsv"
    space.write_text("高 B-NAME\n勇 I-NAME\n： O\n", encoding="utf-8")
    assert read_char_tags(space)[0].entities == ((0, 2, "NAME"),)
    weibo = tmp_path / "weibo.train"
    weibo.write_text("1\tO\n张0\tB-PER.NAM\n21\tI-PER.NAM\n", encoding="utf-8")  # '1' is a char: not weibo form
    assert read_char_tags(weibo)[0].text == "1张021"
    weibo.write_text("10\tO\n张0\tB-PER.NAM\n21\tI-PER.NAM\n", encoding="utf-8")
    assert (read_char_tags(weibo)[0].text, read_char_tags(weibo)[0].entities) == ("1张2", ((1, 3, "PER.NAM"),))


def test_bad_rows_name_file_and_line(tmp_path):
    path = tmp_path / "bad.tsv"
    path.write_text("张\tB-PER\n三\tX-PER\n", encoding="utf-8")
    with pytest.raises(DataError, match=rf"{path}:2: tag 'X-PER'"):
        read_char_tags(path)
    path.write_text("张\tB-PER\n三I-PER\n", encoding="utf-8")
    with pytest.raises(DataError, match=rf"{path}:2: expected char<TAB>tag"):
        read_char_tags(path)
    lines = tmp_path / "bad.jsonl"
    lines.write_text(json.dumps({"text": "张三", "entities": [[0, 2, "PER"]]}) + "\n"
                     + json.dumps({"text": "张三", "entities": [[0, 3, "PER"]]}) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=rf"{lines}:2: entity \[0, 3, 'PER'\] is not a span"):
        read_entities(lines)
    lines.write_text(json.dumps({"text": "张三", "entities": [[0, 2, "PER", "李四"]]}) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match="says '李四' but text"):
        read_entities(lines)


@pytest.mark.skipif(not DATA.exists(), reason="../shared/data is not here")
def test_shared_files_read_with_their_counts():
    weibo = read_char_tags(DATA / "weibo_ner" / "weiboNER_2nd_conll.test")
    # 414 B- tags, plus 4 mentions the file starts with I- after O (read as conlleval does)
    assert len(weibo) == 270 and sum(len(r.entities) for r in weibo) == 414 + 4
    assert sum(len(r.text) for r in weibo) >= 14842  # a few rows hold two code points
    resume = read_char_tags(DATA / "resume_ner" / "test.char.bio.tsv")
    assert len(resume) == 477 and sum(len(r.entities) for r in resume) == 1630
    pku = read_segmented(DATA / "pku_cws" / "pku_test_gold.utf8")
    assert len(pku) == 1944 and sum(len(r.words) for r in pku) == 104372
