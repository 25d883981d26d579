"""Bad inputs and faults for `kexue words` and `kexue gen`: every case ends in one clear line
(exit 2 for a bad option, 1 for a failure), never a traceback, mojibake or a lost file.

The counts of the `kexue words`/`kexue gen` section of docs/reliability.md come from these tables."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import run_kexue

from kexue.cli import main
from kexue.text import read_lexicon

ROOT = Path(__file__).resolve().parents[2]
TEXT = "中国人民在新的一年里继续推进经济体制改革。\n人民代表大会讨论经济发展。\n" * 40


def kexue(argv, capsys):
    """``main(argv)`` -> (exit code, stderr); argparse's own usage errors included."""
    try:
        code = main([str(a) for a in argv])
    except SystemExit as stop:
        code = stop.code
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text(TEXT, encoding="utf-8")
    return path


# ---- kexue words: options and paths -------------------------------------------------------------

BAD_OPTIONS = [
    (["--min-count", "-5"], "--min-count: must be an integer >= 1, got -5"),
    (["--min-count", "x"], "--min-count: must be an integer, got 'x'"),
    (["--min-pmi", "nan"], "--min-pmi: must be a finite number"),
    (["--min-pmi", "inf"], "--min-pmi: must be a finite number"),
    (["--min-proba", "0"], "--min-proba: must be a number > 0 and < 1"),
    (["--min-proba", "1.5"], "--min-proba: must be a number > 0 and < 1"),
    (["--split-margin", "-1"], "--split-margin: must be a number >= 0"),
    (["--max-length", "0"], "--max-length: must be an integer >= 1"),
    (["--encoding", "klingon"], "--encoding: unknown text encoding 'klingon'"),
]


@pytest.mark.parametrize("option, message", BAD_OPTIONS)
def test_discover_rejects_bad_numbers_as_usage_errors(option, message, corpus, tmp_path, capsys):
    code, err = kexue(["words", "discover", corpus, "--out", tmp_path / "x.tsv", *option], capsys)
    assert code == 2 and message in err
    assert not (tmp_path / "x.tsv").exists()


@pytest.mark.parametrize("option, message", [
    (["--top", "-1"], "--top: must be an integer >= 0, got -1"),
    (["--smoothing", "0"], "--smoothing: must be a number > 0"),
    (["--min-term-count", "0"], "--min-term-count: must be an integer >= 1"),
    (["--min-term-length", "-2"], "--min-term-length: must be an integer >= 1"),
])
def test_contrast_rejects_bad_numbers(option, message, corpus, tmp_path, capsys):
    code, err = kexue(["words", "contrast", corpus, corpus, "--out", tmp_path / "t.tsv", *option],
                      capsys)
    assert code == 2 and message in err


def test_output_that_is_the_corpus_is_refused_and_the_corpus_kept(corpus, capsys):
    code, err = kexue(["words", "discover", corpus, "--out", corpus], capsys)
    assert code == 1 and "also an input" in err
    assert corpus.read_text(encoding="utf-8") == TEXT
    code, err = kexue(["words", "contrast", corpus, corpus.parent / "g.txt", "--out", corpus], capsys)
    assert code == 1 and "also an input" in err
    assert corpus.read_text(encoding="utf-8") == TEXT


def test_output_in_a_missing_folder_fails_before_reading(tmp_path, capsys):
    bad = tmp_path / "gbk.txt"  # would fail while reading: the output check must come first
    bad.write_bytes(TEXT.encode("gbk"))
    code, err = kexue(["words", "discover", bad, "--out", tmp_path / "missing" / "x.tsv"], capsys)
    assert code == 1 and "does not exist" in err and "missing" in err
    code, err = kexue(["words", "discover", bad, "--out", tmp_path], capsys)
    assert code == 1 and "is a folder" in err


