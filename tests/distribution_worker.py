"""Run in a subprocess by test_distribution.py (XLA flags must be set before JAX starts):
train a tiny BERT classifier single-device, data-parallel on 4 devices and model-parallel on a
2×2 mesh with kexue's layout map; print the largest weight differences as JSON."""

import json
import os
import sys

os.environ["KERAS_BACKEND"] = "jax"
os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=4"

import keras  # noqa: E402
import numpy as np  # noqa: E402

from kexue.distribution import get_layout_map  # noqa: E402
from kexue.models import build_transformer_model  # noqa: E402

CONFIG = dict(
    vocab_size=64, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64
)


def train():
    keras.utils.set_random_seed(0)
    encoder = build_transformer_model(CONFIG, model="bert", with_pool=True)
    out = keras.layers.Dense(2, name="classifier")(encoder.output)
    model = keras.Model(encoder.inputs, out)
    model.compile(
        keras.optimizers.AdamW(1e-3), keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    )
    rng = np.random.default_rng(0)
    tokens = rng.integers(1, 64, size=(32, 12)).astype("int32")
    segments = np.zeros_like(tokens)
    labels = (tokens[:, 0] > 32).astype("int32")
    model.fit([tokens, segments], labels, batch_size=8, epochs=2, shuffle=False, verbose=0)
    return model


def main():
    devices = keras.distribution.list_devices()
    assert len(devices) == 4, devices
    single = [w.copy() for w in train().get_weights()]
    keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
    data_parallel = [w.copy() for w in train().get_weights()]
    mesh = keras.distribution.DeviceMesh((2, 2), ("batch", "model"), devices)
    keras.distribution.set_distribution(
        keras.distribution.ModelParallel(layout_map=get_layout_map(mesh), batch_dim_name="batch")
    )
    model = train()
    query = [v for v in model.weights if v.path.endswith("layer_0/attention/query/kernel")][0]
    spec = [str(a) for a in query.value.sharding.spec]
    model_parallel = [w.copy() for w in model.get_weights()]

    def diff(ws):
        return max(
            float(np.abs(a - b).max() / max(1.0, np.abs(b).max())) for a, b in zip(ws, single)
        )

    print(
        json.dumps(
            {
                "data_parallel": diff(data_parallel),
                "model_parallel": diff(model_parallel),
                "query_spec": spec,
            }
        )
    )


if __name__ == "__main__":
    sys.exit(main())
