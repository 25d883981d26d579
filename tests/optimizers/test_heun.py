"""Heun optimizer: two iterations equal one step of Heun's method (NumPy)."""

import keras
import numpy as np

from kexue.optimizers import Heun


def test_two_iterations_are_one_heun_step():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(4, 4))
    a = a @ a.T / 4 + np.eye(4)  # f(x) = ½ xᵀAx, ∇f = Ax
    x = keras.Variable(np.ones(4, "float32"))
    opt = Heun(learning_rate=0.2)
    ref = np.ones(4)
    for _ in range(5):
        trial = ref - 0.2 * a @ ref
        ref = ref - 0.1 * (a @ ref + a @ trial)
        for _ in range(2):
            grad = keras.ops.convert_to_tensor((a @ x.numpy().astype(np.float64)).astype("float32"))
            opt.apply([grad], [x])
        np.testing.assert_allclose(x.numpy(), ref, rtol=1e-5, atol=1e-6)
    assert int(opt.iterations) == 10