def test_folder_and_missing_corpus_are_named(tmp_path, capsys):
    code, err = kexue(["words", "discover", tmp_path, "--out", tmp_path / "x.tsv"], capsys)
    assert code == 1 and f"{tmp_path} is a folder, not a corpus file" in err
    code, err = kexue(["words", "discover", tmp_path / "no.txt", "--out", tmp_path / "x.tsv"], capsys)
    assert code == 1 and "corpus file not found" in err


# ---- kexue words: encodings and binary input ----------------------------------------------------

def test_gbk_corpus_names_file_and_byte_then_reads_with_encoding(tmp_path, capsys):
    gbk = tmp_path / "gbk.txt"
    gbk.write_bytes(b"abc\n" + TEXT.encode("gbk"))
    code, err = kexue(["words", "discover", gbk, "--out", tmp_path / "x.tsv"], capsys)
    assert code == 1
    assert f"{gbk}: not valid utf-8 at byte 4 (line 2)" in err and "--encoding" in err
    assert not (tmp_path / "x.tsv").exists()
    code, err = kexue(["words", "discover", gbk, "--encoding", "gbk", "--out", tmp_path / "x.tsv"],
                      capsys)
    assert code == 0
    utf8 = tmp_path / "utf8.txt"
    utf8.write_text("abc\n" + TEXT, encoding="utf-8")
    assert kexue(["words", "discover", utf8, "--out", tmp_path / "y.tsv"], capsys)[0] == 0
    assert read_lexicon(tmp_path / "x.tsv") == read_lexicon(tmp_path / "y.tsv")


@pytest.mark.parametrize("payload, message", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "not valid utf-8 at byte 0"),
    ("正常的文字\n".encode() + b"\x00\x01\x02" * 10, "a NUL character at line 2"),
    ("中文".encode("utf-16"), "not valid utf-8 at byte 0"),
])
def test_binary_corpus_is_an_error_naming_the_file(payload, message, tmp_path, capsys):
    path = tmp_path / "blob.bin"
    path.write_bytes(payload)
    code, err = kexue(["words", "discover", path, "--out", tmp_path / "x.tsv"], capsys)
    assert code == 1 and str(path) in err and message in err


def test_invalid_byte_after_a_block_boundary_has_the_exact_offset():
    import io

    from kexue.text.reading import TextInputError, text_lines

    data = ("一二三\n" * 1000).encode() + b"\xff"
    with pytest.raises(TextInputError, match=f"at byte {len(data) - 1} \\(line 1001\\)"):
        list(text_lines(io.BytesIO(data), "x", block_size=7))
    text = "行一\r\n第二行\n\ufeff" * 50
    assert list(text_lines(io.BytesIO(("\ufeff" + text).encode()), "x", block_size=5)) == \
        text.replace("\r\n", "\n").split("\n")[:-1] + ["\ufeff"]


def test_segment_never_passes_mojibake_through(tmp_path):
    lexicon = tmp_path / "lex.tsv"
    lexicon.write_text("经济\t5\n体制\t5\n改革\t5\n", encoding="utf-8")
    gbk = "经济体制改革\n".encode("gbk")
    env = {**os.environ, "LC_ALL": "C", "LANG": "C", "PYTHONIOENCODING": ""}
    run = subprocess.run([sys.executable, "-m", "kexue.cli", "words", "segment", "--lexicon",
                          str(lexicon)], input=gbk, capture_output=True, cwd=ROOT, env=env)
    assert run.returncode == 1 and run.stdout == b""
    assert b"standard input: not valid utf-8 at byte 0 (line 1)" in run.stderr
    run = subprocess.run([sys.executable, "-m", "kexue.cli", "words", "segment", "--lexicon",
                          str(lexicon), "--encoding", "gbk"], input=gbk, capture_output=True,
                         cwd=ROOT, env=env)
    assert run.returncode == 0 and run.stdout.decode() == "经济 体制 改革\n"


def test_segment_lexicon_problems_are_named(tmp_path, capsys, monkeypatch):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("中国\n"))
    code, err = kexue(["words", "segment", "--lexicon", tmp_path], capsys)
    assert code == 1 and "is a folder, not a lexicon file" in err
    bad = tmp_path / "lex.tsv"
    bad.write_bytes("中国\t3\n".encode("gbk"))
    code, err = kexue(["words", "segment", "--lexicon", bad], capsys)
    assert code == 1 and f"{bad}: not valid utf-8" in err


