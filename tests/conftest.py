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


@__import__("pytest").hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """``slow_on_jax`` tests are ``slow`` on JAX: the recipe kill-and-resume tests run three
    trainings in fresh subprocesses, and on JAX each compiles its steps again (tens of seconds
    on 2 cores); torch runs them in ``make test``, JAX in ``make test-slow``."""
    import os

    import pytest

    if os.environ.get("KERAS_BACKEND", "jax") != "jax":
        return
    for item in items:
        if item.get_closest_marker("slow_on_jax"):
            item.add_marker(pytest.mark.slow)
