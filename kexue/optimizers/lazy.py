"""Lazy optimisation: rows whose gradient is entirely zero keep their value and their
optimizer moments (useful for large embedding tables where most rows are absent in a batch).

Example:
    >>> import keras, numpy as np
    >>> from kexue.optimizers.lazy import nonzero_rows, restore_untouched_rows
    >>> grad = np.array([[0.0, 0.0], [1.0, 0.0]], "float32")    # row 0 had no gradient
    >>> old = keras.ops.convert_to_tensor(np.ones((2, 2), "float32"))
    >>> table = keras.Variable(np.full((2, 2), 0.5, "float32"))  # a dense update moved both rows
    >>> restore_untouched_rows(nonzero_rows(grad), [table], [old])
    >>> keras.ops.convert_to_numpy(table.value).tolist()
    [[1.0, 1.0], [0.5, 0.5]]
"""

from __future__ import annotations

from keras import ops

__all__ = ["nonzero_rows", "restore_untouched_rows"]


def nonzero_rows(gradient):
    """A boolean mask, shape ``gradient.shape[:-1] + (1,)``: which rows have a gradient."""
    return ops.any(ops.not_equal(gradient, 0), axis=-1, keepdims=True)


def restore_untouched_rows(mask, variables, old_values) -> None:
    """Put back ``old_values`` in the rows of each variable where ``mask`` is False."""
    for variable, old in zip(variables, old_values):
        variable.assign(ops.where(mask, variable.value, old))
