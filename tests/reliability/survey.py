"""Run the bad-input table (cases.py) against whichever kexue is importable and count outcomes.

    PYTHONPATH=$PWD KERAS_BACKEND=jax python tests/reliability/survey.py            # this checkout
    PYTHONPATH=/path/to/old/kexue KERAS_BACKEND=jax python tests/reliability/survey.py

Outcomes per case: ``clear`` (the expected exception type with a message naming the problem),
``confusing`` (another exception, or the right type with a message that does not say what is
wrong), ``silent`` (no error: a wrong result, or a model or state changed behind the user's
back), ``hang`` (more than ``--timeout`` seconds, or a runaway allocation: MemoryError),
``lost`` (a writer interrupted by a file-size limit damaged the previous output). Prints
one line per case and a markdown table of counts per area (docs/reliability.md).
"""

from __future__ import annotations

import argparse
import collections
import re
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cases import ALL_CASES, GOOD, SEGMENTS, WRITERS, DataLost, World, limited_write  # noqa: E402

OUTCOMES = ("clear", "confusing", "silent", "hang", "lost")


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
    except DataLost as error:
        return "lost", str(error)
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


def classify_writer(name: str, world) -> tuple[str, str]:
    """A writer under a file-size limit, in a subprocess (h5py may crash the process when a
    write fails); then the previous output is checked here."""
    run = subprocess.run([sys.executable, __file__, "--writer", name, "--folder", str(world.folder)],
                         capture_output=True, text=True, timeout=600)
    crashed = f"the writing process died (signal {-run.returncode})" if run.returncode < 0 else ""
    try:
        intact = WRITERS[name][1](world)
    except Exception as error:  # noqa: BLE001
        return "lost", f"{crashed} {type(error).__name__}: {str(error)[:120]}".strip()
    if not intact:
        return "lost", f"{crashed} the previous output changed".strip()
    return ("confusing", crashed + "; previous output kept") if crashed else ("clear", "previous output kept")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=int, default=120)
    parser.add_argument("--writer", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.writer:  # child of classify_writer
        world = World(Path(args.folder))
        limited_write(lambda k: WRITERS[args.writer][0](world, k))
        return
    world = World(Path(tempfile.mkdtemp(prefix="kexue-survey-")))
    world.bert.predict([GOOD, SEGMENTS], verbose=0)  # warm up: imports and first compile untimed
    counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for case in ALL_CASES:
        world.reset()
        if case.area == "writers":
            outcome, detail = classify_writer(case.name.replace(" under a file-size limit", ""), world)
        else:
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
