"""Step time of each kexue optimizer extension vs the bare Keras optimizer (AdamW) on a
MiniLM-L6-sized parameter set (≈ 22.7M parameters, the Transformer's variable paths).

Only the optimizer update is timed: JAX through ``jax.jit(optimizer.stateless_apply)`` (the
trainer's path), torch through ``optimizer.apply`` (what the torch trainer calls). Targets:
overhead ≤ 10%, ≤ 20% for Lookahead and lazy rows.

    KERAS_BACKEND=jax   nice -n 10 .venv/bin/python benchmarks/optimizers.py
    KERAS_BACKEND=torch nice -n 10 .venv/bin/python benchmarks/optimizers.py
"""

from __future__ import annotations

import argparse
import statistics
import time

import keras
import numpy as np

from kexue.optimizers import (
    TRANSFORMER_NO_DECAY,
    PiecewiseLinear,
    clip_by_norm,
    extend,
    layerwise_lr_decay,
)

VOCAB, HIDDEN, LAYERS, FFN, POSITIONS = 30522, 384, 6, 1536, 512


def minilm_shapes() -> dict[str, tuple]:
    shapes = {"token_embedding/embeddings": (VOCAB, HIDDEN),
              "segment_embedding/embeddings": (2, HIDDEN),
              "position_embedding/embeddings": (POSITIONS, HIDDEN),
              "embedding_norm/gamma": (HIDDEN,), "embedding_norm/beta": (HIDDEN,)}
    for i in range(LAYERS):
        for name in ("query", "key", "value", "output"):
            shapes[f"layer_{i}/attention/{name}/kernel"] = (HIDDEN, HIDDEN)
            shapes[f"layer_{i}/attention/{name}/bias"] = (HIDDEN,)
        shapes[f"layer_{i}/feedforward/inner/kernel"] = (HIDDEN, FFN)
        shapes[f"layer_{i}/feedforward/inner/bias"] = (FFN,)
        shapes[f"layer_{i}/feedforward/outer/kernel"] = (FFN, HIDDEN)
        shapes[f"layer_{i}/feedforward/outer/bias"] = (HIDDEN,)
        for norm in ("attention_norm", "feedforward_norm"):
            shapes[f"layer_{i}/{norm}/gamma"] = (HIDDEN,)
            shapes[f"layer_{i}/{norm}/beta"] = (HIDDEN,)
    shapes["pooler/kernel"], shapes["pooler/bias"] = (HIDDEN, HIDDEN), (HIDDEN,)
    return shapes


def make_variables(shapes, rng):
    variables = []
    for path, shape in shapes.items():
        *scopes, name = path.split("/")
        contexts = [keras.name_scope(s) for s in scopes]
        for c in contexts:
            c.__enter__()
        variables.append(keras.Variable(rng.normal(scale=0.02, size=shape).astype("float32"),
                                        name=name))
        for c in reversed(contexts):
            c.__exit__(None, None, None)
    return variables


def make_gradients(shapes, rng):
    grads = []
    for path, shape in shapes.items():
        g = rng.normal(scale=1e-3, size=shape).astype("float32")
        if path.startswith("token_embedding"):
            g[rng.random(shape[0]) > 32 * 128 / VOCAB] = 0.0  # rows of one 32×128 batch
        grads.append(keras.ops.convert_to_tensor(g))
    return grads


VARIANTS = {
    "bare AdamW (Keras)": dict(),
    "lr multipliers (layer-wise decay)": dict(lr_multipliers=layerwise_lr_decay(LAYERS, 0.8)),
    "gradient transforms (clip per kernel)": dict(gradient_transforms={"kernel": clip_by_norm(1.0)}),
    "layer adaptation (LAMB ratio)": dict(layer_adaptation=True),
    "lazy embedding rows": dict(lazy=True),
    "Lookahead k=5": dict(lookahead_k=5),
    "composition (schedule+layer-wise+Lookahead+accum 2)": dict(
        lr_multipliers=layerwise_lr_decay(LAYERS, 0.8), lookahead_k=5,
        gradient_accumulation_steps=2),
}


def build(kwargs):
    lr = PiecewiseLinear({1000: 1.0, 10000: 0.1}, 1e-4)
    common = dict(learning_rate=lr, weight_decay=0.01)
    if not kwargs:
        opt = keras.optimizers.AdamW(**common)
        opt.exclude_from_weight_decay(var_names=TRANSFORMER_NO_DECAY)
        return opt
    return extend(keras.optimizers.AdamW)(**common, exclude_from_weight_decay=TRANSFORMER_NO_DECAY,
                                          **kwargs)


def time_variant(kwargs, shapes, steps, warmup):
    rng = np.random.default_rng(0)
    variables = make_variables(shapes, rng)
    grads = make_gradients(shapes, rng)
    opt = build(kwargs)
    opt.build(variables)
    times = []
    if keras.backend.backend() == "jax":
        import jax

        step = jax.jit(opt.stateless_apply, donate_argnums=(0, 2))
        opt_values = [v.value for v in opt.variables]
        values = [v.value for v in variables]
        for i in range(warmup + steps):
            start = time.perf_counter()
            values, opt_values = step(opt_values, grads, values)
            jax.block_until_ready(values)
            times.append(time.perf_counter() - start)
    else:
        import torch

        with torch.no_grad():
            for i in range(warmup + steps):
                start = time.perf_counter()
                opt.apply(grads, variables)
                times.append(time.perf_counter() - start)
    return statistics.median(times[warmup:])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=7)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--only", nargs="*", help="variant names to run (substrings)")
    args = parser.parse_args()
    shapes = minilm_shapes()
    total = sum(int(np.prod(s)) for s in shapes.values())
    print(f"backend {keras.backend.backend()}, {total / 1e6:.1f}M parameters, "
          f"{len(shapes)} variables, median of {args.steps} steps")
    base = None
    print(f"| variant | ms/step | vs bare AdamW |\n| --- | --- | --- |")
    for name, kwargs in VARIANTS.items():
        if args.only and base is not None and not any(o in name for o in args.only):
            continue
        seconds = time_variant(kwargs, shapes, args.steps, args.warmup)
        base = seconds if base is None else base
        print(f"| {name} | {seconds * 1e3:.1f} | {seconds / base:.2f}× |", flush=True)


if __name__ == "__main__":
    main()
