"""Unsupervised word discovery across genres: `kexue words discover` against nlp-zero 0.1.6.

Both run as whole processes (start-up, reading the file and writing the lexicon included) on
the same plain-text file, alternately, best of ``--repeats``; the lexicons they write are then
scored the same way:

- People's Daily 1998-01 (news, 1.86 M characters, gold segmentation): word-span F1 of the first
  5,000 lines segmented with each lexicon (each tool's own segmenter) and precision of the
  5,000 most frequent words of >= 2 Chinese characters against the gold vocabulary;
- 红楼梦 and 水浒传 (novels, 0.88 M and 0.85 M): precision of the 2,000 most frequent such
  words against jieba's dictionary, the People's Daily vocabulary and the novel's name list,
  and recall of the name list (tests/text/data/names_*.tsv);
- three review sets (0.31 M to 3.7 M) and all of the shared Chinese text together (``mixed``,
  about 15 M): the same precision without names.

nlp-zero runs with ``min_proba=1e-5, min_pmi=1`` (its documented setting); kexue with its
defaults. Both get the same environment. The machine is shared: speed ratios come from one
run, alternating the two tools; CPU time (user + system) is printed beside wall time as the
figure least disturbed by other jobs.

    nice -n 10 .venv/bin/python benchmarks/word_discovery.py                  # every corpus
    nice -n 10 .venv/bin/python benchmarks/word_discovery.py --corpus hongloumeng shuihu
    .venv/bin/python benchmarks/word_discovery.py --corpus waimai --floor   # what start-up costs
    .venv/bin/python benchmarks/word_discovery.py --against HEAD~1          # this kexue vs an older one

``--against REV`` also times kexue as it was at git revision ``REV`` (its ``kexue`` package
exported to a temporary folder) in the same alternation, as the tool ``kexue@REV``: a change's
speed-up measured A/B on the same machine state.

``--floor`` also prints, per corpus, what any NumPy program pays before its work (the bare
interpreter, then ``import numpy`` ending with ``os._exit``, both best of ``--repeats`` in the
same alternation) and kexue's work in this process once warm (best of ``--repeats`` after a
warm-up: no imports, no cold memory): their sum against a third of nlp-zero's time says whether
3 times nlp-zero's speed is within reach of a NumPy implementation on that corpus at all; and
how long ``collections.Counter`` takes to count the characters and character pairs alone, where
a pure-Python implementation would start.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _word_corpora as corpora

sys.path.insert(0, str(corpora.ROOT))  # this checkout's kexue, as the timed processes use

NLP_ZERO = """
import collections, collections.abc, sys
collections.Iterable = collections.abc.Iterable  # nlp-zero 0.1.6 predates Python 3.10
from nlp_zero import Word_Finder
with open(sys.argv[1], encoding="utf-8") as handle:
    lines = handle.read().splitlines()
finder = Word_Finder(min_proba=1e-5, min_pmi=1)
finder.train(lines)
finder.find(lines)
with open(sys.argv[2], "w", encoding="utf-8") as out:
    for word, count in sorted(finder.words.items(), key=lambda item: (-item[1], item[0])):
        out.write(f"{word}\\t{count}\\n")
"""


def commands(corpus: Path, folder: Path, older: dict[str, Path]) -> dict[str, list[str]]:
    """The timed commands: nlp-zero, this checkout's kexue and each ``kexue@REV`` in ``older``
    (the folder its package was exported to, put first on its path)."""
    runs = {"nlp-zero": [sys.executable, "-c", NLP_ZERO, str(corpus), str(folder / "nlp-zero.tsv")]}
    for tool, root in {"kexue": None, **older}.items():
        start = ["-m", "kexue.cli"] if root is None else [
            "-c", f"import sys; sys.path.insert(0, {str(root)!r}); from kexue.cli import run; run()"]
        runs[tool] = [sys.executable, *start, "words", "discover", str(corpus),
                      "--out", str(folder / f"{tool}.tsv")]
    return runs


def export_revisions(revisions: list[str], folder: Path) -> dict[str, Path]:
    """``{"kexue@REV": folder}`` with each revision's ``kexue`` package exported by git."""
    exported = {}
    for revision in revisions:
        root = folder / f"rev-{len(exported)}"
        root.mkdir()
        archive = subprocess.run(["git", "archive", revision, "kexue"], cwd=corpora.ROOT,
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(root)], input=archive, check=True)
        exported[f"kexue@{revision}"] = root
    return exported