def test_closed_pipe_is_quiet(corpus, tmp_path):
    lexicon = tmp_path / "lex.tsv"
    assert run_kexue("words", "discover", corpus, "--out", lexicon).returncode == 0
    command = (f"{sys.executable} -m kexue.cli words segment --lexicon {lexicon} < {corpus} "
               "| head -1")
    run = subprocess.run(["bash", "-o", "pipefail", "-c", command], capture_output=True, text=True,
                         cwd=ROOT)
    assert run.stdout.count("\n") == 1 and run.stderr == ""


# ---- kexue gen: options ---------------------------------------------------------------------------

def test_gen_sample_refuses_to_overwrite_its_model(tmp_path, capsys):
    (tmp_path / "model.keras").write_bytes(b"not really")
    (tmp_path / "metrics.json").write_text('{"model": "vae"}')
    code, err = kexue(["gen", "sample", tmp_path, "--out", tmp_path / "model.keras"], capsys)
    assert code == 1 and "also an input" in err
    assert (tmp_path / "model.keras").read_bytes() == b"not really"


@pytest.mark.parametrize("argv, message", [
    (["gen", "sample", "DIR", "--n", "0"], "--n: must be an integer >= 1 and <= 10000"),
    (["gen", "sample", "DIR", "--n", "10000000"], "--n: must be an integer >= 1 and <= 10000"),
    (["gen", "sample", "DIR", "--seed", "-1"], "--seed: must be an integer >= 0"),
    (["gen", "train", "vae", "--out", "DIR", "--epochs", "-3"], "--epochs: must be an integer >= 1"),
])
def test_gen_numbers_are_checked_before_any_work(argv, message, tmp_path, capsys):
    start = time.perf_counter()
    code, err = kexue([str(tmp_path) if a == "DIR" else a for a in argv], capsys)
    assert code == 2 and message in err
    assert time.perf_counter() - start < 5


