"""GlobalPointer / EfficientGlobalPointer against a NumPy einsum reference; masking; fit."""

import doctest

import keras
import numpy as np
import pytest

import kexue.layers.pointers as pointers_module
from kexue.backend import jit as compiled
from kexue.layers.pointers import (
    EfficientGlobalPointer,
    GlobalPointer,
    rotary_interleaved,
)
from kexue.losses.multilabel import (
    global_pointer_crossentropy,
    global_pointer_f1_score,
    sparse_global_pointer_crossentropy,
    sparse_global_pointer_f1_score,
)


def numpy_rope(x):
    """RoPE as complex multiplication: pair (x₂ᵢ, x₂ᵢ₊₁) at position p times e^{i·p·10000^(−2i/d)}."""
    d = x.shape[-1]
    z = x[..., 0::2] + 1j * x[..., 1::2]
    angles = np.arange(x.shape[1])[:, None] * 10000.0 ** (-np.arange(0, d, 2) / d)
    angles = angles.reshape((x.shape[1],) + (1,) * (x.ndim - 3) + (d // 2,))
    z = z * np.exp(1j * angles)
    return np.stack([z.real, z.imag], axis=-1).reshape(x.shape)


def numpy_global_pointer(layer, x, rope):
    kernel, bias = (keras.ops.convert_to_numpy(v) for v in layer.dense.weights)
    d = layer.head_size
    projected = (x @ kernel + bias).reshape(x.shape[0], x.shape[1], layer.heads, 2 * d)
    q, k = projected[..., :d], projected[..., d:]
    if rope:
        q, k = numpy_rope(q), numpy_rope(k)
    return np.einsum("bmhd,bnhd->bhmn", q, k) / np.sqrt(d)


def numpy_efficient_global_pointer(layer, x, rope):
    p_kernel, p_bias, q_kernel, q_bias = (
        keras.ops.convert_to_numpy(v)
        for v in layer.p_dense.weights + layer.q_dense.weights
    )
    projected = x @ p_kernel + p_bias
    q, k = projected[..., ::2], projected[..., 1::2]
    if rope:
        q, k = numpy_rope(q), numpy_rope(k)
    scores = np.einsum("bmd,bnd->bmn", q, k) / np.sqrt(layer.head_size)
    bias = (
        projected @ q_kernel + q_bias
    ) / 2  # (b, n, 2·heads): even = end bias, odd = start
    return (
        scores[:, None]
        + bias[..., ::2].transpose(0, 2, 1)[:, :, None, :]
        + bias[..., 1::2].transpose(0, 2, 1)[..., None]
    )


def expected_keep(mask, tril):
    keep = mask[:, None, :, None] & mask[:, None, None, :]
    if tril:
        keep = keep & np.triu(np.ones((mask.shape[1],) * 2, bool))
    return keep


@pytest.mark.parametrize(
    "cls, reference",
    [
        (GlobalPointer, numpy_global_pointer),
        (EfficientGlobalPointer, numpy_efficient_global_pointer),
    ],
)
@pytest.mark.parametrize("rope, tril", [(True, True), (False, False)])
def test_scores_match_numpy_and_masked_entries_are_excluded(cls, reference, rope, tril):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 6, 10)).astype("float32")
    mask = np.arange(6)[None] < np.array([[6], [4], [1]])
    layer = cls(heads=3, head_size=4, RoPE=rope, tril_mask=tril)
    layer.build(x.shape)
    got, no_mask = (
        keras.ops.convert_to_numpy(v)
        for v in compiled(lambda x, m: (layer(x, mask=m), layer(x)))(x, mask)
    )
    expected = reference(layer, x.astype("float64"), rope)
    keep = np.broadcast_to(expected_keep(mask, tril), got.shape)
    np.testing.assert_allclose(got[keep], expected[keep], rtol=1e-4, atol=1e-5)
    assert (got[~keep] == -1e12).all()
    keep_all = np.broadcast_to(expected_keep(np.ones_like(mask), tril), got.shape)
    np.testing.assert_allclose(
        no_mask[keep_all], expected[keep_all], rtol=1e-4, atol=1e-5
    )


def test_global_pointer_offset_adds_one_learned_scalar_per_head(tmp_path):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 5, 8)).astype("float32")
    mask = np.arange(5)[None] < np.array([[5], [3]])
    plain = GlobalPointer(heads=3, head_size=4)
    plain.build(x.shape)
    assert [w.name for w in plain.weights] == ["kernel", "bias"]
    layer = GlobalPointer(heads=3, head_size=4, offset=True)
    layer.build(x.shape)
    assert len(layer.weights) == 3 and not np.any(keras.ops.convert_to_numpy(layer.offsets))
    layer.dense.set_weights(plain.dense.get_weights())
    layer.offsets.assign(np.array([0.5, -2.0, 3.0], "float32"))
    got = keras.ops.convert_to_numpy(layer(x, mask=mask))
    reference = numpy_global_pointer(plain, x.astype("float64"), True)
    expected = reference + np.array([0.5, -2.0, 3.0])[None, :, None, None]
    keep = np.broadcast_to(expected_keep(mask, True), got.shape)
    np.testing.assert_allclose(got[keep], expected[keep], rtol=1e-4, atol=1e-5)
    assert (got[~keep] == -1e12).all()
    inputs = keras.Input((5, 8))
    model = keras.Model(inputs, layer(inputs))
    model.save(tmp_path / "offset.keras")
    restored = keras.saving.load_model(tmp_path / "offset.keras", compile=False)
    np.testing.assert_allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    config = plain.get_config()
    del config["offset"]  # a config saved before the option existed
    assert GlobalPointer.from_config(config).offset is False


