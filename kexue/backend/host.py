"""Host-side guards around Keras calls: is a value concrete data (can it be checked with NumPy
now?), and keeping a model's weights when a JAX ``fit``/``predict`` fails half-way.

Keras' JAX trainer detaches the variables' values while a ``fit``, ``evaluate`` or ``predict``
runs and attaches them again at the end; an exception in between (a shape error while tracing
the step) skips the re-attachment, and every later call fails with ``TypeError: 'NoneType'
object is not callable`` -- or, when the failure came in the first step, the weights are lost.
:func:`keep_variables_on_error` puts them back: the latest state the trainer holds, and for
anything still detached the value it had before the call.

Example:
    >>> import numpy as np
    >>> from kexue.backend import is_concrete
    >>> is_concrete(np.zeros(3))
    True
"""

from __future__ import annotations

import contextlib
from typing import Any, Iterator

import keras

from kexue.backend._active import active_backend as _backend


def is_concrete(value: Any) -> bool:
    """Whether ``value`` holds data now: not a symbolic ``KerasTensor``, not a JAX tracer,
    not a tensor seen while ``torch.compile`` traces."""
    if isinstance(value, keras.KerasTensor):
        return False
    backend = _backend()
    if backend == "jax":
        import jax

        return not isinstance(value, jax.core.Tracer)
    if backend == "torch":
        import torch

        return not torch.compiler.is_compiling()
    if backend == "tensorflow":  # pragma: no cover - TensorFlow is best-effort, not installed here
        import tensorflow as tf

        return tf.executing_eagerly()
    return True  # pragma: no cover


def _detached(variable) -> bool:
    return getattr(variable, "_value", True) is None


@contextlib.contextmanager
def keep_variables_on_error(model: keras.Model) -> Iterator[None]:
    """Run a Keras training/inference call; on an exception, leave ``model`` usable.

    On JAX: the trainer's latest state is written back (``jax_state_sync``) and any variable
    still detached gets the value it had before the call. Other backends update variables in
    place and need nothing. No cost when the call succeeds (the values are references).
    """
    if _backend() != "jax":
        yield
        return
    tracked = list(model.variables)
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None:
        tracked += list(optimizer.variables)
    tracked += list(getattr(model, "metrics_variables", []))
    before = [None if _detached(v) else v.value for v in tracked]
    try:
        yield
    except BaseException:
        sync = getattr(model, "jax_state_sync", None)
        if sync is not None:
            with contextlib.suppress(Exception):
                sync()
        for variable, value in zip(tracked, before):
            if _detached(variable) and value is not None:
                variable.assign(value)
        raise
