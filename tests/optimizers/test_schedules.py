"""PiecewiseLinear: the exact values from reference-values.md, and its errors."""

import keras
import numpy as np
import pytest

from kexue.optimizers import PiecewiseLinear, linear_warmup_decay, piecewise_linear


@pytest.mark.parametrize(
    "step, expected",
    [(0, 0.0), (500, 0.5), (1000, 1.0), (1500, 0.55), (2000, 0.1), (2500, 0.1), (10**6, 0.1)],
)
def test_reference_values(step, expected):
    assert float(piecewise_linear(step, {1000: 1, 2000: 0.1})) == pytest.approx(expected, 1e-6)
    lr = PiecewiseLinear({1000: 1, 2000: 0.1}, learning_rate=2e-3)
    assert float(lr(step)) == pytest.approx(2e-3 * expected, 1e-6)


def test_first_key_zero_starts_at_its_value():
    assert float(piecewise_linear(0, {0: 0.3, 10: 1.0})) == pytest.approx(0.3)
    assert float(piecewise_linear(5, {0: 0.3, 10: 1.0})) == pytest.approx(0.65)


def test_against_numpy_interp():
    schedule = {7: 2.0, 20: 0.5, 33: 1.5}
    steps = np.arange(0, 40)
    got = [float(piecewise_linear(int(s), schedule)) for s in steps]
    np.testing.assert_allclose(
        got, np.interp(steps, [0, 7, 20, 33], [0, 2.0, 0.5, 1.5]), rtol=1e-6, atol=1e-7
    )


def test_warmup_decay_and_serialisation():
    lr = linear_warmup_decay(1e-3, warmup_steps=10, total_steps=110, final_multiplier=0.1)
    assert float(lr(10)) == pytest.approx(1e-3)
    assert float(lr(60)) == pytest.approx(1e-3 * 0.55)
    again = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(lr))
    assert float(again(60)) == pytest.approx(float(lr(60)))
    opt = keras.optimizers.SGD(learning_rate=lr)
    assert float(opt.learning_rate) == 0.0


@pytest.mark.parametrize("bad", [{}, {-1: 1.0}, [1, 2]])
def test_bad_schedules(bad):
    with pytest.raises(ValueError, match="schedule"):
        PiecewiseLinear(bad)
