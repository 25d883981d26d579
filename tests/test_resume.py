"""A fine-tuning run killed mid-epoch and resumed from its last snapshot reaches the same
weights (≤ 1e-6) as an uninterrupted run: optimizer state (Lookahead's slow weights, the
schedule's step), dropout seeds and data order included."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
from resume_worker import build, data, run

from kexue.training import epoch_order, fit_resumable, load_training_state


class Crash(Exception):
    pass


def weights(model):
    return [keras.ops.convert_to_numpy(v.value) for v in model.weights]


def test_interrupted_and_resumed_equals_uninterrupted(tmp_path):
    """In-process and fast: a small model with dropout (the Transformer runs in the slow
    SIGKILL test below)."""
    reference = weights(run(tmp_path / "a", kind="mlp"))
    x, y = data()
    model = build("mlp")

    def crash(step):
        if step == 9:  # mid-epoch 1 (5 batches an epoch); the last snapshot is at step 8
            raise Crash

    with pytest.raises(Crash):
        fit_resumable(
            model,
            x,
            y,
            batch_size=8,
            epochs=3,
            checkpoint_dir=tmp_path / "b",
            save_every=4,
            seed=1,
            on_step=crash,
        )
    resumed = run(tmp_path / "b", kind="mlp")  # a fresh process would build the same model
    for a, b in zip(weights(resumed), reference):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
    moved = max(np.abs(a - b).max() for a, b in zip(reference, weights(build("mlp"))))
    assert moved > 1e-3


def test_state_checks(tmp_path):
    model = build("mlp")
    assert load_training_state(tmp_path, model) is None
    assert sorted(epoch_order(10, 3, 2)) == list(range(10))
    assert not np.array_equal(epoch_order(10, 3, 1), epoch_order(10, 3, 2))
    x, y = data()
    fit_resumable(model, x, y, batch_size=8, epochs=1, checkpoint_dir=tmp_path, save_every=100)
    with pytest.raises(ValueError, match="seed"):
        fit_resumable(
            model, x, y, batch_size=8, epochs=2, checkpoint_dir=tmp_path, save_every=100, seed=5
        )
    other = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    other.compile("sgd", "mse")
    with pytest.raises(ValueError, match="different set-up"):
        load_training_state(tmp_path, other)


@pytest.mark.slow
def test_sigkill_mid_epoch_then_resume(tmp_path):
    worker = str(Path(__file__).with_name("resume_worker.py"))
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            [str(Path(__file__).resolve().parents[1]), str(Path(__file__).parent)]
        ),
    }

    def call(*args):
        return subprocess.run(
            [sys.executable, worker, *map(str, args)],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )

    assert call(tmp_path / "a", tmp_path / "a.npz").returncode == 0
    killed = call(tmp_path / "b", tmp_path / "b.npz", 11)
    assert killed.returncode == -signal.SIGKILL
    assert not (tmp_path / "b.npz").exists() and (tmp_path / "b" / "state.npz").exists()
    done = call(tmp_path / "b", tmp_path / "b.npz")
    assert done.returncode == 0, done.stderr[-2000:]
    with np.load(tmp_path / "a.npz") as a, np.load(tmp_path / "b.npz") as b:
        for key in a.files:
            np.testing.assert_allclose(b[key], a[key], rtol=1e-6, atol=1e-6)


def test_finished_run_trains_nothing_and_more_epochs_continue(tmp_path):
    x, y = data()
    model = build("mlp")
    first = fit_resumable(model, x, y, batch_size=8, epochs=1, checkpoint_dir=tmp_path, save_every=100)
    stamp = (tmp_path / "state.npz").stat().st_mtime_ns
    assert fit_resumable(build("mlp"), x, y, batch_size=8, epochs=1, checkpoint_dir=tmp_path, save_every=100) == []
    assert (tmp_path / "state.npz").stat().st_mtime_ns == stamp  # not rewritten
    more = fit_resumable(build("mlp"), x, y, batch_size=8, epochs=2, checkpoint_dir=tmp_path, save_every=100)
    assert len(first) == len(more) == 5
    assert load_training_state(tmp_path, build("mlp"))["epoch"] == 2
