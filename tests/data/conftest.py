"""Fixtures for the data-helper tests."""

import pytest
from helpers import import_bert4keras


@pytest.fixture(scope="session")
def b4k_snippets():
    """bert4keras 0.11.5's snippets module (the reference)."""
    return import_bert4keras("snippets")
