"""The examples in docs/text/*.md and in the kexue.text docstrings run as written."""

import doctest
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted((ROOT / "docs" / "text").glob("*.md"))
MODULES = [
    "kexue.text",
    "kexue.text.units",
    "kexue.text.counting",
    "kexue.text.segmenter",
    "kexue.text.tokenizer",
    "kexue.text.cohesion",
    "kexue.text.reading",
    "kexue.text.dedup",
    "kexue.text.discovery",
    "kexue.text.corpus",
    "kexue.text.lexicon",
    "kexue.text.evaluation",
    "kexue.text.contrast",
    "kexue.text.cooccurrence",
    "kexue.text.vectors",
    "kexue.text.glove",
    "kexue.text.nce",
]
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_doc_page_examples(page):
    result = doctest.testfile(str(page), module_relative=False, optionflags=FLAGS)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=FLAGS)
    assert result.failed == 0
