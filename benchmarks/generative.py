"""Training throughput of the generative zoo: kexue (Keras ``fit``) vs hand-written PyTorch.

Images/s of training the VAE and Glow on scikit-learn's digits (1,437 training images, 8x8),
with the same architectures, batch size and optimiser (Adam, lr 1e-3): kexue on the JAX backend
(and, for reference, the torch backend) against a plain PyTorch loop
(``benchmarks/generative_torch_peers.py``). The first epoch (compilation) is excluded. All
contenders get the same number of CPU threads (``--threads``, default 1: on a shared 2-core
machine spinning thread pools distort the figures). Each contender runs in its own process (a
Keras backend is fixed per process), one after another, ``--repeats`` times in rotation; the
table gives the median and the range. Two throughputs are reported: images per wall-clock
second, and images per CPU second of the process (``time.process_time``), which with one
thread is much less sensitive to other jobs on the machine. The trainable-parameter count of
each contender is printed, so a mismatch in architecture shows.

    .venv/bin/python benchmarks/generative.py                 # VAE and Glow, all contenders
    .venv/bin/python benchmarks/generative.py --models vae --epochs 4 --repeats 3
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
            self.start = (time.perf_counter(), time.process_time())

        def on_epoch_end(self, epoch, logs=None):
            wall.append(time.perf_counter() - self.start[0])
            cpu.append(time.process_time() - self.start[1])

    wall: list[float] = []
    cpu: list[float] = []
    history = model.fit(x, batch_size=batch_size, epochs=epochs, shuffle=True, verbose=0,
                        callbacks=[EpochTimer()])
    images = len(x) * (epochs - 1)
    return {"images_per_s": images / sum(wall[1:]), "images_per_cpu_s": images / sum(cpu[1:]),
            "final_loss": float(np.asarray(history.history["loss"][-1])),
            "parameters": sum(int(np.prod(w.shape)) for w in model.trainable_weights)}


def worker_torch(model_name: str, batch_size: int, epochs: int, steps_per_execution: int) -> dict:
    import torch

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from generative_torch_peers import train_throughput

    return {**train_throughput(model_name, _data(batch_size), batch_size, epochs),
            "threads": torch.get_num_threads()}


def _run(contender: str, backend: str | None, args, model_name: str) -> dict:
    env = dict(os.environ, KERAS_BACKEND=backend or "torch")
    if args.threads:  # the same number of CPU threads for every contender
        if args.threads == 1:  # switch off XLA:CPU's multi-threaded Eigen kernels
            env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "")
                                + " --xla_cpu_multi_thread_eigen=false").strip()
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


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="vae,glow")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=6, help="timed epochs + 1 warm-up")
    parser.add_argument("--steps-per-execution", type=int, default=8,
                        help="Keras compile(steps_per_execution=...) for kexue")
    parser.add_argument("--threads", type=int, default=1,
                        help="CPU threads for every contender (0: each library's default)")
    parser.add_argument("--repeats", type=int, default=2,
                        help="runs of each contender, in rotation (median reported)")
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
          f"steps_per_execution {args.steps_per_execution}, threads {args.threads or 'default'}, "
          f"{args.repeats} repeats (median [min-max])")
    contenders = [("hand-written PyTorch", "torch", None), ("kexue, JAX backend", "kexue", "jax")]
    if not args.skip_kexue_torch:
        contenders.append(("kexue, torch backend", "kexue", "torch"))
    print(f"{'model':6} {'contender':22} {'params':>7} {'images/s':>20} {'vs PyTorch':>10} "
          f"{'images/CPU-s':>20} {'vs PyTorch':>10} {'final loss':>10}")
    for model_name in args.models.split(","):
        if model_name not in ("vae", "glow"):
            parser.error(f"unknown model {model_name!r}; choose from vae, glow")
        runs: dict[str, list[dict]] = {name: [] for name, _, _ in contenders}
        for _ in range(args.repeats):  # rotate, so slow phases of the machine hit everyone
            for name, contender, backend in contenders:
                runs[name].append(_run(contender, backend, args, model_name))
        peer = {key: _median([r[key] for r in runs[contenders[0][0]]])
                for key in ("images_per_s", "images_per_cpu_s")}
        for name, _, _ in contenders:
            results = runs[name]
            cells = []
            for key in ("images_per_s", "images_per_cpu_s"):
                values = [r[key] for r in results]
                cells.append(f"{_median(values):6.0f} [{min(values):5.0f}-{max(values):5.0f}]")
                cells.append(f"{_median(values) / peer[key]:9.2f}x")
            print(f"{model_name:6} {name:22} {results[0]['parameters']:7d} {cells[0]:>20} "
                  f"{cells[1]:>10} {cells[2]:>20} {cells[3]:>10} "
                  f"{results[-1]['final_loss']:10.3f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