def test_gen_train_out_that_is_a_file_fails_first(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, err = kexue(["gen", "train", "vae", "--out", blocker], capsys)
    assert code == 1 and "is a file" in err


# ---- faults: file-size limit and SIGKILL ----------------------------------------------------------

# Run `kexue ARGS` under a file-size limit (set in a tiny launcher, not with preexec_fn: the
# test process may hold JAX's threads, and forking them is unsafe).
LIMITED = ("import os, resource, sys; limit = int(sys.argv[1]); "
           "resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit)); "
           "os.execv(sys.executable, [sys.executable, '-m', 'kexue.cli', *sys.argv[2:]])")


def _kexue_process(*args, file_limit: int | None = None) -> subprocess.Popen:
    env = {**os.environ, "KERAS_BACKEND": os.environ.get("KERAS_BACKEND", "jax"),
           "PYTHONPATH": str(ROOT)}
    launcher = ([sys.executable, "-c", LIMITED, str(file_limit)] if file_limit
                else [sys.executable, "-m", "kexue.cli"])
    return subprocess.Popen([*launcher, *map(str, args)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture(scope="module")
def big_corpus(tmp_path_factory):
    from kexue.text import peoples_daily_1998

    path = tmp_path_factory.mktemp("big") / "pd.txt"
    path.write_text("\n".join(peoples_daily_1998(limit=3000).lines) + "\n", encoding="utf-8")
    return path


def test_words_discover_under_a_file_size_limit_keeps_the_previous_lexicon(big_corpus, corpus,
                                                                          tmp_path):
    lexicon = tmp_path / "lex.tsv"
    assert run_kexue("words", "discover", corpus, "--out", lexicon).returncode == 0
    before = lexicon.read_bytes()
    proc = _kexue_process("words", "discover", big_corpus, "--out", lexicon, file_limit=4096)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 1 and err.startswith("kexue: error:") and "File too large" in err
    assert err.count("\n") == 1
    assert lexicon.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.txt", "lex.tsv"]


def _timed_run(args) -> float:
    start = time.perf_counter()
    proc = _kexue_process(*args)
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    return time.perf_counter() - start


def _kill_at_random(runs, check, kills: int, seed: int = 0) -> int:
    """Alternate the argument lists ``runs`` (each first run uninterrupted and timed), then
    start ``kills`` more, each SIGKILLed at a random time within its uninterrupted duration;
    ``check()`` after every run. Returns how many were killed before they finished."""
    import random

    rng = random.Random(seed)
    durations = []
    for args in runs:
        durations.append(_timed_run(args))
        check()
    killed = 0
    for attempt in range(kills):
        which = attempt % len(runs)
        proc = _kexue_process(*runs[which])
        time.sleep(rng.uniform(0.2, 1.05) * durations[which])
        killed += proc.poll() is None
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        check()
    return killed


@pytest.mark.slow
def test_words_discover_survives_20_random_kills(big_corpus, tmp_path):
    half = tmp_path / "half.txt"
    half.write_text("".join(big_corpus.read_text(encoding="utf-8").splitlines(True)[:1500]),
                    encoding="utf-8")
    lexicon = tmp_path / "lex.tsv"
    seen = []

    def check():
        if lexicon.exists():
            seen.append(lexicon.read_bytes())
            read_lexicon(lexicon)

    runs = [["words", "discover", big_corpus, "--out", lexicon],
            ["words", "discover", half, "--out", lexicon]]
    killed = _kill_at_random(runs, check, 20)
    complete = set(seen[:2])
    assert len(complete) == 2 and set(seen) <= complete, "a lexicon that is neither old nor new"
    assert killed >= 5, "most kills should land before the end"


# ---- kexue gen train: file-size limit and SIGKILL -------------------------------------------------

def _outputs(folder):
    """The committed outputs of a `gen train` folder after recovery: {name: bytes}."""
    from kexue.files import recover_folder

    recover_folder(folder)
    names = ("metrics.json", "model.keras", "samples.png")
    return {n: (folder / n).read_bytes() for n in names if (folder / n).exists()}


def _check_set(folder, samples_by_seed):
    """Either nothing yet, or a complete set whose picture belongs to the run its metrics name,
    and a model that loads."""
    import json

    files = _outputs(folder)
    if not files:
        return None
    assert sorted(files) == ["metrics.json", "model.keras", "samples.png"], sorted(files)
    seed = json.loads(files["metrics.json"])["seed"]
    if seed in samples_by_seed:
        assert files["samples.png"] == samples_by_seed[seed], "a mix of two runs"
    import keras

    import kexue.generative.trainers  # noqa: F401  (registers the model classes)

    keras.saving.load_model(folder / "model.keras")
    return seed, files["samples.png"]


@pytest.mark.slow
def test_gen_train_under_a_file_size_limit_keeps_the_previous_outputs(tmp_path):
    out = tmp_path / "run"
    args = ["gen", "train", "vae", "--data", "moons", "--epochs", "1", "--out", out, "--quiet"]
    assert _timed_run(args) > 0
    before = _outputs(out)
    proc = _kexue_process(*args[:-1], "--seed", "1", "--quiet", file_limit=20_000)
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 1 and err.startswith("kexue: error:") and "File too large" in err
    assert err.count("\n") == 1
    assert _outputs(out) == before


@pytest.mark.slow
def test_gen_train_survives_20_random_kills(tmp_path):
    out = tmp_path / "run"
    base = ["gen", "train", "vae", "--data", "moons", "--epochs", "2", "--out", out, "--quiet"]
    samples_by_seed: dict[int, bytes] = {}

    def check():
        found = _check_set(out, samples_by_seed)
        if found is not None:
            samples_by_seed.setdefault(*found)

    killed = _kill_at_random([base + ["--seed", "0"], base + ["--seed", "1"]], check, 20)
    assert sorted(samples_by_seed) == [0, 1] and killed >= 5
