"""``extend``: add kexue's per-variable extensions to any Keras optimizer class.

One mixin, one ordered update step, so the extensions compose predictably:

1. per-variable gradient transforms (after Keras' accumulation and global clipping);
2. decoupled weight decay and the update itself, each with the variable's learning-rate
   multiplier (Keras' ``weight_decay`` / ``exclude_from_weight_decay`` semantics otherwise);
3. LAMB-style layer adaptation of the resulting step;
4. lazy rows: rows with an all-zero gradient get their value and moments back;
5. Lookahead synchronisation every ``k`` updates.

Learning-rate schedules are evaluated at the number of *updates* (``optimizer.iterations``),
so a schedule means the same with or without ``gradient_accumulation_steps``.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

import keras
from keras.optimizers.schedules import LearningRateSchedule

from kexue.backend.keras_internals import (
    instantiated_optimizer_class,
    learning_rate_source,
    optimizer_variable_index,
    optimizer_variable_key,
    uses_weight_decay,
)
from kexue.backend.optimizer_hooks import OptimizerHooks
from kexue.optimizers import transforms as _transforms
from kexue.optimizers._control import snapshot
from kexue.optimizers.adaptation import adapt_update
from kexue.optimizers.lazy import nonzero_rows, restore_untouched_rows
from kexue.optimizers.lookahead import check_lookahead, lookahead_sync
from kexue.optimizers.rules import compile_rules, first_match, variable_path
from kexue.optimizers.schedules import PiecewiseLinear

__all__ = ["ExtendedOptimizer", "extend"]

DEFAULT_LAZY = (r"embeddings$",)
_NOT_SLOTS = ("gradient_accumulator", "average")
_EXTENSION_ARGS = (
    "lr_multipliers",
    "gradient_transforms",
    "lazy",
    "layer_adaptation",
    "exclude_from_layer_adaptation",
    "lookahead_k",
    "lookahead_alpha",
    "exclude_from_weight_decay",
)


class ExtendedOptimizer(OptimizerHooks):
    """Mixin placed before a Keras optimizer class by :func:`extend`.

    Extra keyword arguments (all off by default):
        lr_multipliers: ``{regex: multiplier}`` over variable paths (first match wins);
            e.g. :func:`kexue.optimizers.layerwise_lr_decay`.
        gradient_transforms: ``{regex: transform}``; see :mod:`kexue.optimizers.transforms`.
        lazy: ``True`` (variables whose path ends in ``embeddings``) or a list of regexes.
        layer_adaptation: ``True`` for LAMB's trust ratio; ``exclude_from_layer_adaptation``
            lists regexes that keep the plain step.
        lookahead_k, lookahead_alpha: Lookahead's ``k`` (``None`` = off) and ``alpha``.
        exclude_from_weight_decay: variable-name regexes kept out of weight decay
            (:data:`kexue.optimizers.TRANSFORMER_NO_DECAY` suits Transformers).
    """

    _kexue_defaults: dict = {}
    _kexue_aliases: dict = {}

    def __init__(self, *args, **kwargs):
        for alias, (target, convert) in self._kexue_aliases.items():
            if alias in kwargs:
                kwargs[target] = convert(kwargs.pop(alias))
        merged = {**self._kexue_defaults, **kwargs}
        if "lr_schedule" in merged:  # bert4keras: a piecewise-linear multiplier of the rate
            schedule = merged.pop("lr_schedule")
            merged["learning_rate"] = PiecewiseLinear(
                schedule, learning_rate=merged.get("learning_rate", 0.001)
            )
        ext = {key: merged.pop(key) for key in _EXTENSION_ARGS if key in merged}
        super().__init__(*args, **merged)
        self.lr_multipliers = dict(ext.get("lr_multipliers") or {})
        self.gradient_transforms = {
            k: _transforms.deserialize(v) for k, v in (ext.get("gradient_transforms") or {}).items()
        }
        lazy = ext.get("lazy")
        self.lazy = list(DEFAULT_LAZY) if lazy is True else list(lazy or [])
        self.layer_adaptation = bool(ext.get("layer_adaptation", False))
        self.exclude_from_layer_adaptation = list(ext.get("exclude_from_layer_adaptation") or [])
        self.lookahead_k = ext.get("lookahead_k")
        self.lookahead_alpha = float(ext.get("lookahead_alpha", 0.5))
        check_lookahead(self.lookahead_k, self.lookahead_alpha)
        for table, what in (
            (self.lr_multipliers, "lr_multipliers"),
            (self.gradient_transforms, "gradient_transforms"),
        ):
            compile_rules(table, what)
        for value in self.lr_multipliers.values():
            if not value >= 0:
                raise ValueError(f"learning-rate multipliers must be >= 0, got {value!r}.")
        self._kexue_slots = {}
        self._kexue_wd_exclusions = list(ext.get("exclude_from_weight_decay") or [])
        if self._kexue_wd_exclusions:
            self.exclude_from_weight_decay(var_names=self._kexue_wd_exclusions)

    # -- building -------------------------------------------------------------------------
    def add_variable_from_reference(self, reference_variable, name=None, initializer="zeros"):
        variable = super().add_variable_from_reference(reference_variable, name, initializer)
        if name not in _NOT_SLOTS:
            key = optimizer_variable_key(self, reference_variable)
            self._kexue_slots.setdefault(key, []).append(variable)
        return variable

    def build(self, variables):
        super().build(variables)
        mult = compile_rules(self.lr_multipliers, "lr_multipliers")
        trans = compile_rules(self.gradient_transforms, "gradient_transforms")
        lazy = compile_rules({p: True for p in self.lazy}, "lazy")
        no_adapt = compile_rules(
            {p: True for p in self.exclude_from_layer_adaptation}, "exclude_from_layer_adaptation"
        )
        self._kexue_plan = []
        for variable in variables:
            path = variable_path(variable)
            is_lazy = bool(first_match(path, lazy, False))
            if is_lazy and len(variable.shape) < 2:
                raise ValueError(
                    f"lazy optimisation needs a table with rows; {path!r} has "
                    f"shape {tuple(variable.shape)}: narrow the `lazy` regexes."
                )
            self._kexue_plan.append(
                {
                    "mult": float(first_match(path, mult, 1.0)),
                    "transform": first_match(path, trans, None),
                    "lazy": is_lazy,
                    "adapt": self.layer_adaptation and not first_match(path, no_adapt, False),
                }
            )
        self._kexue_slow = []
        if self.lookahead_k:
            for variable in variables:
                slow = self.add_variable(
                    shape=variable.shape,
                    dtype=variable.dtype,
                    name=f"{variable_path(variable).replace('/', '_')}_slow",
                )
                slow.assign(keras.ops.copy(variable.value))  # own buffer: JAX donates both
                self._kexue_slow.append(slow)

    # -- learning rate and weight decay ---------------------------------------------------
    def kexue_learning_rate(self):
        schedule = learning_rate_source(self)
        if isinstance(schedule, LearningRateSchedule):
            return schedule(self.iterations)
        return self.keras_learning_rate()

    def kexue_weight_decay(self, variables):
        """Deferred to the update step, where each variable's multiplier is known."""

    def _decay_weights(self, variables, plans, learning_rate) -> None:
        if self.weight_decay is None:
            return
        for variable, plan in zip(variables, plans):
            if uses_weight_decay(self, variable):
                v = variable.value
                factor = keras.ops.cast(self.weight_decay * learning_rate * plan["mult"], v.dtype)
                variable.assign(v * (1.0 - factor))  # one pass

    # -- the update step --------------------------------------------------------------------
    def kexue_update_step(self, grads, trainable_variables, learning_rate):
        indices = [optimizer_variable_index(self, v) for v in trainable_variables]
        plans = [self._kexue_plan[i] for i in indices]
        grads = [
            keras.ops.convert_to_tensor(g, v.dtype) for g, v in zip(grads, trainable_variables)
        ]
        grads = [g if p["transform"] is None else p["transform"](g) for g, p in zip(grads, plans)]
        lazy = [
            (v, nonzero_rows(g), [snapshot(v)] + [snapshot(s) for s in self._slots(v)])
            for g, v, p in zip(grads, trainable_variables, plans)
            if p["lazy"]
        ]
        adapt = [
            (v, snapshot(v), p["mult"]) for v, p in zip(trainable_variables, plans) if p["adapt"]
        ]

        self._decay_weights(trainable_variables, plans, learning_rate)
        groups: dict[float, list[int]] = {}
        for position, plan in enumerate(plans):
            groups.setdefault(plan["mult"], []).append(position)
        for mult, positions in groups.items():
            if mult == 0.0:
                continue
            lr = learning_rate if mult == 1.0 else learning_rate * mult
            self.keras_update_step(
                [grads[p] for p in positions], [trainable_variables[p] for p in positions], lr
            )

        for variable, old, mult in adapt:
            adapt_update(variable, old, learning_rate * mult)
        for variable, mask, olds in lazy:
            restore_untouched_rows(mask, [variable] + self._slots(variable), olds)
        if self.lookahead_k:
            lookahead_sync(
                self.iterations,
                trainable_variables,
                [self._kexue_slow[i] for i in indices],
                int(self.lookahead_k),
                self.lookahead_alpha,
            )

    def _slots(self, variable) -> list:
        return self._kexue_slots.get(optimizer_variable_key(self, variable), [])

    # -- serialisation ------------------------------------------------------------------------
    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            {
                "lr_multipliers": dict(self.lr_multipliers),
                "gradient_transforms": {
                    k: v.get_config() if hasattr(v, "get_config") else v
                    for k, v in self.gradient_transforms.items()
                },
                "lazy": list(self.lazy),
                "layer_adaptation": self.layer_adaptation,
                "exclude_from_layer_adaptation": list(self.exclude_from_layer_adaptation),
                "lookahead_k": self.lookahead_k,
                "lookahead_alpha": self.lookahead_alpha,
                "exclude_from_weight_decay": list(self._kexue_wd_exclusions),
            }
        )
        return config


