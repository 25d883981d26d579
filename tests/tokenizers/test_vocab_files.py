"""load_vocab / simplified vocabularies / save_vocab and the tokenizer's input checks."""

import pytest

from kexue.tokenizers import Tokenizer, load_vocab, save_vocab
from kexue.tokenizers.base import kept_lengths
from kexue.tokenizers.vocab import is_cjk_character, is_punctuation


def test_load_vocab_numbers_lines(minilm_vocab):
    lines = minilm_vocab.read_text("utf-8").splitlines()
    vocab = load_vocab(minilm_vocab)
    assert len(vocab) == len(lines)
    assert all(vocab[token] == i for i, token in enumerate(lines))


def test_simplified_vocab_matches_bert4keras(minilm_vocab, b4k_module):
    start = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    ours = load_vocab(minilm_vocab, simplified=True, startswith=start)
    theirs = b4k_module.load_vocab(str(minilm_vocab), simplified=True, startswith=start)
    assert ours == theirs
    new_dict, keep = ours
    assert list(new_dict)[:5] == start and len(new_dict) == len(keep) < 30522
    assert not any(t.startswith("[unused") for t in new_dict)


def test_simplified_vocab_rules(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("\n".join(["[PAD]", "[unused1]", "中", "中国", "##国", "the", "##s", "...", ",", "a,b"]) + "\n", "utf-8")
    new_dict, keep = load_vocab(path, simplified=True, startswith=["[PAD]"])
    assert new_dict == {"[PAD]": 0, "中": 1, "the": 2, "##s": 3, ",": 4}
    assert keep == [0, 2, 5, 6, 8]
    with pytest.raises(KeyError, match="not in the vocabulary"):
        load_vocab(path, simplified=True, startswith=["[CLS]"])


def test_save_vocab_round_trip(tmp_path, minilm_vocab):
    new_dict, _ = load_vocab(minilm_vocab, simplified=True, startswith=["[PAD]", "[UNK]", "[CLS]", "[SEP]"])
    save_vocab(tmp_path / "small.txt", new_dict)
    assert load_vocab(tmp_path / "small.txt") == new_dict
    with pytest.raises(ValueError, match="without gaps"):
        save_vocab(tmp_path / "gaps.txt", {"a": 0, "b": 2})


def test_simplified_tokenizer_keeps_ids_consistent(minilm_vocab, tokenizer):
    new_dict, keep = load_vocab(minilm_vocab, simplified=True, startswith=["[PAD]", "[UNK]", "[CLS]", "[SEP]"])
    small = Tokenizer(new_dict, do_lower_case=True)
    text = "the 中 国 cats, sat."
    # Mapping the new ids back through keep_tokens gives the full vocabulary's ids.
    assert [keep[i] for i in small.encode(text)[0]] == tokenizer.encode(text)[0]


def test_character_classes_against_unicode_definitions():
    assert all(is_punctuation(c) for c in "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~，。、“”《》")
    assert not any(is_punctuation(c) for c in "aZ09 中é")
    assert all(is_cjk_character(chr(c)) for c in (0x4E00, 0x9FFF, 0x3400, 0x20000, 0xF900))
    assert not any(is_cjk_character(c) for c in "a。가あア")


def test_kept_lengths_matches_popping():
    for a in range(12):
        for b in range(12):
            for budget in range(25):
                x, y = a, b
                while x + y > budget:
                    if x >= y:
                        x -= 1
                    else:
                        y -= 1
                assert kept_lengths(a, b, budget) == (x, y), (a, b, budget)


def test_bad_inputs_have_clear_errors(tmp_path, tokenizer):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        Tokenizer(tmp_path / "missing.txt")
    with pytest.raises(ValueError, match=r"lacks \['\[UNK\]'"):
        Tokenizer({"[CLS]": 0, "[SEP]": 1, "a": 2})
    with pytest.raises(ValueError, match=r"\[SEP\]"):
        Tokenizer({"[UNK]": 0, "[CLS]": 1})
    assert Tokenizer({"[UNK]": 0, "a": 1}, token_start=None, token_end=None).encode("a b") == ([1, 0], [0, 0])
    empty = tmp_path / "empty.txt"
    empty.write_text("", "utf-8")
    with pytest.raises(ValueError, match="empty"):
        load_vocab(empty)
    with pytest.raises(TypeError, match="vocab.txt path"):
        Tokenizer(42)
    with pytest.raises(ValueError, match="pattern"):
        tokenizer.encode("a", "b", pattern="SEE")
    with pytest.raises(ValueError, match="truncate_from"):
        tokenizer.encode("a", maxlen=3, truncate_from="middle")
    with pytest.raises(ValueError, match="cannot even hold"):
        tokenizer.encode("a", "b", maxlen=2)
    with pytest.raises(TypeError, match="string or a"):
        tokenizer.encode_batch(["ok", 3])
    with pytest.raises(TypeError, match="must be a string"):
        tokenizer.tokenize(None)
    assert tokenizer.encode_batch([]) == ([], [])


def test_pre_tokenize_and_token_translate_match_bert4keras(b4k_module):
    chars = list("今天气很好我们去公园吧的是") + ["天气", "公园", "今天", "good", "##s", "day"]
    vocab = {t: i for i, t in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", *chars])}
    lexicon = {"今天天气", "天气", "公园", "我们", "今天", "good", "days"}

    def cut(text):
        """Forward maximum matching over a small lexicon (a stand-in for jieba)."""
        words, i = [], 0
        while i < len(text):
            size = next((n for n in range(4, 1, -1) if text[i : i + n] in lexicon), 1)
            words.append(text[i : i + size])
            i += size
        return words

    ours = Tokenizer(vocab, do_lower_case=True, pre_tokenize=cut)
    theirs = b4k_module.Tokenizer(vocab, do_lower_case=True, pre_tokenize=cut)
    for text in ["今天天气很好，我们去公园吧", "good days 是 今天", ""]:
        assert ours.encode(text) == theirs.encode(text), text
        # (bert4keras keeps an unknown word's text as its token; its id is [UNK]'s either way)
        assert ours.tokenize(text) == ours.ids_to_tokens(theirs.tokens_to_ids(theirs.tokenize(text)))
    # Offsets still point into the text, word tokens spanning their characters.
    text = "我们去公园，今天天气很好"
    ids, _, offsets = ours.encode(text, return_offsets=True)
    tokens = ours.ids_to_tokens(ids)[1:-1]
    assert "公园" in tokens
    assert [text[a:b] for a, b in offsets[1:-1]] == [t if t != "[UNK]" else "，" for t in tokens]
    translated = Tokenizer(vocab, token_translate={"好": "很"})
    assert translated.tokenize("很好") == ["[CLS]", "很", "很", "[SEP]"]
    assert translated.encode("很好")[0] == [2, vocab["很"], vocab["很"], 3]
    with pytest.raises(ValueError, match="consecutive pieces"):
        Tokenizer(vocab, pre_tokenize=lambda s: ["x"]).encode("今天")
