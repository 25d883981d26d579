"""Lookahead (Zhang et al., 2019): every ``k`` fast steps ``slow += alpha (fast - slow)``,
then ``fast = slow``.

The slow copy starts equal to the weights when the optimizer is built (never at zero), so
the first synchronisation does not scale the weights by ``alpha``.

Example:
    >>> import keras, numpy as np
    >>> from kexue.optimizers.lookahead import lookahead_sync
    >>> fast = keras.Variable(np.array([2.0], "float32"))
    >>> slow = keras.Variable(np.array([0.0], "float32"))
    >>> lookahead_sync(1, [fast], [slow], k=2, alpha=0.5)    # second of k = 2 steps: sync
    >>> float(keras.ops.convert_to_numpy(slow.value)[0]), float(keras.ops.convert_to_numpy(fast.value)[0])
    (1.0, 1.0)
"""

from __future__ import annotations

from keras import ops

from kexue.optimizers._control import concrete_bool

__all__ = ["lookahead_sync", "check_lookahead"]


def check_lookahead(k, alpha) -> None:
    """Raise a clear error for invalid Lookahead arguments."""
    if k is None:
        return
    if int(k) != k or k < 1:
        raise ValueError(f"`lookahead_k` must be a positive integer, got {k!r}.")
    if not 0.0 < alpha <= 1.0:
        raise ValueError(f"`lookahead_alpha` must be in (0, 1], got {alpha!r}.")


def lookahead_sync(updates_done, variables, slow_variables, k: int, alpha: float) -> None:
    """Synchronise after the update that brings the count of fast steps to a multiple of ``k``.

    ``updates_done`` is the number of fast updates before the current one.
    """
    sync = ops.equal(ops.mod(updates_done + 1, k), 0)
    static = concrete_bool(sync)
    if static is False:
        return
    variables, slow_variables = list(variables), list(slow_variables)

    def synced():
        slows = [
            s.value + ops.cast(alpha, s.dtype) * (f.value - s.value)
            for f, s in zip(variables, slow_variables)
        ]
        return slows, slows

    if static:
        new_slow, new_fast = synced()
    else:  # traced (jax.jit): only the taken branch runs, so k − 1 of k steps cost nothing
        new_slow, new_fast = ops.cond(
            sync, synced, lambda: ([s.value for s in slow_variables], [f.value for f in variables])
        )
    for fast, slow, s_value, f_value in zip(variables, slow_variables, new_slow, new_fast):
        slow.assign(s_value)
        fast.assign(f_value)
