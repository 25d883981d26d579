"""The examples in docs/sim/*.md and in the kexue.sim docstrings run as written."""

import doctest
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted((ROOT / "docs" / "sim").glob("*.md"))


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_doc_page_examples(page):
    result = doctest.testfile(
        str(page), module_relative=False, optionflags=doctest.ELLIPSIS
    )
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize(
    "name", ["kexue.sim", "kexue.sim.network", "kexue.sim.gillespie", "kexue.sim.plots"]
)
def test_docstring_examples(name):
    assert doctest.testmod(importlib.import_module(name)).failed == 0
