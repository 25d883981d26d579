"""Run by test_resume.py in a subprocess: fine-tune a tiny BERT classifier (dropout on,
AdamW + PiecewiseLinear + Lookahead) resumably; optionally SIGKILL itself at a step."""

import os
import signal
import sys

import keras
import numpy as np

from kexue.optimizers import PiecewiseLinear, extend
from kexue.training import fit_resumable

CONFIG = dict(
    vocab_size=64, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64
)


def build(kind="transformer"):
    """A tiny BERT classifier, or (``kind="mlp"``, for fast tests) an embedding + dropout MLP
    taking the same inputs."""
    keras.utils.set_random_seed(0)
    if kind == "transformer":
        from kexue.models import build_transformer_model

        encoder = build_transformer_model(CONFIG, model="bert", with_pool=True, dropout_rate=0.1)
        inputs, features = encoder.inputs, encoder.output
    else:
        inputs = [keras.Input((None,), dtype="int32"), keras.Input((None,), dtype="int32")]
        h = keras.layers.Embedding(64, 16, name="token_embedding")(inputs[0])
        h = keras.layers.Dropout(0.2)(keras.layers.GlobalAveragePooling1D()(h))
        features = keras.layers.Dropout(0.2)(keras.layers.Dense(16, activation="tanh")(h))
    model = keras.Model(inputs, keras.layers.Dense(2, name="classifier")(features))
    optimizer = extend(keras.optimizers.AdamW)(
        learning_rate=PiecewiseLinear({4: 1.0, 30: 0.1}, 1e-3), weight_decay=0.01, lookahead_k=3
    )
    model.compile(optimizer, keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def data():
    rng = np.random.default_rng(0)
    tokens = rng.integers(1, 64, size=(40, 10)).astype("int32")
    tokens[::3, 7:] = 0  # some padding
    return [tokens, np.zeros_like(tokens)], (tokens[:, 0] > 32).astype("int32")


def run(directory, kill_at=None, kind="transformer"):
    model = build(kind)
    x, y = data()

    def on_step(step):
        if kill_at is not None and step == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    fit_resumable(
        model,
        x,
        y,
        batch_size=8,
        epochs=3,
        checkpoint_dir=directory,
        save_every=4,
        seed=1,
        on_step=on_step,
    )
    return model


if __name__ == "__main__":
    directory, out = sys.argv[1], sys.argv[2]
    kill_at = int(sys.argv[3]) if len(sys.argv) > 3 else None
    model = run(directory, kill_at)
    np.savez(out, *[keras.ops.convert_to_numpy(v.value) for v in model.weights])
