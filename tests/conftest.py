"""Shared pytest configuration. Test helpers live in tests/helpers.py."""

import os
from pathlib import Path

import pytest

# ../shared beside the checkout; KEXUE_SHARED overrides it (a git worktree elsewhere).
SHARED = Path(os.environ.get("KEXUE_SHARED") or Path(__file__).resolve().parents[2] / "shared")


def pytest_report_header(config):
    return f"KERAS_BACKEND={os.environ.get('KERAS_BACKEND', 'jax (default)')}"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The workplace's ../shared folder (fixtures and datasets). Tests that need it skip
    with a clear reason when it is absent (a user's checkout does not have it)."""
    if not SHARED.is_dir():
        pytest.skip(f"needs the shared fixtures folder at {SHARED}")
    return SHARED


@pytest.fixture
def mixed_bfloat16():
    """Keras' global dtype policy set to mixed_bfloat16 for one test, float32 afterwards."""
    import keras

    keras.mixed_precision.set_dtype_policy("mixed_bfloat16")
    try:
        yield
    finally:
        keras.mixed_precision.set_dtype_policy("float32")