def extend(
    base: Any,
    name: str | None = None,
    aliases: Mapping[str, tuple[str, Callable]] | None = None,
    **defaults,
):
    """Add kexue's extensions to a Keras optimizer class (returns a class) or to an unbuilt
    optimizer instance (returns a new instance with the same configuration).

    ``defaults`` become default keyword arguments of the new class (see
    :class:`ExtendedOptimizer` for the names); extending an extended class merges them.

    Example:
        >>> import keras, numpy as np
        >>> AdamLA = extend(keras.optimizers.Adam, lookahead_k=5)
        >>> opt = AdamLA(learning_rate=1e-3, lr_multipliers={"bias": 2.0})
        >>> w = keras.Variable(np.ones((2, 2), "float32"), name="kernel")
        >>> opt.apply([np.ones((2, 2), "float32")], [w])
        >>> round(float(w.numpy()[0, 0]), 4)
        0.999
        >>> opt2 = extend(keras.optimizers.SGD(0.1), lazy=True)  # from an instance
    """
    if isinstance(base, keras.optimizers.Optimizer):
        if base.built:
            raise ValueError(
                "extend an optimizer before it is built (before fit/apply), or extend its class."
            )
        cls = extend(type(base), name, aliases, **defaults)
        config = base.get_config()
        config.update(defaults)
        return cls.from_config(config)
    if not (isinstance(base, type) and issubclass(base, keras.optimizers.Optimizer)):
        raise TypeError(f"`extend` needs a Keras optimizer class or instance, got {base!r}.")
    attrs = {
        "_kexue_defaults": {**getattr(base, "_kexue_defaults", {}), **defaults},
        "_kexue_aliases": {**getattr(base, "_kexue_aliases", {}), **(aliases or {})},
    }
    if issubclass(base, ExtendedOptimizer):
        return type(name or base.__name__, (base,), attrs)
    if name is None and not defaults and not aliases and base in _REGISTERED:
        return _REGISTERED[base]
    return type(
        name or f"Extended{base.__name__}", (ExtendedOptimizer, instantiated_optimizer_class(base)), attrs
    )


def _register_builtin_extensions() -> dict:
    """``Extended<Name>`` for every Keras optimizer, registered as ``kexue>Extended<Name>`` so
    models saved with them load again in a fresh process (the extension arguments come back
    from the saved config). Classes made with other names or defaults need registering by
    their user, like any custom Keras object."""
    registered = {}
    for attr in dir(keras.optimizers):
        base = getattr(keras.optimizers, attr)
        if (
            isinstance(base, type)
            and issubclass(base, keras.optimizers.Optimizer)
            and base is not keras.optimizers.Optimizer
            and base.__name__ not in ("LossScaleOptimizer", "MultiOptimizer")
        ):
            try:
                cls = type(
                    f"Extended{base.__name__}",
                    (ExtendedOptimizer, instantiated_optimizer_class(base)),
                    {"_kexue_defaults": {}, "_kexue_aliases": {}},
                )
            except TypeError:  # wrappers that cannot be created without arguments
                continue
            registered[base] = keras.saving.register_keras_serializable(package="kexue")(cls)
    return registered


_REGISTERED: dict = {}
_REGISTERED.update(_register_builtin_extensions())
