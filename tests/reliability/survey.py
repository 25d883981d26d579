"""Run the bad-input table (cases.py) against whichever kexue is importable and count outcomes.

    PYTHONPATH=$PWD KERAS_BACKEND=jax python tests/reliability/survey.py            # this checkout
    PYTHONPATH=/path/to/old/kexue KERAS_BACKEND=jax python tests/reliability/survey.py

Outcomes per case: ``clear`` (the expected exception type with a message naming the problem),
``confusing`` (another exception, or the right type with a message that does not say what is
wrong), ``silent`` (no error: a wrong result, or a model or state changed behind the user's
back), ``hang`` (more than ``--timeout`` seconds, or a runaway allocation: MemoryError). Prints
one line per case and a markdown table of counts per area (docs/reliability.md).
"""

from __future__ import annotations

import argparse
import collections
import re
import signal
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cases import ALL_CASES, GOOD, SEGMENTS, World  # noqa: E402

OUTCOMES = ("clear", "confusing", "silent", "hang")


class _Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise _Timeout


def classify(case, world, timeout: int) -> tuple[str, str]:
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(timeout)
    try:
        case.run(world)
    except _Timeout:
        return "hang", f"still running after {timeout} s"
    except MemoryError as error:
        return "hang", f"runaway allocation: {error}"
    except AssertionError as error:
        return "silent", f"wrong state: {error}"
    except case.error as error:
        if re.search(case.match, str(error)):
            return "clear", str(error).splitlines()[0][:160]
        return "confusing", f"{type(error).__name__}: {str(error).splitlines()[0][:160] if str(error) else ''}"
    except Exception as error:  # noqa: BLE001 - classifying is the point
        text = str(error).splitlines()[0][:160] if str(error) else ""
        return "confusing", f"{type(error).__name__}: {text}"
    finally:
        signal.alarm(0)
    return "silent", "no error"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=int, default=120)
    args = parser.parse_args()
    world = World(Path(tempfile.mkdtemp(prefix="kexue-survey-")))
    world.bert.predict([GOOD, SEGMENTS], verbose=0)  # warm up: imports and first compile untimed
    counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for case in ALL_CASES:
        world.reset()
        outcome, detail = classify(case, world, args.timeout)
        counts[case.area][outcome] += 1
        print(f"{outcome:9} item {case.item} {case.area}: {case.name} -- {detail}", flush=True)
    print()
    print("| area | tried | " + " | ".join(OUTCOMES) + " |")
    print("| --- | ---: | " + " | ".join("---:" for _ in OUTCOMES) + " |")
    total: collections.Counter = collections.Counter()
    for area, counter in counts.items():
        total.update(counter)
        row = " | ".join(str(counter[o]) for o in OUTCOMES)
        print(f"| {area} | {sum(counter.values())} | {row} |")
    print(f"| **all** | {sum(total.values())} | " + " | ".join(str(total[o]) for o in OUTCOMES) + " |")


if __name__ == "__main__":
    main()
