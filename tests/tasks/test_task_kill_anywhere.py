"""Slow: a classify run SIGKILLed at many moments (mid-step, mid-snapshot, mid-evaluation, mid
commit) and resumed each time ends with the weights of an uninterrupted run, and its folder is
loadable after every kill (``kexue.files`` recovery + the runner's snapshots)."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import keras
import numpy as np
import pytest
from task_testing import TINY, reviews

from kexue.tasks import load_task

ROOT = Path(__file__).resolve().parents[2]


def cli(*argv):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "kexue.cli", *map(str, argv)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.slow
def test_kills_at_random_moments_then_resume(tmp_path):
    train, dev = reviews(tmp_path)
    argv = ["task", "classify", "train", "--train", train, "--dev", dev, "--epochs", "3",
            "--save-every", "2", *TINY]
    started = time.monotonic()
    reference = cli(*argv, "--out", tmp_path / "reference")
    assert reference.wait(timeout=900) == 0, reference.stderr.read()[-2000:]
    duration = time.monotonic() - started  # kills fall anywhere from start-up to the last commit
    out = tmp_path / "killed"
    rng = np.random.default_rng(0)
    kills = 0
    for attempt in range(12):
        process = cli(*argv, "--out", out, "--resume")
        try:
            process.wait(timeout=float(rng.uniform(0.3, 0.9) * duration))
            break  # finished before the kill
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
            process.wait()
            kills += 1
            if (out / "task.json").exists():  # after every kill the folder is readable
                from kexue.tasks.rundir import read_metrics, read_task

                assert read_task(out)["task"] == "classify"
                read_metrics(out)
    else:
        finish = cli(*argv, "--out", out, "--resume")
        assert finish.wait(timeout=900) == 0, finish.stderr.read()[-2000:]
    assert kills >= 2
    assert json.loads((out / "metrics.json").read_text())["finished"]

    def weights(folder):
        return [keras.ops.convert_to_numpy(v) for v in load_task(folder).model.weights]

    for a, b in zip(weights(out), weights(tmp_path / "reference")):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
