"""kexue.masking: the one masking value, finite and exact enough in every float type, and
attention with a mask and an additive bias in bfloat16 (where the value meets low precision)."""

import keras
import ml_dtypes
import numpy as np
import pytest

from kexue.layers.attention import MultiHeadAttention
from kexue.masking import LARGE_NEGATIVE, large_negative


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
def test_large_negative_is_finite_and_vanishes_under_exp(dtype):
    np_dtype = ml_dtypes.bfloat16 if dtype == "bfloat16" else np.dtype(dtype)
    value = np.asarray(large_negative(dtype), np_dtype)
    biggest = float(ml_dtypes.finfo(dtype).max)
    assert np.isfinite(value)
    # a score of up to 0.3 × the largest value can be added without overflow
    assert np.isfinite(value + np.asarray(-0.29 * biggest, np_dtype))
    assert float(np.exp(value.astype("float32"))) == 0.0
    expected = -0.7 * biggest if dtype == "float16" else LARGE_NEGATIVE
    assert float(value) == pytest.approx(expected, rel=1e-3)


def test_large_negative_needs_a_float_dtype():
    with pytest.raises(ValueError, match="floating dtype"):
        large_negative("int32")


def test_masked_attention_with_bias_in_bfloat16():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 6, 8)).astype("float32")
    bias = rng.normal(size=(1, 2, 6, 6)).astype("float32")
    mask = np.ones((2, 1, 6, 6), bool)
    mask[0, :, :, 4:] = False  # the first sequence's last two keys are padding
    full = MultiHeadAttention(heads=2, head_size=4)
    half = MultiHeadAttention(heads=2, head_size=4, dtype="bfloat16")
    reference = keras.ops.convert_to_numpy(full(x, attention_mask=mask, bias=bias))
    half(x.astype(ml_dtypes.bfloat16), attention_mask=mask, bias=bias)
    half.set_weights(full.get_weights())
    out = keras.ops.convert_to_numpy(
        keras.ops.cast(half(x, attention_mask=mask, bias=bias), "float32")
    )
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(out, reference, atol=0.1, rtol=0.05)
    # what sits at masked keys changes nothing
    changed = x.copy()
    changed[0, 4:] = 100.0
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(keras.ops.cast(
            half(changed, attention_mask=mask, bias=bias), "float32"))[0, :4],
        out[0, :4], atol=1e-2,
    )
