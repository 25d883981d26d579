"""Encoder throughput: kexue (JAX and torch backends) vs transformers (torch), same run.

Measures tokens/s of the forward pass and of one training step (AdamW, a 2-way classifier on
the [CLS] state) on all-MiniLM-L6-v2 (6 x 384) at batch 32 x 128, and the achieved GFLOP/s
against a float32 matmul peak measured in the same run. Each contender runs in its own process
(a Keras backend is fixed per process), one after another.

    .venv/bin/python benchmarks/encoder.py            # all contenders
    .venv/bin/python benchmarks/encoder.py --quick    # fewer repeats
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

BATCH, LENGTH = 32, 128
# Forward FLOPs per token: 2 x non-embedding parameters + attention (4 * T * d per layer).
LAYERS, HIDDEN, FFN = 6, 384, 1536
NON_EMBEDDING = LAYERS * (4 * HIDDEN * HIDDEN + 2 * HIDDEN * FFN)
FORWARD_FLOPS_PER_TOKEN = 2 * NON_EMBEDDING + LAYERS * 4 * LENGTH * HIDDEN
TRAIN_FLOPS_PER_TOKEN = 3 * FORWARD_FLOPS_PER_TOKEN


def _inputs(vocab=30522, seed=0):
    import numpy as np

    rng = np.random.default_rng(seed)
    ids = rng.integers(1000, vocab, size=(BATCH, LENGTH)).astype("int32")
    ids[:, 0] = 101
    labels = rng.integers(0, 2, size=(BATCH,)).astype("int32")
    return ids, np.zeros_like(ids), labels


def _time(fn, repeats: int, warmup: int = 2) -> float:
    for _ in range(warmup):
        fn()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def worker_matmul(repeats):
    import torch

    a, b = torch.randn(2048, 2048), torch.randn(2048, 2048)
    seconds = _time(lambda: a @ b, repeats * 3)
    return {"gflops": 2 * 2048**3 / seconds / 1e9}


def worker_transformers(repeats):
    import torch
    import transformers

    from kexue.resources import minilm_dir

    model = transformers.BertModel.from_pretrained(minilm_dir()).eval()
    ids, segments, labels = _inputs()
    ids_t, seg_t, labels_t = (torch.tensor(x).long() for x in (ids, segments, labels))

    def forward():
        with torch.no_grad():
            model(input_ids=ids_t, token_type_ids=seg_t)

    forward_s = _time(forward, repeats)
    head = torch.nn.Linear(HIDDEN, 2)
    model.train()
    for module in model.modules():  # no dropout, as in the Keras contenders
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0
    optimizer = torch.optim.AdamW(list(model.parameters()) + list(head.parameters()), lr=1e-5)

    def step():
        optimizer.zero_grad()
        logits = head(model(input_ids=ids_t, token_type_ids=seg_t).last_hidden_state[:, 0])
        torch.nn.functional.cross_entropy(logits, labels_t).backward()
        optimizer.step()

    train_s = _time(step, max(2, repeats // 2))
    return {"forward_s": forward_s, "train_s": train_s}


def worker_kexue(repeats):
    import keras

    from kexue.models import build_transformer_model
    from kexue.resources import minilm_dir

    encoder = build_transformer_model(None, minilm_dir(), dropout_rate=0.0, attention_dropout_rate=0.0)
    ids, segments, labels = _inputs()
    encoder.compile(jit_compile=True)
    forward_s = _time(lambda: encoder.predict_on_batch([ids, segments]), repeats)
    logits = keras.layers.Dense(2, name="head")(encoder.output[:, 0])
    model = keras.Model(encoder.inputs, logits)
    model.compile(
        optimizer=keras.optimizers.AdamW(1e-5),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        jit_compile=True,
    )
    train_s = _time(lambda: model.train_on_batch([ids, segments], labels), max(2, repeats // 2))
    return {"forward_s": forward_s, "train_s": train_s}


CONTENDERS = {
    "matmul peak (torch)": ("matmul", None),
    "transformers (torch eager)": ("transformers", None),
    "kexue (jax)": ("kexue", "jax"),
    "kexue (torch)": ("kexue", "torch"),
}


def run_worker(kind: str, backend: str | None, repeats: int) -> dict:
    env = dict(os.environ)
    if backend:
        env["KERAS_BACKEND"] = backend
    out = subprocess.run(
        [sys.executable, __file__, "--worker", kind, "--repeats", str(repeats)],
        env=env, capture_output=True, text=True, check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"{kind} ({backend}) failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--worker")
    parser.add_argument("--repeats", type=int, default=6)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.worker:
        result = globals()[f"worker_{args.worker}"](args.repeats)
        print(json.dumps(result))
        return
    repeats = 3 if args.quick else args.repeats
    results = {}
    for name, (kind, backend) in CONTENDERS.items():
        print(f"running {name} ...", file=sys.stderr, flush=True)
        results[name] = run_worker(kind, backend, repeats)
    peak = results.pop("matmul peak (torch)")["gflops"]
    tokens = BATCH * LENGTH
    base = results["transformers (torch eager)"]
    print(f"MiniLM-L6 (6 x 384), batch {BATCH} x {LENGTH}, float32; matmul peak {peak:.0f} GFLOP/s")
    print(f"{'contender':28} {'fwd tok/s':>10} {'ratio':>6} {'%peak':>6} {'train tok/s':>12} {'ratio':>6} {'%peak':>6}")
    for name, r in results.items():
        fwd, train = tokens / r["forward_s"], tokens / r["train_s"]
        fwd_pct = fwd * FORWARD_FLOPS_PER_TOKEN / 1e9 / peak * 100
        train_pct = train * TRAIN_FLOPS_PER_TOKEN / 1e9 / peak * 100
        print(
            f"{name:28} {fwd:10.0f} {base['forward_s'] / r['forward_s']:6.2f} {fwd_pct:6.0f}"
            f" {train:12.0f} {base['train_s'] / r['train_s']:6.2f} {train_pct:6.0f}"
        )


if __name__ == "__main__":
    main()
