"""Every Keras private name kexue reads, each behind one named function.

Keras has no public API for these; kexue needs them. Keeping them here means a Keras release
that moves one breaks one function, and ``tests/test_backend_internals.py`` (one test per
function, on every backend) says which. ``tests/test_private_names.py`` checks that no module
outside ``kexue/backend/`` reads a private name itself. The overridden optimizer hooks are in
:mod:`kexue.backend.optimizer_hooks`.

Example:
    >>> import keras
    >>> from kexue.backend.keras_internals import producing_layer
    >>> x = keras.Input((3,))
    >>> type(producing_layer(keras.layers.Dense(2, name="d")(x))).__name__
    'Dense'
    >>> producing_layer(keras.ops.ones((2,))) is None   # a concrete tensor has no history
    True
"""

from __future__ import annotations

from typing import Any

import keras

__all__ = [
    "all_sublayers",
    "compute_scope",
    "ema_variable_pairs",
    "instantiated_optimizer_class",
    "learning_rate_source",
    "optimizer_trainable_variables",
    "optimizer_variable_index",
    "optimizer_variable_key",
    "producing_layer",
    "uses_weight_decay",
]


# --- layers and symbolic tensors ----------------------------------------------------------------


def producing_layer(tensor: Any) -> keras.layers.Layer | None:
    """The layer whose call produced a symbolic ``keras.KerasTensor`` (a ``keras.layers.InputLayer``
    for a model input), or ``None`` for any other tensor. Reads ``tensor._keras_history``."""
    history = getattr(tensor, "_keras_history", None)
    return None if history is None else history[0]


def all_sublayers(layer: keras.layers.Layer) -> list[keras.layers.Layer]:
    """``layer`` and every layer nested in it, at any depth, each once, outer ones first.
    Reads ``Layer._flatten_layers``, which also follows layers held in attributes, lists and
    dicts (``model.layers`` lists only the direct children of a model).

    Example:
        >>> import keras
        >>> inner = keras.Sequential([keras.layers.Dense(2, name="inner_dense")])
        >>> outer = keras.Sequential([keras.Input((3,)), inner])
        >>> "inner_dense" in [l.name for l in all_sublayers(outer)]
        True
    """
    return list(layer._flatten_layers(include_self=True, recursive=True))


# --- optimizers ------------------------------------------------------------------------------


def instantiated_optimizer_class(base: type) -> type:
    """The class Keras really instantiates for the optimizer class ``base`` on this backend: on
    torch ``keras.optimizers.Adam(...)`` returns an instance of a fused ``foreach`` subclass
    (Keras' ``TorchOptimizer.__new__`` swaps it), elsewhere ``base`` itself. A mixin must sit
    in front of that class to see the update step torch runs."""
    return type(base.__new__(base))


def optimizer_variable_index(optimizer: keras.optimizers.Optimizer, variable: Any) -> int:
    """Position of ``variable`` in the list the built ``optimizer`` was built with (the index
    of its slots in ``add_optimizer_variables`` lists). Reads ``_get_variable_index``."""
    return optimizer._get_variable_index(variable)


def optimizer_variable_key(optimizer: keras.optimizers.Optimizer, variable: Any) -> str:
    """The key the optimizer files ``variable`` under (stable across the variable's value
    updates, distinct between variables). Reads ``_var_key``."""
    return optimizer._var_key(variable)


def uses_weight_decay(optimizer: keras.optimizers.Optimizer, variable: Any) -> bool:
    """Whether ``optimizer`` decays ``variable`` (its ``weight_decay`` is set and the variable is
    not excluded by ``exclude_from_weight_decay``). Reads ``_use_weight_decay``."""
    return bool(optimizer.weight_decay is not None and optimizer._use_weight_decay(variable))


def learning_rate_source(optimizer: keras.optimizers.Optimizer) -> Any:
    """What the optimizer was given as its learning rate: a ``keras.Variable`` for a number, the
    ``LearningRateSchedule`` or callable otherwise (``optimizer.learning_rate`` evaluates a
    schedule instead). Reads ``_learning_rate``."""
    return optimizer._learning_rate


def optimizer_trainable_variables(optimizer: keras.optimizers.Optimizer) -> list:
    """The model variables the built ``optimizer`` updates, in the order it was built with.
    Reads ``_trainable_variables``."""
    return list(optimizer._trainable_variables)


def ema_variable_pairs(optimizer: keras.optimizers.Optimizer) -> list[tuple[Any, Any]]:
    """``(variable, its moving average)`` for every variable of a built optimizer made with
    ``use_ema=True``. Reads ``_trainable_variables`` and ``_model_variables_moving_average``."""
    if not getattr(optimizer, "use_ema", False) or not optimizer.built:
        raise ValueError(
            "the EMA weights exist once the optimizer (built with use_ema=True) has trained "
            "the model: call this after fit has started."
        )
    return list(zip(optimizer._trainable_variables, optimizer._model_variables_moving_average))


# --- mixed precision ----------------------------------------------------------------------------


def compute_scope(layer: keras.layers.Layer):
    """The context in which calling ``layer.call`` directly computes as ``layer(...)`` would
    under a mixed policy: its variables read in its compute dtype (Keras' autocast scope), or a
    no-op context when variable and compute dtypes agree. Uses ``keras.src``'s
    ``AutocastScope``.

    >>> import keras
    >>> dense = keras.layers.Dense(2, dtype="mixed_bfloat16")
    >>> dense.build((None, 3))
    >>> with compute_scope(dense):
    ...     str(keras.ops.convert_to_tensor(dense.kernel).dtype).split(".")[-1]
    'bfloat16'
    """
    import contextlib

    from keras.src.backend import AutocastScope

    if layer.compute_dtype == layer.variable_dtype:
        return contextlib.nullcontext()
    return AutocastScope(layer.compute_dtype)
