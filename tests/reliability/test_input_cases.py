"""Every bad input of issue 13 in this area (tests/reliability/cases.py) gets a clear error:
the right exception type, and a message naming the argument, the value or the file."""

import pytest
from cases import ALL_CASES, World


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return World(tmp_path_factory.mktemp("reliability"))


@pytest.mark.parametrize("case", ALL_CASES, ids=[f"{c.item}-{c.area}-{c.name}" for c in ALL_CASES])
def test_bad_input_gets_a_clear_error(world, case):
    with pytest.raises(case.error, match=case.match):
        case.run(world)
