"""`kexue gen train --data PATH`: a user's .npz, .npy or folder of images, checked and scaled the
way the built-in sets are, with clear errors for what cannot be trained on."""

from __future__ import annotations

import json

import numpy as np
import pytest

from kexue.cli import main
from kexue.generative.data import digits
from kexue.generative.user_data import load_data, quantisation_levels


def save_images(folder, images, suffix=".png"):
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    for i, image in enumerate(images):
        Image.fromarray(image).save(folder / f"{i:03d}{suffix}")


@pytest.fixture
def grey_folder(tmp_path):
    rng = np.random.default_rng(0)
    save_images(tmp_path / "grey", rng.integers(0, 256, (20, 6, 6), dtype=np.uint8))
    return tmp_path / "grey"


def test_npz_like_the_builtin_digits_gives_the_same_arrays(tmp_path):
    x, y = digits()
    raw = tmp_path / "raw.npz"  # the original 0..16 integers
    np.savez(raw, x=np.rint(x[..., 0] * 16).astype("int64"), y=y)
    builtin, user = load_data("digits", seed=3), load_data(raw, seed=3)
    for name in ("x_train", "y_train", "x_test", "y_test"):
        np.testing.assert_array_equal(getattr(builtin, name), getattr(user, name))
    assert builtin.levels == user.levels == 17 and user.n_classes == 10


def test_scaling_rules_and_levels(tmp_path):
    rng = np.random.default_rng(0)
    np.save(tmp_path / "u8.npy", rng.integers(0, 256, (30, 4, 4, 3)).astype("uint8"))
    data = load_data(tmp_path / "u8.npy")
    assert data.x_train.shape[1:] == (4, 4, 3) and data.y_train is None
    assert 0.0 <= data.x_train.min() and data.x_train.max() <= 1.0 and data.levels == 256
    np.savez(tmp_path / "f.npz", x=rng.normal(5.0, 3.0, (30, 5, 5)))
    x = load_data(tmp_path / "f.npz").x_train
    assert x.min() >= 0.0 and x.max() <= 1.0 and x.dtype == np.float32
    np.savez(tmp_path / "points.npz", x=rng.normal(size=(30, 2)) * 7)
    points = load_data(tmp_path / "points.npz")
    assert points.levels is None and not points.is_image and np.abs(points.x_train).max() > 1
    assert quantisation_levels(np.array([0.0, 0.5, 1.0])) == 3
    assert quantisation_levels(rng.random(1000)) == 256


def test_folder_grey_and_rgb_classes(tmp_path, grey_folder):
    data = load_data(grey_folder)
    assert data.x_train.shape == (16, 6, 6, 1) and data.y_train is None and data.levels == 256
    rng = np.random.default_rng(1)
    save_images(tmp_path / "rgb" / "cats", rng.integers(0, 256, (8, 5, 7, 3), dtype=np.uint8), ".jpg")
    save_images(tmp_path / "rgb" / "dogs", rng.integers(0, 256, (6, 9, 4, 3), dtype=np.uint8))
    classes = load_data(tmp_path / "rgb", image_size=(6, 6))
    assert classes.x_train.shape[1:] == (6, 6, 3) and classes.n_classes == 2
    assert sorted(np.concatenate([classes.y_train, classes.y_test]).tolist()) == [0] * 8 + [1] * 6


BAD = {
    "mixed sizes": ("images of different sizes: 000.png is 4x4, 001.png is 5x5; pass --image-size"),
    "empty folder": "has no PNG or JPEG images",
    "not an image": "1 file(s) that are not PNG or JPEG images (notes.txt)",
    "broken image": "000.png: not a readable PNG or JPEG image",
    "images and folders": "holds both images and sub-folders",
    "npz without x": "has no array named 'x' (it holds images)",
    "bad shape": "x has shape (12, 3, 3, 5); expected images",
    "nan": "x holds NaN or infinite values",
    "labels": "y has shape (5,); expected one label per example (12,)",
    "too few": "3 examples; at least 10 are needed",
    "pickle": "not a NumPy array file without Python objects",
    "wrong file": "expected a .npz or .npy file or a folder of images",
}


