"""Item 9 for the commands of this area (``kexue sim``, ``kexue demo``, the dispatcher): one line
``kexue: error: ...`` naming the option, exit code 2 for usage and 1 for failures, a traceback
only with --debug (anywhere on the line) or KEXUE_DEBUG=1, a quiet exit on a closed pipe."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import backend

from kexue import cli
from kexue.cli import main

pytestmark = pytest.mark.skipif(
    backend() != "jax", reason="backend-independent: runs once, in the JAX pass of the suite"
)
ROOT = Path(__file__).resolve().parents[2]
GILLESPIE = ["sim", "gillespie", "--t-max", "3", "--burn-in", "1", "--trajectories", "5"]


@pytest.mark.parametrize(
    "options, message",
    [
        (["--t-max", "inf", "--burn-in", "0"], "--t-max must be a finite number > 0, got inf"),
        (["--t-max", "nan"], "--t-max must be a finite number"),
        (["--mrna-decay", "0"], "--mrna-decay must be a finite number > 0"),
        (["--protein-decay", "-1"], "--protein-decay must be"),
        (["--transcription", "inf"], "--transcription must be a finite number"),
        (["--trajectories", "0"], "--trajectories must be"),
        (["--burn-in", "20", "--t-max", "10"], "--burn-in must be below --t-max"),
        (["--record-every", "1e-9", "--plot", "{tmp}/x.png"], "--record-every: record_every=1e-09"),
        (["--record-every", "0", "--plot", "{tmp}/x.png"], "--record-every must be"),
        (["--plot", "{tmp}"], "is a folder"),
        (["--plot", "{tmp}/x.gif"], "write .png"),
    ],
)
def test_sim_option_errors_are_one_line_with_exit_code_2(tmp_path, capsys, options, message):
    options = [o.replace("{tmp}", str(tmp_path)) for o in options]
    assert main(["sim", "gillespie", *options]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("kexue: error: ") and message in err[0], err
    assert not list(tmp_path.iterdir())  # nothing written, nothing started


def test_demo_bounds(capsys):
    assert main(["demo", "--epochs", "0"]) == 2
    assert "--epochs must be at least 1" in capsys.readouterr().err


def test_unexpected_error_is_one_line_and_debug_shows_the_traceback(monkeypatch, capsys):
    import kexue.sim

    def boom(*args, **kwargs):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(kexue.sim, "simulate", boom)
    assert main(GILLESPIE) == 1
    err = capsys.readouterr().err
    assert err.strip() == "kexue: error: unexpected RuntimeError: kaboom (run with --debug for the traceback)"
    assert main([*GILLESPIE, "--debug"]) == 1  # --debug after the subcommand
    assert "Traceback (most recent call last)" in capsys.readouterr().err
    monkeypatch.setenv("KEXUE_DEBUG", "1")
    assert main(GILLESPIE) == 1
    assert "Traceback" in capsys.readouterr().err


def test_message_kinds():
    assert cli._message(ImportError("install x")) == "install x"
    assert cli._message(FileNotFoundError(2, "No such file or directory", "a.txt")) == "a.txt: No such file or directory"
    assert cli._split_debug(["sim", "--debug", "--", "--debug"]) == (["sim", "--", "--debug"], True)


def test_closed_pipe_exits_quietly():
    env = {**os.environ, "PYTHONPATH": str(ROOT), "KERAS_BACKEND": os.environ.get("KERAS_BACKEND", "jax")}
    code = ("import sys\nfrom kexue.cli import main\nimport kexue.sim.cli as c\n"
            "def spam(args):\n    for i in range(100000):\n        print('line', i)\n    return 0\n"
            "c.gillespie = spam\nsys.exit(main(['sim', 'gillespie']))\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert proc.stdout.readline().startswith(b"line")
    proc.stdout.close()  # like `| head -1`
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0 and b"Traceback" not in err and b"BrokenPipe" not in err, err
