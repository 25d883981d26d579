"""What a new sequence length costs: bert4keras-style scripts on JAX with bucketed padding (kexue's
default) and with padding to each batch's longest sequence (bert4keras' way), beside torch.

Three workloads, written as a bert4keras user writes them, on a small BERT (4 x 128):

- training: ``model.fit(generator.forfit(), steps_per_epoch=...)``, each batch padded by
  ``sequence_padding`` (sentence lengths uniform in 8..128): steps/s, compilations included;
- per-sentence prediction: ``model.predict(to_array([token_ids], [segment_ids]))`` for
  sentences of random lengths (a BERT + CRF tagger, as in the NER example): sentences/s;
- UniLM decoding: ``AutoRegressiveDecoder.beam_search`` with ``last_token(model).predict``:
  steps/s.

Each (backend, bucketing) contender runs in its own process, from a cold start: the time
includes every compilation it needs, which is what a script pays.

    .venv/bin/python benchmarks/bucketing.py            # all contenders
    .venv/bin/python benchmarks/bucketing.py --quick    # fewer steps
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

CONFIG = dict(
    vocab_size=2000,
    hidden_size=128,
    num_hidden_layers=4,
    num_attention_heads=4,
    intermediate_size=512,
    max_position_embeddings=256,
)
BATCH = 16


def _sentences(rng, count, low=8, high=128):
    return [list(rng.integers(5, CONFIG["vocab_size"], int(rng.integers(low, high + 1)))) for _ in range(count)]


def worker(bucket: bool, steps: int, sentences: int, decode_steps: int) -> dict:
    import keras
    import numpy as np
    from keras import ops

    from kexue.layers import ConditionalRandomField, Loss
    from kexue.models import build_transformer_model
    from kexue.snippets import AutoRegressiveDecoder, DataGenerator, sequence_padding, to_array

    if keras.backend.backend() == "torch":
        import torch

        torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    rng = np.random.default_rng(0)
    keras.utils.set_random_seed(0)
    result = {"backend": keras.backend.backend(), "bucket": bucket}

    # -- training, bert4keras style ---------------------------------------------------------
    class Generator(DataGenerator):
        def __iter__(self, random=False):
            tokens, segments, labels = [], [], []
            for is_end, text in self.sample(random):
                tokens.append([1] + text + [2])
                segments.append([0] * (len(text) + 2))
                labels.append([len(text) % 2])
                if len(tokens) == self.batch_size or is_end:
                    yield [sequence_padding(tokens, bucket=bucket), sequence_padding(segments, bucket=bucket)], sequence_padding(labels, bucket=bucket)
                    tokens, segments, labels = [], [], []

    bert = build_transformer_model(CONFIG)
    output = keras.layers.Dense(2, activation="softmax")(keras.layers.Lambda(lambda x: x[:, 0])(bert.output))
    classifier = keras.Model(bert.inputs, output)
    classifier.compile(optimizer=keras.optimizers.Adam(1e-4), loss="sparse_categorical_crossentropy")
    generator = Generator(_sentences(rng, steps * BATCH), BATCH)
    start = time.perf_counter()
    classifier.fit(generator.forfit(), steps_per_epoch=steps, epochs=1, verbose=0)
    result["train_steps_per_s"] = steps / (time.perf_counter() - start)

    # -- per-sentence prediction (BERT + CRF tagger) ----------------------------------------
    crf = ConditionalRandomField()
    tagger = keras.Model(bert.inputs, crf(keras.layers.Dense(5)(bert.output)))
    texts = _sentences(rng, sentences)
    start = time.perf_counter()
    for text in texts:
        token_ids = [1] + text + [2]
        token_ids, segment_ids = to_array([token_ids], [[0] * len(token_ids)], bucket=bucket)
        tagger.predict([token_ids, segment_ids], verbose=0)
    result["predict_sentences_per_s"] = sentences / (time.perf_counter() - start)

    # -- UniLM decoding with AutoRegressiveDecoder ------------------------------------------
    class CrossEntropy(Loss):
        def compute_loss(self, inputs, mask=None):
            y_true, y_mask, y_pred = inputs
            loss = ops.sparse_categorical_crossentropy(y_true[:, 1:], y_pred[:, :-1])
            y_mask = ops.cast(y_mask[:, 1:], "float32")
            return ops.sum(loss * y_mask) / ops.maximum(ops.sum(y_mask), 1.0)

    unilm = build_transformer_model(CONFIG, application="unilm")
    unilm = keras.Model(unilm.inputs, CrossEntropy(2)(unilm.inputs + unilm.outputs))

    class Decoder(AutoRegressiveDecoder):
        @AutoRegressiveDecoder.wraps(default_rtype="probas")
        def predict(self, inputs, output_ids, states):
            token_ids, segment_ids = inputs
            token_ids = np.concatenate([token_ids, output_ids], 1)
            segment_ids = np.concatenate([segment_ids, np.ones_like(output_ids)], 1)
            return self.last_token(unilm).predict([token_ids, segment_ids])

    decoder = Decoder(start_id=None, end_id=-1, maxlen=decode_steps, bucket=bucket)
    sources = _sentences(rng, 3, low=10, high=40)
    start = time.perf_counter()
    for source in sources:
        token_ids = [1] + source + [2]
        decoder.beam_search([token_ids, [0] * len(token_ids)], topk=2)
    result["decode_steps_per_s"] = len(sources) * decode_steps / (time.perf_counter() - start)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="fewer steps, sentences and decoding steps")
    parser.add_argument("--threads", type=int, default=2, help="intra-op threads (XLA and torch)")
    args = parser.parse_args()
    steps, sentences, decode_steps = (20, 30, 12) if args.quick else (60, 100, 24)
    if args.worker:
        bucket = args.worker.endswith("bucket")
        print(json.dumps(worker(bucket, steps, sentences, decode_steps)))
        return
    contenders = [("jax", "exact"), ("jax", "bucket"), ("torch", "exact"), ("torch", "bucket")]
    rows = []
    for backend, mode in contenders:
        print(f"running {backend} ({mode}) ...", file=sys.stderr, flush=True)
        xla = f"--xla_cpu_multi_thread_eigen={'true' if args.threads > 1 else 'false'}"
        env = dict(os.environ, KERAS_BACKEND=backend, OMP_NUM_THREADS=str(args.threads), XLA_FLAGS=xla)
        command = [sys.executable, __file__, "--worker", f"{backend}-{mode}"] + (["--quick"] if args.quick else [])
        out = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if out.returncode:
            print(out.stderr[-3000:], file=sys.stderr)
            raise SystemExit(f"{backend} ({mode}) failed")
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    base = {key: rows[0][key] for key in ("train_steps_per_s", "predict_sentences_per_s", "decode_steps_per_s")}
    print(f"BERT {CONFIG['num_hidden_layers']} x {CONFIG['hidden_size']}, batch {BATCH}, lengths 8..128; "
          f"{steps} training steps, {sentences} sentences, {decode_steps}-step decoding x 3; cold start each")
    print(f"{'contender':<24}{'train steps/s':>14}{'ratio':>7}{'predict sent/s':>16}{'ratio':>7}"
          f"{'decode steps/s':>16}{'ratio':>7}")
    for row in rows:
        name = f"{row['backend']} ({'bucketed' if row['bucket'] else 'longest, bert4keras'})"
        cells = "".join(
            f"{row[key]:>{width}.2f}{row[key] / base[key]:>7.2f}"
            for key, width in (("train_steps_per_s", 14), ("predict_sentences_per_s", 16), ("decode_steps_per_s", 16))
        )
        print(f"{name:<24}{cells}")
    print("ratio: against jax padded to the longest (bert4keras' behaviour on JAX)")


if __name__ == "__main__":
    main()
