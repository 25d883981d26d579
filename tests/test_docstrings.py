"""Every module's docstring examples run and print what they say, on the current backend, and
every public module has at least one (the brief asks for a runnable example in each
docstring; this keeps them there and keeps them true)."""

import doctest
import importlib
import pkgutil

import pytest

import kexue

PACKAGES = {i.name for i in pkgutil.walk_packages(kexue.__path__, prefix="kexue.") if i.ispkg}
MODULES = sorted(
    i.name for i in pkgutil.walk_packages(kexue.__path__, prefix="kexue.")
    if not i.name.endswith("__main__")
)
# Modules whose contents are exercised another way: command lines (tests/*/test_cli*.py run
# them as subprocesses), checkpoint name maps (tests/models load real checkpoints through them),
# private helpers of one module, and the demo (tests/test_demo.py).
NO_EXAMPLE_NEEDED = ("cli", "demo", "families.", "._", "text.dedup")


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} failed"
    if name not in PACKAGES and not any(part in name for part in NO_EXAMPLE_NEEDED):
        assert result.attempted > 0, f"{name} has no docstring example: add a runnable one"