def test_rotary_scores_depend_only_on_the_offset():
    rng = np.random.default_rng(1)
    q, k = rng.normal(size=(2, 1, 1, 8)).astype("float32")
    positions = np.array(
        [[3.0, 7.0], [13.0, 17.0]], "float32"
    )  # the same offset, shifted
    pair = np.concatenate(
        [q, k], axis=1
    )  # (1, 2, 8): q at the first position, k at the second
    rotate = compiled(
        lambda x, p: keras.ops.stack(
            [rotary_interleaved(x, p[0]), rotary_interleaved(x, p[1])]
        )
    )
    rotated = keras.ops.convert_to_numpy(rotate(pair, positions))
    scores = (rotated[:, 0, 0] * rotated[:, 0, 1]).sum(-1)
    assert scores[0] == pytest.approx(scores[1], rel=1e-4)
    default = keras.ops.convert_to_numpy(
        compiled(rotary_interleaved)(np.repeat(q, 4, axis=1))
    )
    np.testing.assert_allclose(
        default, numpy_rope(np.repeat(q, 4, axis=1)), rtol=1e-5, atol=1e-6
    )


def test_bad_arguments():
    with pytest.raises(ValueError, match="head_size"):
        GlobalPointer(heads=2, head_size=5)
    with pytest.raises(ValueError, match="heads"):
        EfficientGlobalPointer(heads=0, head_size=4)
    GlobalPointer(heads=2, head_size=5, RoPE=False)  # odd sizes are fine without RoPE


def span_data(rng, n=128, length=10, max_spans=8):
    """Head 0: single tokens ≥ 7; head 1: pairs (i, i + 1) starting at a token 2 or 3.
    Every sequence starts with token 1 (so the padding span (0, 0) is never an entity); 0 pads."""
    tokens = np.zeros((n, length), "int32")
    dense = np.zeros((n, 2, length, length), "float32")
    sparse = np.zeros((n, 2, max_spans, 2), "int32")
    for i in range(n):
        size = rng.integers(5, length + 1)
        tokens[i, :size] = rng.integers(1, 10, size)
        tokens[i, 0] = 1
        spans = [
            [(t, t) for t in range(size) if tokens[i, t] >= 7],
            [(t, t + 1) for t in range(size - 1) if tokens[i, t] in (2, 3)],
        ]
        for head, head_spans in enumerate(spans):
            for slot, (start, end) in enumerate(head_spans[:max_spans]):
                dense[i, head, start, end] = 1
                sparse[i, head, slot] = start, end
    return tokens, dense, sparse


@pytest.mark.parametrize(
    "cls, sparse", [(GlobalPointer, True), (EfficientGlobalPointer, False)]
)
def test_fit_and_keras_round_trip(cls, sparse, tmp_path):
    rng = np.random.default_rng(0)
    tokens, dense_target, sparse_target = span_data(rng)
    keras.utils.set_random_seed(0)
    inputs = keras.Input((None,), dtype="int32")
    hidden = keras.layers.Embedding(10, 16, mask_zero=True)(inputs)
    hidden = keras.layers.Dense(32, activation="relu")(hidden)
    model = keras.Model(inputs, cls(heads=2, head_size=16, name="pointer")(hidden))
    if sparse:
        loss, metric, target = (
            sparse_global_pointer_crossentropy,
            sparse_global_pointer_f1_score,
            sparse_target,
        )
    else:
        loss, metric, target = (
            global_pointer_crossentropy,
            global_pointer_f1_score,
            dense_target,
        )
    model.compile(keras.optimizers.Adam(0.02), loss=loss, metrics=[metric])
    history = model.fit(tokens, target, batch_size=32, epochs=10, verbose=0).history
    f1 = history[metric.__name__]
    assert history["loss"][-1] < 0.1 * history["loss"][0]
    assert f1[-1] > max(0.95, f1[0])
    scores = model.predict(tokens, verbose=0)
    assert (
        scores[np.broadcast_to(~expected_keep(tokens > 0, True), scores.shape)] == -1e12
    ).all()
    model.save(tmp_path / "pointer.keras")
    restored = keras.saving.load_model(tmp_path / "pointer.keras", compile=False)
    assert restored.get_layer("pointer").get_config()["head_size"] == 16
    np.testing.assert_allclose(
        restored.predict(tokens[:4], verbose=0), scores[:4], rtol=1e-5
    )


def test_docstring_examples():
    assert doctest.testmod(pointers_module).failed == 0
