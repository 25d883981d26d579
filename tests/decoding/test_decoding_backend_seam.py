"""The compiled-inference seam in kexue.backend: jit_with_variables sees weight updates (the
weights are arguments, not baked constants), while_loop keeps Python counters on torch, and
loop_seed gives reproducible, step-dependent draws."""

import keras
import numpy as np

from kexue.backend import jit_with_variables, loop_seed, while_loop


def test_jit_with_variables_reads_current_values():
    w = keras.Variable(np.array([1.0, 2.0], "float32"))
    f = jit_with_variables(lambda x: x * w, [w])
    np.testing.assert_allclose(keras.ops.convert_to_numpy(f(np.ones(2, "float32"))), [1.0, 2.0])
    w.assign(np.array([3.0, -1.0], "float32"))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(f(np.ones(2, "float32"))), [3.0, -1.0])


def test_while_loop_matches_python_loop_and_carries_ints_on_torch():
    seen = []

    def body(i, total):
        seen.append(type(i))
        return i + 1, total + keras.ops.cast(i, "float32") ** 2

    i, total = jit_with_variables(lambda: while_loop(lambda i, t: i < 5, body, (0, 0.0)), [])()
    assert int(i) == 5 and float(total) == sum(k * k for k in range(5))
    if keras.backend.backend() == "torch":
        assert seen == [int] * 5


def test_loop_seed_reproducible_and_step_dependent():
    def draws():
        def body(step, acc):
            u = keras.random.uniform((1, 4), seed=loop_seed(3, step))
            return step + 1, keras.ops.concatenate([acc[1:], u], axis=0)

        return while_loop(lambda step, acc: step < 2, body, (0, keras.ops.zeros((2, 4))))[1]

    run = jit_with_variables(draws, [])
    first, again = (keras.ops.convert_to_numpy(run()) for _ in range(2))
    np.testing.assert_array_equal(first, again)  # same seed, same draws
    assert np.abs(first[0] - first[1]).max() > 1e-3  # different steps, different draws
    assert 0 < first.min() and first.max() < 1
