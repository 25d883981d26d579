"""Fixtures for the data-helper tests."""

import importlib.util
import sys
import types

import pytest


@pytest.fixture(scope="session")
def b4k_snippets():
    """bert4keras 0.11.5's snippets module (the reference), imported with a stubbed backend."""
    if importlib.util.find_spec("bert4keras") is None:
        pytest.skip("bert4keras is not installed (pip install bert4keras==0.11.5 six --no-deps)")
    stub = types.ModuleType("bert4keras.backend")
    stub.K = stub.keras = stub.tf = None
    sys.modules.setdefault("bert4keras.backend", stub)
    from bert4keras import snippets

    return snippets
