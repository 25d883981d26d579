"""Heun's method as an optimizer (the custom-optimizer post): a step needs two gradients.

Gradient descent is Euler's method for ``dx/dt = -∇f(x)``; Heun's method (explicit
trapezoid, second order) uses ``x' = x - lr·g(x)`` as a trial point and then
``x_new = x - lr/2 · (g(x) + g(x'))``. A Keras optimizer sees one gradient per batch, so the
two halves alternate: even iterations take the trial step and remember ``x`` and ``g(x)``,
odd iterations evaluate the gradient at the trial point and finish the step.
"""

from __future__ import annotations

import keras
from keras import ops

from kexue.backend.keras_internals import optimizer_variable_index

__all__ = ["Heun"]


@keras.saving.register_keras_serializable(package="kexue")
class Heun(keras.optimizers.Optimizer):
    """Heun's (improved Euler) optimizer; two iterations make one second-order step.

    Example:
        >>> import numpy as np, keras
        >>> x = keras.Variable(np.array([1.0], "float32"))
        >>> opt = Heun(learning_rate=0.1)
        >>> for _ in range(2):  # f(x) = x²/2, g(x) = x
        ...     opt.apply([keras.ops.convert_to_tensor(x.numpy())], [x])
        >>> round(float(x.numpy()[0]), 6)  # 1 - 0.05·(1 + 0.9)
        0.905
    """

    def __init__(self, learning_rate: float = 0.01, name: str = "heun", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self._anchors = self.add_optimizer_variables(variables, "anchor")
        self._first_gradients = self.add_optimizer_variables(variables, "first_gradient")

    def update_step(self, gradient, variable, learning_rate):
        index = optimizer_variable_index(self, variable)
        anchor, first = self._anchors[index], self._first_gradients[index]
        x = variable.value
        lr = ops.cast(learning_rate, x.dtype)
        g = ops.cast(gradient, x.dtype)
        trial = ops.equal(ops.mod(self.iterations, 2), 0)
        # compute every new value before assigning: on torch ``x`` aliases the variable
        new_x = ops.where(trial, x - lr * g, anchor.value - 0.5 * lr * (first.value + g))
        new_anchor = ops.where(trial, x, anchor.value)
        new_first = ops.where(trial, g, first.value)
        self.assign(anchor, new_anchor)
        self.assign(first, new_first)
        self.assign(variable, new_x)
