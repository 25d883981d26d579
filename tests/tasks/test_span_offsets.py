"""Character spans survive the trip to tokens and back exactly, through the tokenizer's
offsets, on texts with Latin words, digits, full-width characters and spaces, with a character
vocabulary and with a WordPiece vocabulary whose tokens cover whole words; long texts are cut
into pieces that cover them exactly."""

import random

from extraction_testing import entity_text

from kexue.tasks.backbone import scratch_backbone
from kexue.tasks.offsets import pieces
from kexue.tasks.recipe import Recipe, TaskContext
from kexue.tasks.span_tagging import char_spans, encode_text, token_spans
from kexue.tokenizers import Tokenizer

TEXTS = ["John Smith 2019年到 New York。", "ＡＬＩＣＥ住在ＴＯＫＹＯ 2号楼", "赵 四  喜欢 深圳湾。"]
ENTITIES = [[(0, 10, "PER"), (11, 16, "DATE"), (18, 26, "LOC")],
            [(0, 5, "PER"), (7, 12, "LOC"), (13, 16, "LOC")],
            [(0, 3, "PER"), (8, 11, "LOC")]]


def context(tokenizer, backbone):
    return TaskContext(Recipe(), backbone, tokenizer, maxlen=64)


def round_trip(ctx, text, entities):
    encoded = encode_text(ctx, text)
    back = char_spans(encoded.offsets, token_spans(encoded.offsets, entities))
    assert back == sorted(entities), (text, back)
    return encoded


def test_character_vocabulary_round_trip():
    rng = random.Random(0)
    samples = [entity_text(rng) for _ in range(200)]
    backbone = scratch_backbone("2x32x4", TEXTS + [t for t, _ in samples])
    ctx = context(backbone.tokenizer(), backbone)
    for text, entities in zip(TEXTS, ENTITIES):
        encoded = round_trip(ctx, text, entities)
        assert all(text[a:b] == text[a:b].strip() and b > a for a, b in encoded.offsets[1:-1])
    for text, entities in samples:
        round_trip(ctx, text, [tuple(e) for e in entities])


def test_whole_word_tokens_round_trip():
    tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "john", "smith", "new", "york", "2019", "年", "到",
              "。", "ａｌｉｃｅ", "住", "在", "ｔｏｋｙｏ", "2", "号", "楼", "赵", "四", "喜", "欢", "深", "圳", "湾"]
    backbone = scratch_backbone("2x32x4", TEXTS)
    ctx = context(Tokenizer({t: i for i, t in enumerate(tokens)}, do_lower_case=True), backbone)
    for text, entities in zip(TEXTS, ENTITIES):
        encoded = round_trip(ctx, text, entities)
        assert encoded.token_ids[1:3] != [1, 1]  # real tokens, not [UNK]


def test_pieces_cover_the_text():
    rng = random.Random(3)
    for _ in range(200):
        text = "".join(rng.choice("天地人。，a ") for _ in range(rng.randint(0, 90)))
        limit = rng.randint(1, 20)
        ranges = pieces(text, limit)
        assert "".join(text[a:b] for a, b in ranges) == text
        assert all(0 < b - a <= limit for a, b in ranges) or text == ""
