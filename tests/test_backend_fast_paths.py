"""kexue.backend's fast paths, against NumPy: the output projection prepared once
(``TransposedWeight``, oneDNN-packed on torch), the in-place cache write (``write_positions``)
and attention on transposed views (``dot_product_attention``)."""

import keras
import numpy as np
import pytest

from kexue.backend import TransposedWeight, dot_product_attention, write_positions
from tests.helpers import attention_reference

TORCH = keras.backend.backend() == "torch"


@pytest.mark.parametrize("rows", [1, 3, 8, 32])
def test_transposed_weight_equals_numpy(rows):
    rng = np.random.default_rng(rows)
    w = rng.normal(size=(300, 24)).astype("float32")
    x = rng.normal(size=(rows, 24)).astype("float32")
    head = TransposedWeight(keras.ops.convert_to_tensor(w), rows=rows)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(head(x)), x @ w.T, rtol=1e-5, atol=1e-5)
    # the packing is a hint for one row count; other counts still give the right product
    other = rng.normal(size=(5, 24)).astype("float32")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(head(other)), other @ w.T, rtol=1e-5, atol=1e-5)
    if TORCH:  # packed exactly where it pays: 2 or more rows of float32 on a oneDNN build
        import torch

        expected = torch.backends.mkldnn.is_available() and rows >= 2
        assert (head.packed is not None) == expected


def test_packed_weight_goes_stale_when_the_variable_changes():
    variable = keras.Variable(np.ones((50, 8), "float32"))
    source = keras.ops.convert_to_tensor(variable)
    head = TransposedWeight(source, rows=4, source=source)
    if head.packed is None:  # nothing cached off torch: never reused
        assert not head.fits(keras.ops.convert_to_tensor(variable), 4)
        return
    assert head.fits(keras.ops.convert_to_tensor(variable), 4)
    assert not head.fits(keras.ops.convert_to_tensor(variable), 8)  # another row count
    variable.assign(np.zeros((50, 8), "float32"))
    assert not head.fits(keras.ops.convert_to_tensor(variable), 4)  # written since


def test_write_positions_writes_the_slot_and_keeps_the_rest():
    cache = keras.ops.convert_to_tensor(np.arange(2 * 5 * 3, dtype="float32").reshape(2, 5, 3))
    expected = keras.ops.convert_to_numpy(cache).copy()
    update = np.full((2, 2, 3), -1.0, "float32")
    expected[:, 2:4] = update
    for index in (2, keras.ops.convert_to_tensor(2, "int32")):  # int or 0-d tensor
        out = write_positions(keras.ops.convert_to_tensor(keras.ops.convert_to_numpy(cache)), index, update)
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(out), expected)
    if TORCH:  # in place: the decoding loop never copies its cache to write one position
        out = write_positions(cache, 2, update)
        assert out is cache


@pytest.mark.parametrize("kind", ["plain", "mask", "bias"])
def test_dot_product_attention_equals_numpy(kind):
    rng = np.random.default_rng(0)
    q = rng.normal(size=(2, 5, 3, 4)).astype("float32")
    k, v = (rng.normal(size=(2, 7, 3, 4)).astype("float32") for _ in range(2))
    mask = bias = None
    if kind == "mask":  # (batch, 1, 1, keys): padding, every query keeps some keys
        mask = np.ones((2, 1, 1, 7), bool)
        mask[1, ..., 4:] = False
    if kind == "bias":
        bias = rng.normal(size=(1, 3, 5, 7)).astype("float32")
    got = dot_product_attention(q, k, v, mask=mask, bias=bias, scale=0.5)
    expected = attention_reference(q, k, v, mask, bias, 0.5)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(got), expected, rtol=1e-5, atol=1e-5)


def test_dot_product_attention_refuses_mask_and_bias_together():
    x = np.zeros((1, 2, 1, 4), "float32")
    with pytest.raises(ValueError, match="not both"):
        dot_product_attention(x, x, x, mask=np.ones((1, 1, 2, 2), bool), bias=np.zeros((1, 1, 2, 2), "float32"))
