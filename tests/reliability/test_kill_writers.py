"""Item 1 for the writers of this area: a SIGKILL at a random moment, or a file-size limit
(``RLIMIT_FSIZE``, like ``ulimit -f``), leaves the previous complete output or a new complete
one -- never a truncated file. Writers: the training state (``save_training_state``), Keras
models and weights (``kexue.files.save_model`` / ``save_weights``: the demo, ``Evaluator``),
vocabularies (``save_vocab``) and simulation plots (``plot_simulation``).

The fast suite applies the file-size limit in this process and kills the vocabulary writer
three times; ``-m slow`` kills every writer 20 times and applies the limit in a subprocess."""

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import resource

import pytest
from helpers import backend
from kill_worker import WRITERS, _model, _set_values, check, write

WORKER = str(Path(__file__).with_name("kill_worker.py"))
ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")]),
       "KERAS_BACKEND": os.environ.get("KERAS_BACKEND", "jax")}
# Bytes a file may have under the limit: below every writer's output (state ~ 40 KB).
FILE_LIMIT = 4096


def start(kind, folder, *mode):
    proc = subprocess.Popen([sys.executable, WORKER, kind, str(folder), *mode], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=ENV, text=True)
    line = proc.stdout.readline()
    if line.strip() != "go":
        proc.kill()
        raise AssertionError(f"worker did not start: {line}{proc.stderr.read()[-3000:]}")
    return proc


def kills(kind: str, folder: Path, count: int, rng: random.Random) -> list:
    seen = []
    for _ in range(count):
        proc = start(kind, folder, "kill")
        time.sleep(rng.random() * 1.5)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        seen.append(check(kind, folder))  # raises unless a complete version is there
    return seen


def file_limit(kind: str, folder: Path) -> None:
    """In a subprocess: version 0, then version 1 under the file-size limit."""
    folder.mkdir(exist_ok=True)
    proc = start(kind, folder, "fsize", str(FILE_LIMIT))
    # read through the text wrappers: communicate() would skip what readline() buffered
    out, err = proc.stdout.read(), proc.stderr.read()
    proc.wait(timeout=300)
    assert proc.returncode == 3 and "refused" in out, (proc.returncode, out, err[-2000:])
    assert check(kind, folder) == 0, "the previous output was damaged"
    assert_no_leftovers(folder)


def assert_no_leftovers(folder: Path) -> None:
    leftovers = [p.name for p in folder.iterdir() if ".tmp" in p.name]
    assert not leftovers, f"temporary files left behind: {leftovers}"


@pytest.mark.parametrize("kind", WRITERS)
def test_writer_keeps_previous_output_under_a_file_size_limit(tmp_path, kind):
    """In this process (cheap): the limit makes the write fail with EFBIG half-way."""
    model = _model(0) if kind in ("state", "keras") else None
    write(kind, tmp_path, 0, model)
    if model is not None:
        _set_values(model, 1)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_LIMIT, hard))
    try:
        with pytest.raises(OSError):
            write(kind, tmp_path, 1, model)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    assert check(kind, tmp_path) == 0
    assert_no_leftovers(tmp_path)


@pytest.mark.skipif(backend() != "jax", reason="backend-independent: runs once, in the JAX pass")
def test_vocabulary_writer_survives_random_kills(tmp_path):
    """The subprocess mechanics in the fast suite, on the writer whose process starts fastest."""
    assert all(v is not None for v in kills("vocab", tmp_path, 3, random.Random(0)))


@pytest.mark.slow
@pytest.mark.parametrize("kind", WRITERS)
def test_writer_survives_twenty_kills_and_a_file_size_limit(tmp_path, kind):
    versions = kills(kind, tmp_path, 20, random.Random(f"slow-{kind}"))
    print(f"{kind}: 20 SIGKILLs, complete versions found: {versions}")
    assert all(v is not None for v in versions)
    if kind != "plot":  # a PNG does not say which version it is
        assert len(set(versions)) > 1, "the kills never landed after a new version: vary the timing"
    file_limit(kind, tmp_path / "limited")
