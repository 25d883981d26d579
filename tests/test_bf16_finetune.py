"""bfloat16 mixed-precision fine-tuning of a tiny Transformer: float32 variables, bf16
compute, finite and decreasing loss, and padding masked (real positions do not see pads)."""

import keras
import numpy as np
import pytest

from kexue.models import build_transformer_model

CONFIG = dict(
    vocab_size=64, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64
)


@pytest.mark.slow  # bf16 is emulated on CPU: ~1.5 min per backend here
def test_bf16_finetune_finite_and_masked(mixed_bfloat16):
    keras.mixed_precision.set_dtype_policy("float32")
    keras.utils.set_random_seed(0)
    reference = build_transformer_model(CONFIG, model="bert")
    keras.mixed_precision.set_dtype_policy("mixed_bfloat16")
    encoder = build_transformer_model(CONFIG, model="bert")
    encoder.set_weights(reference.get_weights())
    assert all(v.dtype == "float32" for v in encoder.weights)
    assert any(layer.compute_dtype == "bfloat16" for layer in encoder.layers)
    rng = np.random.default_rng(0)
    tokens = rng.integers(1, 64, size=(64, 12)).astype("int32")
    tokens[::2, 8:] = 0  # padding
    segments = np.zeros_like(tokens)

    # masking: real positions are the same with 4 or 0 trailing pads
    short = tokens[1::2][:4, :8]
    padded = np.concatenate([short, np.zeros((4, 4), "int32")], axis=1)
    out_short = keras.ops.convert_to_numpy(encoder([short, np.zeros_like(short)])).astype("float32")
    out_padded = keras.ops.convert_to_numpy(encoder([padded, np.zeros_like(padded)])).astype(
        "float32"
    )
    assert np.all(np.isfinite(out_padded))
    np.testing.assert_allclose(out_padded[:, :8], out_short, atol=0.05)
    # float32 with the same weights: pads have exactly no effect, bf16 agrees to its precision
    ref_short = keras.ops.convert_to_numpy(reference([short, np.zeros_like(short)]))
    ref_padded = keras.ops.convert_to_numpy(reference([padded, np.zeros_like(padded)]))
    np.testing.assert_allclose(ref_padded[:, :8], ref_short, atol=1e-5)
    np.testing.assert_allclose(out_padded[:, :8], ref_short, atol=0.1)

    first = keras.layers.Lambda(lambda h: h[:, 0])(encoder.output)
    logits = keras.layers.Dense(2, dtype="float32", name="classifier")(first)
    model = keras.Model(encoder.inputs, logits)
    model.compile(
        keras.optimizers.AdamW(3e-3), keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    )
    labels = (tokens[:, 0] > 32).astype("int32")
    history = model.fit([tokens, segments], labels, batch_size=16, epochs=6, verbose=0)
    losses = history.history["loss"]
    assert np.all(np.isfinite(losses)) and losses[-1] < losses[0]
    assert logits.dtype == "float32"
