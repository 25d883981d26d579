"""Width folding in the WordPiece tokenizer: full-width digits and letters read as ASCII, with
offsets into the original text, on the fast path and on the Hugging Face engine alike; checked
against Unicode's own compatibility mapping (NFKC)."""

import unicodedata

import pytest

from kexue.tasks.backbone import Backbone, scratch_backbone
from kexue.tasks.vocab import character_vocabulary
from kexue.tokenizers import Tokenizer
from kexue.tokenizers.width import WIDTH_FOLD, fold_width


def test_fold_agrees_with_nfkc_on_every_folded_character():
    assert len(WIDTH_FOLD) == 95
    for code, target in WIDTH_FOLD.items():
        assert unicodedata.normalize("NFKC", chr(code)) == chr(target)
    untouched = "中文。、“”—…℃αé"  # outside U+FF01..U+FF5E: kept as it is (，！ fold to ,!)
    assert fold_width(untouched) == untouched


VOCAB = character_vocabulary(["2001年 21世纪 abc 3.5% 北京", "ｘｙｚ"], fold_width=True)
TEXTS = ["２００１年，ＡＢＣ　3.5％北京", "21世纪ｘｙｚ", "café ２０", "（附图片１张）"]


@pytest.mark.parametrize("fast_path", [True, False])
def test_full_width_text_encodes_as_its_ascii_form_with_original_offsets(fast_path):
    folding = Tokenizer(VOCAB, do_lower_case=True, fold_width=True, fast_path=fast_path)
    plain = Tokenizer(VOCAB, do_lower_case=True, fast_path=fast_path)
    for text in TEXTS:
        ids, _, offsets = folding.encode(text, return_offsets=True)
        ascii_ids, _, ascii_offsets = plain.encode(fold_width(text), return_offsets=True)
        assert ids == ascii_ids
        assert [tuple(o) for o in offsets] == [tuple(o) for o in ascii_offsets]
        assert folding.rematch(text, folding.tokenize(text)) == plain.rematch(
            fold_width(text), plain.tokenize(fold_width(text)))
    # without folding the full-width digits are unknown to this vocabulary
    assert plain.tokenize("２００１年")[1] == "[UNK]"
    assert folding.tokenize("２００１年") == ["[CLS]", "2", "##0", "##0", "##1", "年", "[SEP]"]


def test_vocabulary_and_backbone_keep_the_setting():
    assert "１" not in VOCAB and "##0" in VOCAB and "x" in VOCAB
    assert "１" in character_vocabulary(["１２"])  # off by default
    backbone = scratch_backbone("2x32x4", ["ＡＢ１２中文"], fold_width=True)
    assert backbone.tokenizer().tokenize("ab12") == backbone.tokenizer().tokenize("ＡＢ１２")
    described = backbone.describe()
    assert described["fold_width"] is True
    assert Backbone.from_description(described, backbone.vocab).fold_width is True
    assert backbone.without_weights().fold_width is True
    described.pop("fold_width")  # a run saved before folding existed did not fold
    assert Backbone.from_description(described, backbone.vocab).fold_width is False
