"""kexue.files: atomic writes, refusing inputs as outputs, folder commits that survive kills."""

import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from kexue.files import (
    OutputError,
    atomic_open,
    commit_files,
    prepare_output_dir,
    read_json,
    recover_folder,
    write_text,
)


def test_failed_writer_leaves_previous_file_and_no_temporary(tmp_path):
    target = tmp_path / "out.txt"
    write_text(target, "old")
    with pytest.raises(RuntimeError):
        with atomic_open(target) as handle:
            handle.write("half")
            raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_output_that_is_an_input_is_refused(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text("语料")
    with pytest.raises(OutputError, match="also an input"):
        write_text(corpus, "lexicon", inputs=[corpus])
    link = tmp_path / "alias.txt"
    os.symlink(corpus, link)
    with pytest.raises(OutputError, match="also an input"):
        write_text(link, "lexicon", inputs=[corpus])
    assert corpus.read_text() == "语料"


def test_missing_folder_and_folder_target_are_clear_errors(tmp_path):
    with pytest.raises(OutputError, match="does not exist"):
        write_text(tmp_path / "missing" / "x.txt", "a")
    with pytest.raises(OutputError, match="is a folder"):
        write_text(tmp_path, "a")


def test_prepare_output_dir_checks_writability(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError, match="is a file"):
        prepare_output_dir(blocker)
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        with pytest.raises(OutputError, match="cannot write"):
            prepare_output_dir(locked / "run")


def test_read_json_names_the_file(tmp_path):
    bad = tmp_path / "config.json"
    bad.write_text("{oops")
    with pytest.raises(ValueError, match="config.json: invalid JSON at line 1"):
        read_json(bad)
    bad.write_bytes(b"\xff\xfe{}")
    with pytest.raises(ValueError, match="config.json: not UTF-8"):
        read_json(bad)


def test_commit_recovers_complete_and_discards_incomplete_stage(tmp_path):
    commit_files(tmp_path, {"a": lambda p: p.write_text("1"), "b": lambda p: p.write_text("1")})
    staging = tmp_path / ".kexue-staging"
    # incomplete stage (killed while writing): discarded
    staging.mkdir()
    (staging / "a").write_text("2")
    recover_folder(tmp_path)
    assert (tmp_path / "a").read_text() == "1" and not staging.exists()
    # complete stage killed after moving one file: rolled forward
    staging.mkdir()
    (staging / "b").write_text("2")
    (tmp_path / "a").write_text("2")
    (staging / ".complete.json").write_text(json.dumps(["a", "b"]))
    recover_folder(tmp_path)
    assert (tmp_path / "a").read_text() == "2" and (tmp_path / "b").read_text() == "2"


KILL_SCRIPT = textwrap.dedent(
    """
    import sys
    from kexue.files import commit_files
    folder, value = sys.argv[1], sys.argv[2]
    big = value * 200_000
    for _ in range(1000):
        commit_files(folder, {name: (lambda p: p.write_text(big)) for name in "abcd"})
    """
)


def test_random_kills_leave_old_or_new_set(tmp_path):
    """SIGKILL at random points of repeated commits: after recovery all files hold one value."""
    import random
    import time

    rng = random.Random(0)
    script = tmp_path / "writer.py"
    script.write_text(KILL_SCRIPT)
    folder = tmp_path / "out"
    folder.mkdir()
    for attempt in range(20):
        value = "xy"[attempt % 2]
        proc = subprocess.Popen([sys.executable, str(script), str(folder), value])
        time.sleep(0.15 + rng.random() * 0.3)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        recover_folder(folder)
        names = sorted(p.name for p in folder.iterdir())
        if not names:  # killed before the first commit finished
            continue
        assert names == ["a", "b", "c", "d"], names
        contents = {(folder / n).read_text() for n in names}
        assert len(contents) == 1, "a mix of two commits"
        assert len(next(iter(contents))) == 200_000


def test_new_files_get_the_usual_mode_and_replaced_files_keep_theirs(tmp_path):
    mask = os.umask(0o022)
    os.umask(mask)
    fresh = tmp_path / "fresh.txt"
    write_text(fresh, "a")  # mkstemp alone would leave 0600
    assert fresh.stat().st_mode & 0o777 == 0o666 & ~mask
    shared = tmp_path / "shared.txt"
    shared.write_text("old")
    os.chmod(shared, 0o640)
    write_text(shared, "new")
    assert shared.stat().st_mode & 0o777 == 0o640 and shared.read_text() == "new"


def test_a_link_is_written_through_and_kept(tmp_path):
    real = tmp_path / "real.txt"
    real.write_text("old")
    link = tmp_path / "link.txt"
    os.symlink(real, link)
    write_text(link, "new")
    assert link.is_symlink() and real.read_text() == "new"


def test_exclusive_mode_refuses_an_existing_file(tmp_path):
    target = tmp_path / "once.txt"
    with atomic_open(target, "x") as handle:
        handle.write("first")
    with pytest.raises(FileExistsError):
        with atomic_open(target, "x") as handle:
            handle.write("second")
    assert target.read_text() == "first"
