"""`kexue sim gillespie` through kexue.cli.main and a subprocess."""

from helpers import run_kexue

from kexue.cli import main


def test_gillespie_command_prints_statistics_and_plots(tmp_path, capsys):
    png = tmp_path / "ssa.png"
    assert (
        main(
            [
                "sim",
                "gillespie",
                "--t-max",
                "30",
                "--trajectories",
                "200",
                "--plot",
                str(png),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    rows = {
        line.split()[0]: line.split()
        for line in out.splitlines()
        if line.split() and line.split()[0] in ("m", "n")
    }
    assert abs(float(rows["m"][1]) - 20) < 1 and abs(float(rows["n"][1]) - 50) < 2.5
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_gillespie_subprocess():
    run = run_kexue("sim", "gillespie", "--t-max", "15", "--trajectories", "50", "--burn-in", "5")
    assert run.returncode == 0, run.stderr
    assert "Fano" in run.stdout and "reactions over 50 trajectories" in run.stdout
