"""SpTokenizer on a tiny SentencePiece model trained here on a generated corpus."""

import random

import pytest

from kexue.tokenizers import SpTokenizer

spm = pytest.importorskip("sentencepiece")

WORDS = ["hello", "world", "kexue", "space", "science", "中文", "测试", "模型", "the", "quick", "brown", "fox", "data"]


@pytest.fixture(scope="module")
def sp_model(tmp_path_factory):
    rng = random.Random(0)
    corpus = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 10))) for _ in range(800)]
    prefix = tmp_path_factory.mktemp("spm") / "tiny"
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(corpus),
        model_prefix=str(prefix),
        vocab_size=60,
        hard_vocab_limit=False,
        control_symbols=["[CLS]", "[SEP]", "[MASK]"],
        minloglevel=2,
    )
    return prefix.with_suffix(".model")


@pytest.fixture(scope="module")
def processor(sp_model):
    return spm.SentencePieceProcessor(model_file=str(sp_model))


TEXTS = ["hello world", "中文 测试 模型", "the quick brown fox", "kexue science data hello 中文", "", "zzz unknownish"]


@pytest.mark.parametrize("text", TEXTS)
def test_ids_are_the_models_pieces_between_cls_and_sep(sp_model, processor, text):
    tok = SpTokenizer(sp_model)
    cls, sep = processor.piece_to_id("[CLS]"), processor.piece_to_id("[SEP]")
    ids, segments = tok.encode(text)
    assert ids == [cls, *processor.encode(text), sep]
    assert segments == [0] * len(ids)
    assert tok.tokenize(text) == ["[CLS]", *processor.encode(text, out_type=str), "[SEP]"]


@pytest.mark.parametrize("text", TEXTS[:4])
def test_decode_inverts_encode(sp_model, text):
    tok = SpTokenizer(sp_model)
    assert tok.decode(tok.encode(text)[0]) == text
    t5_style = SpTokenizer(sp_model, token_start=None, token_end="</s>")
    ids = t5_style.encode(text)[0]
    assert ids[-1] == t5_style._token_end_id and t5_style.decode(ids) == text
    assert t5_style.decode(ids + [10**6]) == text  # ids beyond the vocabulary are skipped


def test_pairs_truncation_and_batch(sp_model, processor):
    tok = SpTokenizer(sp_model)
    first, second = TEXTS[3], TEXTS[2]
    a, b = processor.encode(first), processor.encode(second)
    cls, sep = tok._token_start_id, tok._token_end_id
    assert tok.encode(first, second) == ([cls, *a, sep, *b, sep], [0] * (len(a) + 2) + [1] * (len(b) + 1))
    ids, segments = tok.encode(first, second, maxlen=10)
    assert len(ids) == 10 and ids[0] == cls and ids.count(sep) == 2
    budget = 10 - 3
    keep_a = min(len(a), max(budget // 2, budget - len(b)))
    assert ids == [cls, *a[:keep_a], sep, *b[: budget - keep_a], sep]
    batch = tok.encode_batch([first, (first, second)], maxlen=10)
    assert (batch[0][1], batch[1][1]) == (ids, segments)
    assert (batch[0][0], batch[1][0]) == tok.encode(first, maxlen=10)


def test_offsets_cover_each_piece(sp_model, processor):
    tok = SpTokenizer(sp_model)
    text = "kexue  science 中文 hello"
    ids, _, offsets = tok.encode(text, return_offsets=True)
    assert offsets[0] == offsets[-1] == (0, 0)
    for i, (start, end) in zip(ids[1:-1], offsets[1:-1]):
        piece = processor.id_to_piece(i).replace("\u2581", "")
        assert text[start:end].replace(" ", "") == piece


def test_errors(tmp_path, sp_model):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        SpTokenizer(tmp_path / "missing.model")
    with pytest.raises(ValueError, match="not a piece"):
        SpTokenizer(sp_model, token_start="<cls>")
    assert SpTokenizer(sp_model.read_bytes()).vocab_size == SpTokenizer(sp_model).vocab_size


def test_pre_tokenize_and_token_translate(sp_model, processor):
    words = SpTokenizer(sp_model, pre_tokenize=lambda s: list(s.replace(" ", "")))
    assert words.encode("hel lo")[0][1:-1] == processor.encode("h e l l o")
    with pytest.raises(ValueError, match="pre_tokenize"):
        words.encode("hello", return_offsets=True)
    swap = SpTokenizer(sp_model, token_translate={"\u2581hello": "\u2581world"})
    ids = swap.encode("hello world")[0]
    assert ids[1:-1] == processor.encode("world world")
    assert swap.tokenize("hello")[1:-1] == ["\u2581world"]
    assert swap.decode(ids) == "hello hello"  # decode undoes the translation