def _environment() -> dict[str, str]:
    """The benchmark's environment for both tools, with compiled-module caches allowed (some
    sandboxes set PYTHONDONTWRITEBYTECODE, which would charge kexue, run from a source tree,
    for compiling its modules on every start while nlp-zero's installed copy is compiled)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(corpora.ROOT), env.get("PYTHONPATH")]))
    return env


def timed_runs(runs: dict[str, list[str]], repeats: int) -> dict[str, tuple[float, float]]:
    """Best wall-clock and best CPU seconds (user + system) of each command, the commands
    alternating, after one untimed warm-up run of each."""
    env = _environment()
    best = {name: (float("inf"), float("inf")) for name in runs}
    for attempt in range(repeats + 1):
        for name, argv in runs.items():
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            done = subprocess.run(argv, capture_output=True, text=True, cwd=corpora.ROOT, env=env)
            wall = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            if done.returncode:
                raise RuntimeError(f"{name} failed:\n{done.stderr}")
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            if attempt:
                best[name] = (min(best[name][0], wall), min(best[name][1], cpu))
    return best


FLOOR = {
    "python": [sys.executable, "-c", "pass"],
    "python + numpy": [sys.executable, "-c", "import os, numpy; os._exit(0)"],
}


def warm_work(corpus: Path, folder: Path, repeats: int) -> float:
    """Best seconds of discovery plus writing the lexicon, in this process, after a warm-up."""
    from kexue.text.corpus import Lines
    from kexue.text.discovery import WordDiscovery
    from kexue.text.lexicon import write_lexicon

    best = float("inf")
    for attempt in range(repeats + 1):
        start = time.perf_counter()
        finder = WordDiscovery().fit(Lines.from_files([corpus]))
        write_lexicon(finder.words, folder / "warm.tsv")
        if attempt:
            best = min(best, time.perf_counter() - start)
    return best


def python_counting(corpus: Path, repeats: int) -> float:
    """Best seconds to count the characters and adjacent character pairs of ``corpus`` with
    ``collections.Counter``: where a pure-Python implementation would start."""
    from collections import Counter

    text = corpus.read_text(encoding="utf-8")
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        Counter(text), Counter(map("".join, zip(text, text[1:])))
        best = min(best, time.perf_counter() - start)
    return best


def print_floor(seconds: dict[str, tuple[float, float]], warm: float, counting: float) -> None:
    target = seconds["nlp-zero"][0] / 3
    numpy = seconds["python + numpy"][0]
    print(f"  floor: python {1e3 * seconds['python'][0]:.0f} ms, python + numpy "
          f"{1e3 * numpy:.0f} ms; kexue's warm work {1e3 * warm:.0f} ms; numpy + warm work "
          f"{1e3 * (numpy + warm):.0f} ms against 3x nlp-zero's speed: {1e3 * target:.0f} ms "
          f"(kexue whole process {1e3 * seconds['kexue'][0]:.0f} ms); pure-Python counting of "
          f"characters and pairs alone {1e3 * counting:.0f} ms", flush=True)


def read_words(path: Path) -> dict[str, int]:
    words = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        word, count = line.rsplit("\t", 1)
        words[word] = int(count)
    return words


def segmenters(words: dict[str, dict[str, int]]):
    """Each tool's own segmenter over its lexicon (kexue's for every kexue revision)."""
    from kexue.text import WordSegmenter
    from kexue.text.lexicon import parse_word

    nlp_zero = sys.modules.get("nlp_zero") or _import_nlp_zero()
    return {
        tool: nlp_zero.Tokenizer(nlp_zero.Trie(lexicon.items())).tokenize if tool == "nlp-zero"
        else WordSegmenter({parse_word(w): c for w, c in lexicon.items()}).tokenize
        for tool, lexicon in words.items()
    }


def _import_nlp_zero():
    import collections
    import collections.abc

    collections.Iterable = collections.abc.Iterable
    import nlp_zero

    return nlp_zero


def reference_vocabulary() -> set[str]:
    """jieba's dictionary and the People's Daily gold vocabulary."""
    import jieba

    from kexue.text import peoples_daily_1998

    path = Path(jieba.__file__).parent / "dict.txt"
    vocabulary = {line.split()[0] for line in path.read_text(encoding="utf-8").splitlines()}
    return vocabulary | {w for words in peoples_daily_1998().words for w in words}


def scores(name: str, words: dict[str, dict[str, int]], min_name_count: int) -> dict[str, dict]:
    from kexue.text import peoples_daily_1998, segmentation_f1, top_word_precision

    result = {tool: {} for tool in words}
    if name == "peoples_daily":
        corpus = peoples_daily_1998()
        gold = {w for sentence in corpus.words for w in sentence}
        for tool, tokenize in segmenters(words).items():
            predicted = (tokenize(line) for line in corpus.lines[:5000])
            result[tool]["word F1"] = segmentation_f1(predicted, corpus.words[:5000]).f1
            result[tool]["top-5k P"] = top_word_precision(words[tool], gold, n=5000)
        return result
    listed = corpora.names(name, min_name_count) if corpora.GENRES[name] == "novel" else []
    reference = reference_vocabulary() | set(listed)
    for tool, lexicon in words.items():
        result[tool]["top-2k P"] = top_word_precision(lexicon, reference, n=2000)
        if listed:
            result[tool]["name R"] = sum(n in lexicon for n in listed) / len(listed)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", nargs="+", choices=sorted(corpora.CORPORA),
                        default=list(corpora.CORPORA), help="corpora to run (default: all)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each tool")
    parser.add_argument("--min-name-count", type=int, default=5,
                        help="score the names that occur at least this often (default 5)")
    parser.add_argument("--against", nargs="+", default=[], metavar="REV",
                        help="also time kexue as it was at these git revisions")
    parser.add_argument("--floor", action="store_true",
                        help="also time the bare interpreter, `import numpy` and kexue's warm work")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        older = export_revisions(args.against, Path(tmp))
        for name in args.corpus:
            folder = Path(tmp) / name
            folder.mkdir()
            path, size = corpora.write_corpus(name, folder)
            runs = commands(path, folder, older)
            seconds = timed_runs(runs | FLOOR if args.floor else runs, args.repeats)
            floor = {k: seconds.pop(k) for k in FLOOR if k in seconds}
            words = {tool: read_words(folder / f"{tool}.tsv") for tool in seconds}
            measured = scores(name, words, args.min_name_count)
            for tool in seconds:
                rows.append((name, size, tool, seconds[tool], len(words[tool]), measured[tool],
                             [seconds["nlp-zero"][i] / seconds[tool][i] for i in (0, 1)]))
            print_rows(rows[-len(seconds):])
            for tool in older:
                print(f"  kexue vs {tool}: {1e3 * (seconds[tool][0] - seconds['kexue'][0]):+.0f} "
                      "ms faster (best wall clock)", flush=True)
            if floor:
                print_floor(seconds | floor, warm_work(path, folder, args.repeats),
                            python_counting(path, args.repeats))
    print(f"\nAll corpora (best of {args.repeats} whole-process runs each; speed-up = nlp-zero's "
          "time / this tool's, wall clock and CPU):")
    print_rows(rows)


def print_rows(rows) -> None:
    for name, size, tool, (wall, cpu), n_words, measured, (fast_wall, fast_cpu) in rows:
        figures = "  ".join(f"{key} {value:.4f}" for key, value in measured.items())
        print(f"{name:<14} {size / 1e6:5.2f} M chars  {tool:<13} wall {wall:6.2f} s {fast_wall:4.1f}x"
              f"  cpu {cpu:6.2f} s {fast_cpu:4.1f}x  {n_words:7d} words  {figures}", flush=True)


if __name__ == "__main__":
    main()
