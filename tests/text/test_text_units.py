"""Units: the regex (per line) and NumPy (bulk) forms agree; pieces cover the line."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from kexue.text.units import (
    LATIN,
    NUMBER,
    SEPARATOR,
    code_units,
    decode_rows,
    encode,
    split_units,
    to_units,
)

ALPHABET = "中国人民的１２３4.5．ab%％，。—— \n·∶ＡＢ\U00020000\U0001F600"  # and two beyond the BMP


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=40))
def test_numpy_units_match_regex_units(text):
    assert code_units(text).tolist() == [ord(c) for c in to_units(text)]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=40))
def test_pieces_cover_the_line_and_units_align(text):
    units, pieces = split_units(text)
    assert "".join(pieces) == text
    assert len(units) == len(pieces)
    word_units = "".join(u for u in units if u != SEPARATOR)
    assert word_units == to_units(text).replace(SEPARATOR, "")


def test_known_split():
    units, pieces = split_units("１９９８年GDP增长８．８％——好")
    assert pieces == ["１９９８", "年", "GDP", "增", "长", "８．８", "％", "——", "好"]
    assert units == NUMBER + "年" + LATIN + "增长" + NUMBER + "％" + SEPARATOR + "好"


def test_decode_rows_round_trip():
    rows = encode("中国人民北京").reshape(3, 2)
    assert decode_rows(rows) == ["中国", "人民", "北京"]
    assert decode_rows(np.zeros((0, 2), dtype=np.uint32)) == []
