"""Every ```python block of docs/training/*.md runs (blocks of a page share one namespace)."""

import re
from pathlib import Path

import pytest

PAGES = sorted((Path(__file__).resolve().parents[1] / "docs" / "training").glob("*.md"))
BLOCK = re.compile(r"```python\n(.*?)```", re.S)


def test_pages_exist():
    names = {p.stem for p in PAGES}
    assert {
        "custom-layers-and-callbacks",
        "custom-optimizers",
        "layerwise-lr-and-free-gradients",
        "derived-optimizers",
        "optimizer-dynamics",
        "rnn-saliency",
        "attention-positions",
        "capsules",
        "mixup",
        "image-finetuning",
    } <= names


@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_snippets_run(page):
    blocks = BLOCK.findall(page.read_text(encoding="utf-8"))
    assert blocks, f"{page.name} has no runnable snippet"
    namespace: dict = {}
    for i, code in enumerate(blocks):
        exec(compile(code, f"{page.name}[block {i}]", "exec"), namespace)