def _make_bad(case, folder):
    from PIL import Image

    folder.mkdir()
    rng = np.random.default_rng(0)
    if case == "mixed sizes":
        Image.fromarray(rng.integers(0, 256, (4, 4), dtype=np.uint8)).save(folder / "000.png")
        Image.fromarray(rng.integers(0, 256, (5, 5), dtype=np.uint8)).save(folder / "001.png")
    elif case == "not an image":
        save_images(folder, rng.integers(0, 256, (3, 4, 4), dtype=np.uint8))
        (folder / "notes.txt").write_text("hello")
        (folder / ".DS_Store").write_bytes(b"\0")  # hidden files are ignored
    elif case == "broken image":
        (folder / "000.png").write_bytes(b"\x89PNG not really")
    elif case == "images and folders":
        save_images(folder, rng.integers(0, 256, (2, 4, 4), dtype=np.uint8))
        save_images(folder / "sub", rng.integers(0, 256, (2, 4, 4), dtype=np.uint8))
    elif case == "npz without x":
        np.savez(folder / "d.npz", images=np.zeros((12, 3, 3)))
        return folder / "d.npz"
    elif case == "bad shape":
        np.savez(folder / "d.npz", x=np.zeros((12, 3, 3, 5)))
        return folder / "d.npz"
    elif case == "nan":
        np.savez(folder / "d.npz", x=np.full((12, 3, 3), np.nan))
        return folder / "d.npz"
    elif case == "labels":
        np.savez(folder / "d.npz", x=np.zeros((12, 3, 3)), y=np.arange(5))
        return folder / "d.npz"
    elif case == "too few":
        np.savez(folder / "d.npz", x=np.zeros((3, 3, 3)))
        return folder / "d.npz"
    elif case == "pickle":
        np.save(folder / "d.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
        return folder / "d.npy"
    elif case == "wrong file":
        (folder / "d.csv").write_text("1,2\n")
        return folder / "d.csv"
    return folder


@pytest.mark.parametrize("case", sorted(BAD))
def test_data_that_cannot_be_trained_on_is_one_clear_line(case, tmp_path, capsys):
    data = _make_bad(case, tmp_path / "data")
    code = main(["gen", "train", "vae", "--data", str(data), "--out", str(tmp_path / "out"),
                 "--epochs", "1", "--quiet"])
    err = capsys.readouterr().err
    assert code == 1 and BAD[case] in err, err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_image_size_is_checked_as_a_usage_error(grey_folder, tmp_path, capsys):
    code = main(["gen", "train", "vae", "--data", str(grey_folder), "--image-size", "0x5",
                 "--out", str(tmp_path / "o")])
    assert code == 2 and "--image-size '0x5'" in capsys.readouterr().err


def test_train_from_a_folder_then_sample(grey_folder, tmp_path):
    out = tmp_path / "run"
    assert main(["gen", "train", "vae", "--data", str(grey_folder), "--image-size", "8",
                 "--out", str(out), "--epochs", "1", "--quiet"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["data"] == str(grey_folder) and metrics["test_negative_elbo_nats"] > 0
    assert (out / "checkpoint" / "state.npz").is_file()
    assert main(["gen", "sample", str(out), "--n", "4"]) == 0


@pytest.mark.slow
def test_npz_export_of_digits_trains_like_the_builtin_name(tmp_path):
    x, y = digits()
    np.savez(tmp_path / "digits.npz", x=x, y=y)
    from kexue.generative.trainers import train_vae

    builtin = train_vae("digits", tmp_path / "a", epochs=1, seed=5, progress=False)
    user = train_vae(str(tmp_path / "digits.npz"), tmp_path / "b", epochs=1, seed=5,
                     progress=False)
    for name in ("final_train_loss", "test_negative_elbo_nats", "epochs", "seed"):
        assert builtin[name] == user[name], name


def _user_sets(tmp_path):
    """A labelled .npz (3 classes of 10x10 grey blobs) and a folder of RGB images in 2 classes."""
    rng = np.random.default_rng(0)
    centres = np.array([[2, 2], [7, 7], [2, 7]])
    yy, xx = np.mgrid[:10, :10]
    y = np.repeat(np.arange(3), 40)
    blobs = np.exp(-((yy - centres[y, 0, None, None]) ** 2 + (xx - centres[y, 1, None, None]) ** 2) / 4)
    x = np.clip(blobs + 0.1 * rng.random(blobs.shape), 0, 1)
    np.savez(tmp_path / "blobs.npz", x=(x * 255).astype("uint8"), y=y)
    for label, name in enumerate(("red", "blue")):
        colour = np.zeros((30, 10, 10, 3), dtype=np.uint8)
        colour[..., 2 * label] = rng.integers(120, 256, (30, 10, 10))
        save_images(tmp_path / "folder" / name, colour)
    return {"npz": tmp_path / "blobs.npz", "folder": tmp_path / "folder"}


@pytest.mark.slow
@pytest.mark.parametrize("model", ["vae", "cluster_vae", "realnvp", "gan"])
@pytest.mark.parametrize("kind", ["npz", "folder"])
def test_zoo_models_train_on_user_data(model, kind, tmp_path):
    data = _user_sets(tmp_path)[kind]
    out = tmp_path / "out"
    assert main(["gen", "train", model, "--data", str(data), "--out", str(out), "--epochs", "3",
                 "--quiet"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["model"] == model and metrics["data"] == str(data)
    assert np.isfinite(metrics["final_train_loss"])
    if model == "cluster_vae":  # labels: the held-out metric the model defines
        assert metrics["n_clusters"] == (3 if kind == "npz" else 2)
        assert 0.0 <= metrics["test_cluster_accuracy"] <= 1.0
    for name in ("samples.png", "model.keras"):
        assert (out / name).stat().st_size > 0
    assert main(["gen", "sample", str(out), "--n", "6", "--seed", "1"]) == 0


@pytest.mark.slow
def test_resume_after_a_kill_continues_from_the_last_epoch(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    out = tmp_path / "run"
    argv = [sys.executable, "-m", "kexue.cli", "gen", "train", "cluster_vae", "--data", "digits",
            "--out", str(out), "--epochs", "6", "--quiet"]
    env = {**os.environ, "PYTHONPATH": str(root)}
    proc = subprocess.Popen(argv, cwd=root, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    state = out / "checkpoint" / "state.npz"
    deadline = time.time() + 600
    while time.time() < deadline and proc.poll() is None:  # kill once epoch 3 is saved
        if state.exists():
            with np.load(state) as stored:
                if json.loads(bytes(stored["counters"]).decode())["stage"] == 1:
                    break
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (out / "metrics.json").exists(), "the run finished before it was killed"
    done = subprocess.run(argv + ["--resume"], cwd=root, env=env, capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, done.stderr
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["resumed_from_epoch"] >= 1 and metrics["epochs"] == 6
    assert metrics["test_cluster_accuracy"] > 0.3
    again = subprocess.run(argv[:-3] + ["--epochs", "7", "--quiet", "--resume"], cwd=root, env=env,
                           capture_output=True, text=True, timeout=600)
    assert again.returncode == 1 and "epochs differ" in again.stderr


def test_resume_trains_only_the_epochs_after_the_checkpoint(tmp_path):
    """A checkpoint rewound to epoch 1 (as a run killed then would leave) is reloaded and the
    run continues with epochs 2 and 3; a checkpoint of other settings is refused."""
    from kexue.generative.trainers import train_vae

    out = tmp_path / "run"
    train_vae("moons", out, epochs=3, seed=2, progress=False)
    state = out / "checkpoint" / "state.npz"
    with np.load(state) as stored:
        arrays = dict(stored)
    counters = json.loads(bytes(arrays["counters"]).decode())
    assert counters["epoch"] == 3 and counters["run"]["model"] == "vae"
    arrays["counters"] = np.frombuffer(json.dumps({**counters, "epoch": 1}).encode(), np.uint8)
    np.savez(state, **arrays)
    metrics = train_vae("moons", out, epochs=3, seed=2, progress=False, resume=True)
    assert metrics["resumed_from_epoch"] == 1 and metrics["epochs"] == 3
    assert np.isfinite(metrics["final_train_loss"])
    with pytest.raises(ValueError, match="seed differ"):  # (and the split it seeds)
        train_vae("moons", out, epochs=3, seed=3, progress=False, resume=True)
