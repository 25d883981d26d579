"""`kexue words ...` through kexue.cli.main and through a subprocess."""

import pytest
from helpers import run_kexue

from kexue.cli import main
from kexue.text import peoples_daily_1998, read_lexicon

@pytest.fixture(scope="module")
def corpus_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("words") / "corpus.txt"
    path.write_text(
        "\n".join(peoples_daily_1998(limit=3000).lines) + "\n", encoding="utf-8"
    )
    return path


def test_discover_then_segment(corpus_file, tmp_path, capsys, monkeypatch):
    lexicon = tmp_path / "lexicon.tsv"
    assert main(["words", "discover", str(corpus_file), "--out", str(lexicon)]) == 0
    words = read_lexicon(lexicon)
    counts = [
        int(line.split("\t")[1])
        for line in lexicon.read_text(encoding="utf-8").splitlines()
    ]
    assert counts == sorted(counts, reverse=True) and "中国" in words
    import io

    monkeypatch.setattr(
        "sys.stdin", io.StringIO("中国人民的经济发展\n１９９８年，新年好\n")
    )
    capsys.readouterr()
    assert main(["words", "segment", "--lexicon", str(lexicon)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.replace(" ", "") for line in out] == [
        "中国人民的经济发展",
        "１９９８年，新年好",
    ]
    assert "中国" in out[0].split(" ") and all("  " not in line for line in out)


def test_subprocess_stdin_corpus_and_contrast(corpus_file, tmp_path):
    lexicon = tmp_path / "lex.tsv"
    text = corpus_file.read_text(encoding="utf-8")
    spool = tmp_path / "tmp"
    spool.mkdir()
    # the process ends with os._exit (kexue.cli.run): its spooled stdin must still be removed
    run = run_kexue("words", "discover", "-", "--out", lexicon, input=text, env={"TMPDIR": spool})
    assert run.returncode == 0, run.stderr
    assert read_lexicon(lexicon) and list(spool.iterdir()) == []
    assert run_kexue("words", "discover", "-", "--min-count", "0", input=text).returncode == 2
    lines = text.splitlines()
    domain = tmp_path / "domain.txt"
    general = tmp_path / "general.txt"
    domain.write_text(
        "\n".join(l for l in lines if "经济" in l) + "\n", encoding="utf-8"
    )
    general.write_text(
        "\n".join(l for l in lines if "经济" not in l) + "\n", encoding="utf-8"
    )
    terms = tmp_path / "terms.tsv"
    run = run_kexue("words", "contrast", domain, general, "--out", terms, "--top", "30")
    assert run.returncode == 0, run.stderr
    rows = [line.split("\t") for line in terms.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 30
    scores = [float(r[1]) for r in rows]
    assert scores == sorted(scores, reverse=True)
    assert "经济" in [
        r[0] for r in rows[:5]
    ]  # the word that defines the domain ranks near the top


def test_missing_corpus_is_a_clear_error(tmp_path, capsys):
    code = main(["words", "discover", str(tmp_path / "nope.txt"), "--out", str(tmp_path / "x.tsv")])
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith("kexue: error: corpus file not found") and "Traceback" not in err
