"""GPU throughput: kexue (JAX, torch) vs transformers on BERT-base and GPT-2 small (issue 15).

One command reproduces the issue's table: a BERT-base-shaped encoder (12 x 768, 12 heads, FFN
3072, vocabulary 21128) at batch 32 x 512, forward and training step (AdamW, 2-way head on
[CLS], dropout 0.1 on both sides: transformers in train mode), in bf16 mixed precision and in
fp32 (TF32 off on both sides); then GPT-2 small (12 x 768) generation of 128 new tokens in
fp32: batch 1 greedy, batch 8 greedy, batch 8 beam 4. The weights are random, saved by
``transformers`` (``save_pretrained``) and loaded by kexue, so kexue's loader is exercised.
Tokens per second, median of the timed steps after warm-up. Each contender runs in its own
process (the transformers one first: it saves the weights). Results go out as JSON lines
(``--jsonl FILE``, and on stderr while running) and as a markdown table on stdout.

    .venv/bin/python benchmarks/gpu.py                  # full run, estimated 6-8 minutes on an H200
    .venv/bin/python benchmarks/gpu.py --quick          # tiny shapes, runs on a CPU in < 1 minute

Importing this file needs no GPU (and imports neither torch nor Keras).

Example:
    >>> from benchmarks.gpu import SHAPES
    >>> SHAPES["full"]["bert"]["hidden_size"], SHAPES["quick"]["batch"]
    (768, 4)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

SHAPES = {
    "full": dict(
        bert=dict(vocab_size=21128, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                  intermediate_size=3072, max_position_embeddings=512),
        gpt2=dict(vocab_size=50257, n_embd=768, n_layer=12, n_head=12, n_positions=1024),
        batch=32, length=512, warmup=2, steps=10, new_tokens=128, prompt=16, gen_repeats=2,
    ),
    "quick": dict(
        bert=dict(vocab_size=500, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                  intermediate_size=128, max_position_embeddings=64),
        gpt2=dict(vocab_size=500, n_embd=64, n_layer=2, n_head=4, n_positions=64),
        batch=4, length=32, warmup=1, steps=2, new_tokens=8, prompt=8, gen_repeats=1,
    ),
}
GENERATION = [(1, 1), (8, 1), (8, 4)]  # (batch, beams)
PRECISIONS = ("bf16", "fp32")
CONTENDERS = {"transformers": None, "kexue JAX": "jax", "kexue torch": "torch"}


def _inputs(shape, seed=0):
    import numpy as np

    rng = np.random.default_rng(seed)
    vocab = shape["bert"]["vocab_size"]
    ids = rng.integers(5, vocab, size=(shape["batch"], shape["length"])).astype("int32")
    ids[:, 0] = 2  # a [CLS]-like first token; no padding (as in the measurement)
    labels = rng.integers(0, 2, size=(shape["batch"],)).astype("int32")
    prompts = rng.integers(5, shape["gpt2"]["vocab_size"], size=(8, shape["prompt"])).astype("int32")
    return ids, labels, prompts


def _median_seconds(fn, warmup: int, steps: int, sync) -> float:
    for _ in range(warmup):
        fn()
    sync()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _emit(record: dict) -> dict:
    print(json.dumps(record), file=sys.stderr, flush=True)
    return record


def worker_transformers(shape, folder, torch_compile: bool = False) -> list[dict]:
    import torch
    import transformers

    device = "cuda" if torch.cuda.is_available() else "cpu"
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.manual_seed(0)
    bert_config = transformers.BertConfig(**shape["bert"], hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1)
    transformers.BertModel(bert_config, add_pooling_layer=False).save_pretrained(os.path.join(folder, "bert"))
    gpt2_config = transformers.GPT2Config(**shape["gpt2"], pad_token_id=0)
    transformers.GPT2LMHeadModel(gpt2_config).save_pretrained(os.path.join(folder, "gpt2"))
    ids, labels, prompts = _inputs(shape)
    ids_t, labels_t = torch.tensor(ids).long().to(device), torch.tensor(labels).long().to(device)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    tokens, records = ids.size, []
    for precision in PRECISIONS:
        model = transformers.BertModel.from_pretrained(
            os.path.join(folder, "bert"), attn_implementation="sdpa", add_pooling_layer=False
        ).to(device)
        autocast = torch.autocast(device, dtype=torch.bfloat16, enabled=precision == "bf16")
        model.eval()

        def forward():
            with torch.no_grad(), autocast:
                model(input_ids=ids_t).last_hidden_state[:, 0].float().cpu()

        seconds = _median_seconds(forward, shape["warmup"], shape["steps"], sync)
        records.append(_emit(dict(task="forward", precision=precision, tokens_per_s=tokens / seconds)))
        model.train()  # dropout 0.1 on hidden states and attention probabilities, as kexue
        head = torch.nn.Linear(model.config.hidden_size, 2).to(device)
        params = list(model.parameters()) + list(head.parameters())
        optimizer = torch.optim.AdamW(params, lr=1e-5, fused=device == "cuda")

        def step():
            optimizer.zero_grad(set_to_none=True)
            with autocast:
                logits = head(model(input_ids=ids_t).last_hidden_state[:, 0])
            torch.nn.functional.cross_entropy(logits.float(), labels_t).backward()
            optimizer.step()

        seconds = _median_seconds(step, shape["warmup"], shape["steps"], sync)
        records.append(_emit(dict(task="train", precision=precision, tokens_per_s=tokens / seconds)))
        del model, head, optimizer
    gpt2 = transformers.GPT2LMHeadModel.from_pretrained(os.path.join(folder, "gpt2")).to(device).eval()
    for batch, beams in GENERATION:
        prompt = torch.tensor(prompts[:batch]).long().to(device)

        def generate(prompt=prompt, beams=beams):
            with torch.no_grad():
                gpt2.generate(prompt, attention_mask=torch.ones_like(prompt), max_new_tokens=shape["new_tokens"],
                              min_new_tokens=shape["new_tokens"], num_beams=beams, do_sample=False)

        seconds = _median_seconds(generate, 1, shape["gen_repeats"], sync)
        records.append(_emit(dict(task=f"generate {batch}x{beams}", precision="fp32",
                                  tokens_per_s=batch * shape["new_tokens"] / seconds)))
    return records


def worker_kexue(shape, folder, torch_compile: bool = False) -> list[dict]:
    import keras

    from kexue.decoding import CachedDecoder
    from kexue.models import build_transformer_model

    backend = keras.backend.backend()
    sync = lambda: None  # noqa: E731  (every timed call below returns host values)
    if backend == "torch":
        import torch

        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    ids, labels, prompts = _inputs(shape)
    tokens, records = ids.size, []
    for precision in PRECISIONS:
        keras.mixed_precision.set_dtype_policy("mixed_bfloat16" if precision == "bf16" else "float32")
        keras.utils.set_random_seed(0)
        encoder = build_transformer_model(None, os.path.join(folder, "bert"))  # the config's dropout 0.1
        first = _first_token_layer()(encoder.output)
        forward_model = keras.Model(encoder.inputs, keras.layers.Activation("linear", dtype="float32")(first))
        forward_model.compile()
        # device tensors, as transformers gets (numpy batches would also break torch.compile graphs)
        inputs = [keras.ops.convert_to_tensor(ids), keras.ops.zeros_like(keras.ops.convert_to_tensor(ids))]
        seconds = _median_seconds(lambda: forward_model.predict_on_batch(inputs), shape["warmup"], shape["steps"], sync)
        records.append(_emit(dict(task="forward", precision=precision, tokens_per_s=tokens / seconds)))
        logits = keras.layers.Dense(2, dtype="float32", name="head")(first)
        model = keras.Model(encoder.inputs, logits)
        model.compile(optimizer=keras.optimizers.AdamW(1e-5),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                      jit_compile=True if torch_compile else "auto")
        targets = keras.ops.convert_to_tensor(labels)
        seconds = _median_seconds(lambda: model.train_on_batch(inputs, targets), shape["warmup"], shape["steps"], sync)
        records.append(_emit(dict(task="train", precision=precision, tokens_per_s=tokens / seconds)))
    keras.mixed_precision.set_dtype_policy("float32")
    gpt2 = build_transformer_model(None, os.path.join(folder, "gpt2"), model="gpt2", with_mlm="linear")
    decoder = CachedDecoder(gpt2, compile=backend == "torch" and shape is SHAPES["full"])
    for batch, beams in GENERATION:
        def generate(batch=batch, beams=beams):
            decoder.generate(prompts[:batch], max_new_tokens=shape["new_tokens"], num_beams=beams)  # no end id

        seconds = _median_seconds(generate, 1, shape["gen_repeats"], sync)
        records.append(_emit(dict(task=f"generate {batch}x{beams}", precision="fp32",
                                  tokens_per_s=batch * shape["new_tokens"] / seconds)))
    return records


def _first_token_layer():
    """The [CLS] state, taking the encoder's padding mask without a warning (a Keras warning
    inside a traced call breaks a torch.compile graph)."""
    import keras

    class FirstToken(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.supports_masking = True

        def call(self, inputs, mask=None):
            return inputs[:, 0]

        def compute_mask(self, inputs, mask=None):
            return None

    return FirstToken(name="cls")


def run_contender(name: str, mode: str, folder: str, torch_compile: bool = False) -> list[dict]:
    env = dict(os.environ)
    backend = CONTENDERS[name]
    if backend:
        env["KERAS_BACKEND"] = backend
    env["JAX_DEFAULT_MATMUL_PRECISION"] = "highest"  # fp32 without TF32 (bf16 matmuls are unaffected)
    worker = "kexue" if backend else "transformers"
    command = [sys.executable, os.path.abspath(__file__), "--worker", worker, "--mode", mode, "--folder", folder]
    command += ["--torch-compile"] if torch_compile else []
    out = subprocess.run(command, env=env, stdout=subprocess.PIPE, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{name} failed (exit {out.returncode}); its log is above.")
    return [dict(record, contender=name) for record in json.loads(out.stdout.strip().splitlines()[-1])]


def markdown_table(records: list[dict], device: str) -> str:
    """The issue's table: one row per task and precision, tokens/s and the ratio to transformers."""
    rows: dict = {}
    for r in records:
        rows.setdefault((r["task"], r["precision"]), {})[r["contender"]] = r["tokens_per_s"]
    lines = [f"Device: {device}", "", "| task | " + " | ".join(CONTENDERS) + " |", "| --- |" + " --- |" * len(CONTENDERS)]
    for (task, precision), values in rows.items():
        base = values.get("transformers")
        cells = []
        for name in CONTENDERS:
            value = values.get(name)
            cell = "—" if value is None else f"{value:,.0f}"
            if value is not None and base and name != "transformers":
                cell += f" ({value / base:.2f}×)"
            cells.append(cell)
        lines.append(f"| {task}, {precision} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _device_name() -> str:
    probe = "import torch; print(torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'CPU (no GPU)')"
    out = subprocess.run([sys.executable, "-c", probe], stdout=subprocess.PIPE, text=True, check=False)
    return out.stdout.strip() or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny shapes: a CPU smoke test in under a minute")
    parser.add_argument("--contenders", default=",".join(CONTENDERS), help="comma-separated subset (transformers always runs first: it saves the weights)")
    parser.add_argument("--jsonl", help="also write the records as JSON lines to this file")
    parser.add_argument("--torch-compile", action="store_true",
                        help="kexue torch: train with compile(jit_compile=True) (torch.compile of the step; "
                        "adds minutes of compilation per precision)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--mode", default="full", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        shape = SHAPES[args.mode]
        records = globals()[f"worker_{args.worker}"](shape, args.folder, args.torch_compile)
        print(json.dumps(records))
        return
    mode = "quick" if args.quick else "full"
    names = [n.strip() for n in args.contenders.split(",") if n.strip()]
    unknown = sorted(set(names) - set(CONTENDERS))
    if unknown:
        parser.error(f"--contenders: unknown {unknown}; choose from {list(CONTENDERS)}")
    start = time.perf_counter()
    records = []
    with tempfile.TemporaryDirectory() as folder:
        for name in ["transformers"] + [n for n in names if n != "transformers"]:
            print(f"running {name} ({mode}) ...", file=sys.stderr, flush=True)
            records += run_contender(name, mode, folder, args.torch_compile)
    if args.jsonl:
        from kexue.files import write_text

        write_text(args.jsonl, "".join(json.dumps(r) + "\n" for r in records))
    print(markdown_table(records, _device_name()))
    print(f"\n({mode} mode, {time.perf_counter() - start:.0f} s in all)")


if __name__ == "__main__":
    main()
