"""Hypothesis fuzzing of the tokenizer (item 5): against transformers' fast BERT tokenizer
(``split_special_tokens=True``: a literal "[SEP]" in a text is text, as in bert4keras) on texts
full of special-token spellings, WordPiece markers and odd characters, single and paired, with
truncation; and on inputs of every Python type, which either encode or raise a ``TypeError`` /
``ValueError`` naming the argument -- never another exception, never a silent result.

The fast suite runs a few dozen examples per property; ``-m slow`` runs 1,000."""

import pytest
from helpers import backend
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kexue.resources import minilm_dir

pytestmark = pytest.mark.skipif(
    backend() != "jax", reason="backend-independent: runs once, in the JAX pass of the suite"
)

SPECIAL_PIECES = ["[CLS]", "[SEP]", "[UNK]", "[MASK]", "[PAD]", "[unused1]", "##", "##ing", "[", "]", "[cls]"]
text = st.lists(
    st.one_of(
        st.sampled_from(SPECIAL_PIECES),
        st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cn", "Cs"]), max_size=8),
        st.sampled_from(["中文", "über", "don't", "3.14", " ", "\t", "\u200b", "😀"]),
    ),
    max_size=8,
).map("".join)
anything = st.one_of(
    st.none(), st.integers(), st.floats(), st.binary(max_size=8), st.booleans(),
    st.lists(st.one_of(st.text(max_size=4), st.integers(), st.none()), max_size=4),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2), text,
)
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
SLOW = settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def pair():
    transformers = pytest.importorskip("transformers")
    from kexue.tokenizers import Tokenizer

    try:
        vocab = minilm_dir() / "vocab.txt"
    except (ModuleNotFoundError, FileNotFoundError) as error:
        pytest.skip(str(error))
    ours = Tokenizer(vocab, do_lower_case=True)
    reference = transformers.BertTokenizerFast(vocab=str(vocab), do_lower_case=True, split_special_tokens=True)
    return ours, reference


def same_as_transformers(pair, first, second, maxlen):
    ours, reference = pair
    if second == "":  # documented difference: we keep [SEP] for an empty second text
        second = None
    kwargs = dict(truncation="longest_first", max_length=maxlen) if maxlen else {}
    expected = reference(first, second, **kwargs)
    token_ids, segment_ids = ours.encode(first, second, maxlen=maxlen)
    if maxlen is None or len(expected["input_ids"]) < maxlen:  # no truncation: exact parity
        assert token_ids == expected["input_ids"]
        assert segment_ids == expected["token_type_ids"]
    else:  # truncation rules differ in tie-breaking (bert4keras' rule): same length and specials
        assert len(token_ids) == len(expected["input_ids"]) == maxlen
        assert token_ids[0] == expected["input_ids"][0] and token_ids[-1] == expected["input_ids"][-1]


def accepts_or_refuses_clearly(pair, first, second):
    ours, _ = pair
    try:
        token_ids, segment_ids = ours.encode(first, second)
    except (TypeError, ValueError) as error:
        assert any(name in str(error) for name in ("first_text", "second_text", "maxlen")), str(error)
        return
    assert isinstance(first, (str, list)) and (second is None or isinstance(second, (str, list)))
    assert len(token_ids) == len(segment_ids)


def decodes_or_refuses_clearly(pair, ids):
    ours, _ = pair
    try:
        assert isinstance(ours.decode(ids), str)
    except (TypeError, ValueError, KeyError) as error:
        assert "id" in str(error), str(error)


@FAST
@given(first=text, second=st.one_of(st.none(), text), maxlen=st.one_of(st.none(), st.integers(3, 40)))
def test_encode_matches_transformers(pair, first, second, maxlen):
    same_as_transformers(pair, first, second, maxlen)


@FAST
@given(first=anything, second=st.one_of(st.none(), anything))
def test_any_input_is_encoded_or_refused_clearly(pair, first, second):
    accepts_or_refuses_clearly(pair, first, second)


@FAST
@given(ids=st.lists(st.one_of(st.integers(-5, 40000), st.floats(), st.text(max_size=2), st.booleans()), max_size=6))
def test_any_ids_are_decoded_or_refused_clearly(pair, ids):
    decodes_or_refuses_clearly(pair, ids)


@pytest.mark.slow
@SLOW
@given(first=text, second=st.one_of(st.none(), text), maxlen=st.one_of(st.none(), st.integers(3, 40)))
def test_encode_matches_transformers_long(pair, first, second, maxlen):
    same_as_transformers(pair, first, second, maxlen)


@pytest.mark.slow
@SLOW
@given(first=anything, second=st.one_of(st.none(), anything))
def test_any_input_is_encoded_or_refused_clearly_long(pair, first, second):
    accepts_or_refuses_clearly(pair, first, second)
