"""get_layout_map over every variable path of the Transformer families; data- and
model-parallel training on 4 virtual CPU devices reaches the single-device weights."""

import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import pytest

from kexue.distribution import sharding_rules

CONFIG = dict(
    vocab_size=64, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64
)
EXPECTED = {
    "layer_1/attention/query/kernel": (None, "model"),
    "layer_1/attention/value/bias": ("model",),
    "layer_0/attention/output/kernel": ("model", None),
    "layer_0/attention/output/bias": None,
    "layer_1/feedforward/inner/kernel": (None, "model"),
    "layer_1/feedforward/outer/kernel": ("model", None),
    "token_embedding/embeddings": (None, "model"),
    "layer_0/attention_norm/gamma": None,
    "pooler/kernel": None,
    "mlm_bias/bias": None,
}

needs_jax = pytest.mark.skipif(
    keras.backend.backend() != "jax", reason="keras.distribution shards on the JAX backend only"
)


@needs_jax
@pytest.mark.parametrize("family, prefix", [("bert", "encoder_"), ("albert", ""), ("gpt2", "")])
def test_every_path_has_one_layout(family, prefix):
    from kexue.distribution import get_layout_map
    from kexue.models import build_transformer_model

    mesh = keras.distribution.DeviceMesh(
        (1, 1), ("batch", "model"), keras.distribution.list_devices()[:1]
    )
    layout_map = get_layout_map(mesh)
    model = build_transformer_model(
        CONFIG, model=family, prefix=prefix, with_mlm=family != "gpt2", with_pool=family == "bert"
    )
    sharded = 0
    for variable in model.weights:
        layout = layout_map[variable.path]  # raises if two rules match
        path = variable.path[len(prefix) :] if variable.path.startswith(prefix) else variable.path
        if path in EXPECTED:
            assert (layout.axes if layout else None) == EXPECTED[path], variable.path
        if layout is not None:
            sharded += 1
            for size, axis in zip(variable.shape, layout.axes):
                assert axis is None or size % 2 == 0  # shardable over a 2-way model axis
    blocks = 1 if family == "albert" else 2
    assert sharded == 1 + 10 * blocks  # token embedding; q/k/v kernels+biases, out, inner×2, outer


def test_rules_are_plain_data():
    assert sharding_rules("mp")[".*feedforward/outer/kernel"] == ("mp", None)


@needs_jax
def test_bad_mesh_axis():
    from kexue.distribution import get_layout_map

    mesh = keras.distribution.DeviceMesh((1,), ("batch",), keras.distribution.list_devices()[:1])
    with pytest.raises(ValueError, match="model_dim"):
        get_layout_map(mesh)


@pytest.mark.slow
def test_data_and_model_parallel_on_4_virtual_devices_match_single_device():
    root = Path(__file__).resolve().parents[1]
    env = {
        **os.environ,
        "PYTHONPATH": str(root),
        "KERAS_BACKEND": "jax",
        "XLA_FLAGS": "--xla_force_host_platform_device_count=4",
    }
    out = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("distribution_worker.py"))],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["data_parallel"] <= 1e-5
    assert result["model_parallel"] <= 1e-5
    assert result["query_spec"] == ["None", "model"]
