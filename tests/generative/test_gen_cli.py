"""`kexue gen`: registers without importing Keras, trains a model end to end, samples from the
saved directory, and rejects unknown models and datasets clearly."""

import json
import subprocess
import sys

import pytest

from kexue.cli import main


def test_cli_module_does_not_import_keras():
    code = ("import sys, argparse; import kexue.generative.cli as c; "
            "c.register(argparse.ArgumentParser().add_subparsers()); "
            "print('keras' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_train_then_sample(tmp_path, capsys):
    out = tmp_path / "vae"
    assert main(["gen", "train", "vae", "--data", "digits", "--out", str(out), "--epochs", "1",
                 "--quiet"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["model"] == "vae" and metrics["epochs"] == 1
    assert metrics["test_negative_elbo_nats"] > 0
    for name in ("samples.png", "interpolations.png", "model.keras"):
        assert (out / name).stat().st_size > 0
    assert main(["gen", "sample", str(out), "--n", "12", "--seed", "3"]) == 0
    assert (out / "samples_seed3.png").stat().st_size > 0
    assert main(["gen", "list"]) == 0
    assert "glow" in capsys.readouterr().out


def test_train_flow_on_points_writes_a_scatter(tmp_path):
    out = tmp_path / "realnvp"
    assert main(["gen", "train", "realnvp", "--data", "moons", "--out", str(out), "--epochs", "1",
                 "--quiet"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert "test_nats_per_dim" in metrics and "diagonal_gaussian_test_nats_per_dim" in metrics
    assert (out / "samples.png").is_file() and not (out / "interpolations.png").exists()


@pytest.mark.parametrize("argv, code, message", [
    (["gen", "train", "no_such_model", "--out", "x"], 2, "unknown model"),
    (["gen", "train", "vae", "--data", "mnist", "--out", "x"], 2, "not a built-in dataset"),
    (["gen", "train", "vae", "--epochs", "0", "--out", "x"], 2, "--epochs: must be an integer >= 1"),
    (["gen", "sample", "/nonexistent_dir"], 1, "not a folder written by"),
    (["gen", "sample", "/tmp", "--n", "10000001"], 2, "--n: must be an integer >= 1 and <= 10000"),
])
def test_bad_arguments_exit_with_a_message(argv, code, message, capsys):
    try:
        result = main(argv)
    except SystemExit as stop:  # argparse's own usage errors
        result = stop.code
    assert result == code
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
