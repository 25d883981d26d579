"""LAMB-style layer adaptation: rescale each variable's update by the trust ratio
``‖w‖ / ‖u‖`` where ``u = -Δw / lr`` is the base optimizer's update direction.

Example:
    >>> import keras, numpy as np
    >>> from kexue.optimizers.adaptation import adapt_update
    >>> old = keras.ops.convert_to_tensor(np.array([3.0, 4.0], "float32"))  # ‖w‖ = 5
    >>> w = keras.Variable(np.array([2.9, 4.0], "float32"))     # after a step of ‖u‖ = 1 at lr 0.1
    >>> adapt_update(w, old, 0.1)
    >>> keras.ops.convert_to_numpy(w.value).round(4).tolist()   # the step scaled by 5 / 1
    [2.5, 4.0]
"""

from __future__ import annotations

from keras import ops

__all__ = ["adapt_update"]


def adapt_update(variable, old_value, learning_rate, epsilon: float = 1e-7) -> None:
    """Replace ``variable``'s step ``Δw = w - old`` by ``Δw · ‖old‖ / ‖Δw / lr‖``.

    The ratio falls back to 1 when either norm is zero, as in LAMB.
    """
    delta = variable.value - old_value
    lr = ops.clip(ops.cast(learning_rate, delta.dtype), epsilon, 1e10)
    w_norm = ops.norm(old_value)
    u_norm = ops.norm(delta) / lr
    ok = ops.logical_and(ops.greater(w_norm, 0), ops.greater(u_norm, epsilon))
    ratio = ops.where(ok, w_norm / ops.where(ok, u_norm, 1.0), 1.0)
    variable.assign(old_value + delta * ratio)
