"""Generation speed: kexue's KV-cached loop vs bert4keras's AutoRegressiveDecoder (uncached,
driving the same kexue model) and vs ``transformers`` ``generate`` on the same GPT-2 shape.

GPT-2 shape with random weights: 6 layers, hidden 384, 6 heads, vocabulary 50257, a
16-token prompt (``--prompt N`` for another length), exactly 64 new tokens (no end id), greedy and beam 4, batch 1 and 8.
Each Keras backend runs in its own subprocess; transformers runs in the torch one. Reported:
new tokens per second (batch × 64 / seconds), best of ``--repeats`` timed runs after one
warm-up run (which includes compilation; its extra time is printed as "compile s"). On torch
kexue runs twice: eager and with ``CachedDecoder(model, compile=True)`` (``torch.compile``d
step); the ratios use the compiled figure.

    nice -n 10 .venv/bin/python benchmarks/generate.py
    nice -n 10 .venv/bin/python benchmarks/generate.py --backends torch --uncached-rows 2

``--uncached-rows R`` decodes only R of the batch rows with the (slow) uncached decoder and
scales its time by batch / R (bert4keras decodes one input at a time, so time is linear in
the batch); the table marks such figures.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import types

import numpy as np

NEW = 64
CONFIG = {"vocab_size": 50257, "n_embd": 384, "n_layer": 6, "n_head": 6, "n_positions": 1024}
CASES = [(1, 1), (8, 1), (1, 4), (8, 4)]  # (batch, beams)


def _best(fn, repeats: int, first: list | None = None) -> float:
    """Best of ``repeats`` timed calls after a warm-up call, whose time is appended to
    ``first`` when given."""
    start = time.perf_counter()
    fn()  # warm-up (compilation)
    if first is not None:
        first.append(time.perf_counter() - start)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def _bert4keras_decoder_class():
    """bert4keras 0.11.5's AutoRegressiveDecoder; its backend module needs TensorFlow 1/2
    Keras, which the decoder itself never uses, so a stub stands in for it."""
    stub = types.ModuleType("bert4keras.backend")
    stub.K = stub.keras = stub.tf = None
    sys.modules.setdefault("bert4keras.backend", stub)
    from bert4keras.snippets import AutoRegressiveDecoder

    return AutoRegressiveDecoder


def run_backend(args) -> list[dict]:
    import keras

    if keras.backend.backend() == "torch":
        import torch

        torch.set_num_threads(args.threads)

    from kexue.decoding import CachedDecoder
    from kexue.models import build_transformer_model

    model = build_transformer_model(CONFIG, model="gpt2", with_mlm="linear")
    rng = np.random.default_rng(0)
    prompts = rng.integers(3, CONFIG["vocab_size"], size=(8, args.prompt)).astype("int32")
    torch_backend = keras.backend.backend() == "torch"
    decoder = CachedDecoder(model, compile=torch_backend)
    eager = CachedDecoder(model) if torch_backend else None
    Base = _bert4keras_decoder_class()

    class Uncached(Base):
        @Base.wraps(default_rtype="logits")
        def predict(self, inputs, output_ids, states):
            ids = np.concatenate([inputs[0], output_ids], axis=1).astype("int32")
            return keras.ops.convert_to_numpy(model([ids], training=False)[:, -1])

    uncached = Uncached(start_id=None, end_id=-1, maxlen=NEW)
    hf = None
    if torch_backend:  # transformers runs in the torch worker, timed right after kexue
        import torch
        import transformers

        torch.manual_seed(0)
        hf = transformers.GPT2LMHeadModel(transformers.GPT2Config(**CONFIG, pad_token_id=0)).eval()
    rows = []
    cases = [tuple(int(v) for v in c.split("x")) for c in args.cases.split(",")]
    for batch, beams in cases:
        options = {"max_new_tokens": NEW, "num_beams": beams}
        first: list = []
        ours = _best(lambda b=batch, o=options: decoder.generate(prompts[:b], **o), args.repeats, first)
        row = {"backend": keras.backend.backend(), "batch": batch, "beams": beams,
               "kexue": batch * NEW / ours, "compile_s": first[0] - ours}
        if hf is not None:
            ids = torch.tensor(prompts[:batch], dtype=torch.long)

            def hf_generate(ids=ids, beams=beams):
                with torch.no_grad():
                    hf.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=NEW,
                                min_new_tokens=NEW, num_beams=beams, do_sample=False)

            row["transformers"] = batch * NEW / _best(hf_generate, args.repeats)
            row["kexue_eager"] = batch * NEW / _best(
                lambda b=batch, o=options: eager.generate(prompts[:b], **o), args.repeats)
        if not args.skip_uncached:
            n_unc = min(batch, args.uncached_rows or batch)
            start = time.perf_counter()  # one run: nothing to compile (torch), and it is slow
            for prompt in prompts[:n_unc]:
                uncached.beam_search([prompt], topk=beams)
            unc = time.perf_counter() - start
            row.update(bert4keras=batch * NEW / (unc * batch / n_unc), scaled=n_unc < batch)
        rows.append(row)
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="jax,torch")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--uncached-rows", type=int, default=0)
    parser.add_argument("--skip-uncached", action="store_true", help="kexue (and transformers) only")
    parser.add_argument("--cases", default=",".join(f"{b}x{k}" for b, k in CASES),
                        help="BATCHxBEAMS list, e.g. 1x1,8x4")
    parser.add_argument("--threads", type=int, default=1,
                        help="intra-op threads for torch and XLA (all contenders); on an "
                        "oversubscribed machine 2 threads make every small matmul wait ~50 ms")
    parser.add_argument("--prompt", type=int, default=16, help="prompt length (tokens)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(run_backend(args)))
        return
    rows = []
    for backend in args.backends.split(","):
        threads = str(args.threads)
        xla = f"--xla_cpu_multi_thread_eigen={'true' if args.threads > 1 else 'false'}"
        # a fresh torch.compile cache: the printed compile times are cold-start ones
        cache_dir = tempfile.mkdtemp(prefix="kexue_generate_bench_")
        env = dict(os.environ, KERAS_BACKEND=backend, OMP_NUM_THREADS=threads, XLA_FLAGS=xla,
                   TORCHINDUCTOR_CACHE_DIR=cache_dir)
        cmd = [sys.executable, __file__, "--worker", "--repeats", str(args.repeats),
               "--uncached-rows", str(args.uncached_rows), "--threads", threads, "--prompt", str(args.prompt),
               "--cases", args.cases] + (["--skip-uncached"] if args.skip_uncached else [])
        out = subprocess.run(cmd, env=env, check=True, stdout=subprocess.PIPE, text=True).stdout
        rows += json.loads(out.strip().splitlines()[-1])
    hf = {(r["batch"], r["beams"]): r["transformers"] for r in rows if "transformers" in r}
    print(f"GPT-2 shape {CONFIG}, prompt {args.prompt}, {NEW} new tokens, {args.threads} thread(s); "
          "new tokens/s (batch × new tokens / s)")
    print("| backend | batch | beams | kexue cached | (eager) | compile s | bert4keras uncached | ratio "
          "| transformers | ratio |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        peer = hf.get((r["batch"], r["beams"]))
        eager = f"{r['kexue_eager']:.0f}" if "kexue_eager" in r else "—"
        unc = ratio = "—"
        if "bert4keras" in r:
            unc = f"{r['bert4keras']:.1f}" + ("*" if r["scaled"] else "")
            ratio = f"{r['kexue'] / r['bert4keras']:.1f}×"
        hf_cells = f"{peer:.0f} | {r['kexue'] / peer:.2f}×" if peer else "— | —"
        print(f"| {r['backend']} | {r['batch']} | {r['beams']} | {r['kexue']:.0f} | {eager} | "
              f"{r['compile_s']:.0f} | {unc} | {ratio} | {hf_cells} |")
    if any(r.get("scaled") for r in rows):
        print("* uncached time measured on --uncached-rows rows and scaled to the batch")


if __name__ == "__main__":
    main()
