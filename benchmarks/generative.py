"""Training throughput of the generative zoo: kexue (Keras ``fit``) vs hand-written PyTorch.

Images/s of training the VAE and Glow on scikit-learn's digits (1,437 training images, 8x8),
with the same architectures, batch size and optimiser (Adam, lr 1e-3): kexue on the JAX backend
(and, for reference, the torch backend) against a plain PyTorch loop
(``benchmarks/generative_torch_peers.py``). The first epoch (compilation) is excluded. All
contenders get the same number of CPU threads (``--threads``, default 1: on a shared 2-core
machine spinning thread pools distort the figures). Each
contender runs in its own process (a Keras backend is fixed per process), one after another.

    .venv/bin/python benchmarks/generative.py                 # VAE and Glow, all contenders
    .venv/bin/python benchmarks/generative.py --models vae --epochs 4
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _data(batch_size: int):
    sys.path.insert(0, str(ROOT))
    from kexue.generative.data import load_dataset

    x = load_dataset("digits", seed=0)[0]
    return x[: len(x) // batch_size * batch_size]  # whole batches only, for both contenders


def worker_kexue(model_name: str, batch_size: int, epochs: int, steps_per_execution: int) -> dict:
    import keras
    import numpy as np

    from kexue.generative.flows import FlowModel, data_dependent_init
    from kexue.generative.vae import VAE

    keras.utils.set_random_seed(0)
    x = _data(batch_size)
    if model_name == "vae":
        model = VAE(input_shape=(8, 8, 1), latent_dim=8, hidden=256)
    else:
        model = FlowModel("glow", input_shape=(8, 8, 1), levels=2, steps=4, hidden=64)
        data_dependent_init(model, x[:512])
    if keras.backend.backend() == "torch":
        steps_per_execution = 1  # Keras' torch trainer runs one step per call
    model.compile(optimizer=keras.optimizers.Adam(1e-3), steps_per_execution=steps_per_execution)

    class EpochTimer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            timings.append(time.perf_counter() - self.start)

    timings: list[float] = []
    history = model.fit(x, batch_size=batch_size, epochs=epochs, shuffle=True, verbose=0,
                        callbacks=[EpochTimer()])
    seconds = sum(timings[1:])
    return {"images_per_s": len(x) * (epochs - 1) / seconds,
            "final_loss": float(np.asarray(history.history["loss"][-1]))}


def worker_torch(model_name: str, batch_size: int, epochs: int, steps_per_execution: int) -> dict:
    import torch

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from generative_torch_peers import train_throughput

    return {**train_throughput(model_name, _data(batch_size), batch_size, epochs),
            "threads": torch.get_num_threads()}


def _run(contender: str, backend: str | None, args, model_name: str) -> dict:
    env = dict(os.environ, KERAS_BACKEND=backend or "torch")
    if args.threads:  # the same number of CPU threads for every contender
        env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen=false "
                            f"intra_op_parallelism_threads={args.threads}").strip()
        env["OMP_NUM_THREADS"] = env["TORCH_NUM_THREADS"] = str(args.threads)
    command = [sys.executable, __file__, "--worker", contender, "--models", model_name,
               "--threads", str(args.threads),
               "--batch-size", str(args.batch_size), "--epochs", str(args.epochs),
               "--steps-per-execution", str(args.steps_per_execution)]
    out = subprocess.run(command, env=env, capture_output=True, text=True, cwd=ROOT,
                         check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{contender} ({backend}) failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="vae,glow")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=6, help="timed epochs + 1 warm-up")
    parser.add_argument("--steps-per-execution", type=int, default=8,
                        help="Keras compile(steps_per_execution=...) for kexue")
    parser.add_argument("--threads", type=int, default=1,
                        help="CPU threads for every contender (0: each library's default)")
    parser.add_argument("--skip-kexue-torch", action="store_true")
    parser.add_argument("--worker", choices=["kexue", "torch"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.epochs < 2:
        parser.error("--epochs must be at least 2 (the first one is a warm-up)")
    if args.worker:
        if args.threads:
            import torch

            torch.set_num_threads(args.threads)
        worker = worker_kexue if args.worker == "kexue" else worker_torch
        print(json.dumps(worker(args.models, args.batch_size, args.epochs,
                                args.steps_per_execution)))
        return 0
    print(f"batch {args.batch_size}, {args.epochs - 1} timed epochs, "
          f"steps_per_execution {args.steps_per_execution}, threads {args.threads or 'default'}")
    print(f"{'model':6} {'contender':26} {'images/s':>10} {'vs PyTorch':>11} {'final loss':>11}")
    for model_name in args.models.split(","):
        if model_name not in ("vae", "glow"):
            parser.error(f"unknown model {model_name!r}; choose from vae, glow")
        peer = _run("torch", None, args, model_name)
        rows = [("hand-written PyTorch", peer), ("kexue, JAX backend", _run("kexue", "jax", args,
                                                                            model_name))]
        if not args.skip_kexue_torch:
            rows.append(("kexue, torch backend", _run("kexue", "torch", args, model_name)))
        for name, result in rows:
            ratio = result["images_per_s"] / peer["images_per_s"]
            print(f"{model_name:6} {name:26} {result['images_per_s']:10.0f} {ratio:10.2f}x "
                  f"{result['final_loss']:11.3f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
