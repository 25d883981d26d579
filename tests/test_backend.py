"""kexue.backend: gradients on the active Keras backend, checked against closed forms."""

import keras
import numpy as np
import pytest

from kexue.backend import grad, value_and_grad, variable_grads


def np_(x):
    return keras.ops.convert_to_numpy(x)


def test_grad_matches_closed_form():
    a = np.array([[2.0, 0.5], [0.5, 1.0]], dtype="float32")
    x = np.array([[1.0, -2.0], [0.3, 0.7]], dtype="float32")
    energy = lambda t: 0.5 * keras.ops.sum(keras.ops.matmul(t, a) * t)  # noqa: E731
    value, g = value_and_grad(energy)(keras.ops.convert_to_tensor(x))
    np.testing.assert_allclose(np_(g), x @ a, rtol=1e-6)
    np.testing.assert_allclose(float(value), 0.5 * np.sum((x @ a) * x), rtol=1e-6)
    np.testing.assert_allclose(np_(grad(energy)(x)), x @ a, rtol=1e-6)


def test_grad_is_differentiable_with_respect_to_variables():
    # penalty(w) = sum_i (d/dx_i sum_j w x_j^2)^2 = sum_i (2 w x_i)^2 = 4 w^2 sum x^2,
    # so d penalty / dw = 8 w sum x^2: needs a gradient of a gradient.
    w = keras.Variable(1.5)
    x = keras.ops.convert_to_tensor(np.array([1.0, 2.0, -1.0], dtype="float32"))

    def penalty():
        g = grad(lambda t: keras.ops.sum(w * t**2))(x)
        return keras.ops.sum(g**2)

    np.testing.assert_allclose(float(penalty()), 4 * 1.5**2 * 6.0, rtol=1e-6)
    (dw,) = variable_grads(penalty, [w])
    np.testing.assert_allclose(float(dw), 8 * 1.5 * 6.0, rtol=1e-6)


def test_gradient_flows_back_through_the_input():
    # x = w * c, f(x) = sum(x^2): the input gradient 2x still carries w, so
    # d/dw sum(grad f) = d/dw sum(2 w c) = 2 sum(c).
    w = keras.Variable(0.5)
    c = keras.ops.convert_to_tensor(np.array([1.0, 3.0], dtype="float32"))
    (dw,) = variable_grads(lambda: keras.ops.sum(grad(lambda t: keras.ops.sum(t**2))(w * c)), [w])
    np.testing.assert_allclose(float(dw), 8.0, rtol=1e-6)


def test_variable_grads_of_a_dense_layer():
    layer = keras.layers.Dense(3)
    x = np.random.default_rng(0).standard_normal((5, 4)).astype("float32")
    layer.build((None, 4))
    gk, gb = variable_grads(lambda: keras.ops.sum(layer(x) ** 2), [layer.kernel, layer.bias])
    y = x @ np_(layer.kernel) + np_(layer.bias)
    np.testing.assert_allclose(np_(gk), x.T @ (2 * y), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np_(gb), (2 * y).sum(0), rtol=1e-5, atol=1e-5)


def test_unused_variable_gets_zero_gradient():
    used, unused = keras.Variable(2.0), keras.Variable([1.0, 1.0])
    g_used, g_unused = variable_grads(lambda: used * used, [used, unused])
    assert float(g_used) == pytest.approx(4.0)
    np.testing.assert_array_equal(np_(g_unused), [0.0, 0.0])


def test_gradient_of_a_function_that_ignores_its_input_is_zero():
    x = keras.ops.ones((2, 3))
    np.testing.assert_array_equal(np_(grad(lambda t: keras.ops.sum(keras.ops.zeros((2,))) + 1.0)(x)), np.zeros((2, 3)))


def test_non_scalar_output_is_rejected():
    with pytest.raises(ValueError, match="scalar"):
        grad(lambda t: t * 2.0)(keras.ops.ones((3,)))
    with pytest.raises(ValueError, match="at least one variable"):
        variable_grads(lambda: keras.ops.ones(()), [])


def test_jit_gives_the_same_values_as_eager():
    from kexue.backend import jit

    fn = lambda x, y: keras.ops.sum(keras.ops.tanh(x) * y, axis=-1)  # noqa: E731
    x = np.linspace(-2, 2, 12).reshape(3, 4).astype("float32")
    y = np.arange(12.0).reshape(3, 4).astype("float32")
    np.testing.assert_allclose(np_(jit(fn)(x, y)), (np.tanh(x) * y).sum(-1), rtol=1e-5)


def test_compiled_while_loop_matches_eager_loop_with_one_graph():
    """``while_loop(..., compile=True)``: on torch the body is compiled once (the Python-int
    counter becomes a 0-d tensor, so no step is baked in) and gives the eager loop's values;
    on JAX the flag changes nothing."""
    from kexue.backend import jit_with_variables, while_loop

    def body(i, x):
        onehot = keras.ops.one_hot(i, 6)  # a counter-dependent write, like a cache update
        return i + 1, keras.ops.tanh(x) * 0.5 + onehot

    def run(compile):
        loop = lambda: while_loop(lambda i, x: i < 5, body, (0, keras.ops.zeros((6,))), compile=compile)
        return [np_(v) for v in jit_with_variables(loop, [])()]

    graphs = lambda: 0
    if keras.backend.backend() == "torch":
        from torch._dynamo.utils import counters

        graphs = lambda: counters["stats"]["unique_graphs"]
    before = graphs()
    (i_eager, x_eager), (i_compiled, x_compiled) = run(False), run(True)
    assert int(i_eager) == int(i_compiled) == 5
    np.testing.assert_allclose(x_compiled, x_eager, rtol=1e-6, atol=1e-6)
    if keras.backend.backend() == "torch":
        assert graphs() - before == 1
