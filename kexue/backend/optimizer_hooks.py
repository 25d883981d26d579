"""Public names for the private Keras optimizer hooks kexue overrides.

A Keras optimizer runs one update as ``_backend_update_step`` (every variable at once, after
gradient accumulation and clipping), asks ``_get_current_learning_rate`` for the rate and
``_apply_weight_decay`` for the decay before it. :class:`OptimizerHooks`, placed in front of a
Keras optimizer class, routes each hook to a method kexue may override
(``kexue_update_step``, ``kexue_learning_rate``, ``kexue_weight_decay``), and offers Keras'
own behaviour as ``keras_update_step``, ``keras_learning_rate``, ``keras_weight_decay``. When
Keras renames a hook, this file alone changes (``tests/test_backend_internals.py`` fails first).

Example:
    >>> import keras, numpy as np
    >>> class HalfStep(OptimizerHooks, keras.optimizers.SGD):
    ...     def kexue_update_step(self, grads, variables, learning_rate):
    ...         self.keras_update_step(grads, variables, learning_rate * 0.5)
    >>> w = keras.Variable(np.ones(2, "float32"))
    >>> HalfStep(learning_rate=1.0).apply([np.ones(2, "float32")], [w])
    >>> keras.ops.convert_to_numpy(w).tolist()
    [0.5, 0.5]
"""

from __future__ import annotations

from typing import Any

__all__ = ["OptimizerHooks"]


class OptimizerHooks:
    """Mixin for a Keras optimizer class: override the ``kexue_*`` methods, call the
    ``keras_*`` ones for Keras' behaviour. It must come before the Keras class in the bases
    (use :func:`kexue.backend.keras_internals.instantiated_optimizer_class` for that class, so
    that torch's fused variants are covered too)."""

    # -- Keras' private hooks, routed to the public names -------------------------------------
    def _backend_update_step(self, grads, trainable_variables, learning_rate):
        return self.kexue_update_step(grads, trainable_variables, learning_rate)

    def _get_current_learning_rate(self):
        return self.kexue_learning_rate()

    def _apply_weight_decay(self, variables):
        return self.kexue_weight_decay(variables)

    # -- what kexue overrides (defaults: Keras' own) -------------------------------------------
    def kexue_update_step(self, grads: list, variables: list, learning_rate: Any) -> None:
        """Update ``variables`` with ``grads`` (all of them in one call)."""
        self.keras_update_step(grads, variables, learning_rate)

    def kexue_learning_rate(self) -> Any:
        """The learning rate of the coming update."""
        return self.keras_learning_rate()

    def kexue_weight_decay(self, variables: list) -> None:
        """Decay ``variables`` before the update (Keras: decoupled, ``lr × weight_decay``)."""
        self.keras_weight_decay(variables)

    # -- Keras' behaviour -------------------------------------------------------------------------
    def keras_update_step(self, grads: list, variables: list, learning_rate: Any) -> None:
        """Keras' update of ``variables`` (``update_step`` per variable, or torch's fused step)."""
        super()._backend_update_step(grads, variables, learning_rate)

    def keras_learning_rate(self) -> Any:
        """Keras' current learning rate (a schedule evaluated at its own iteration count)."""
        return super()._get_current_learning_rate()

    def keras_weight_decay(self, variables: list) -> None:
        """Keras' decoupled weight decay of ``variables``."""
        super()._apply_weight_decay(variables)
