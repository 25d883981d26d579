"""bert4keras's ``extend_with_*`` factories, mapped onto :func:`kexue.optimizers.extend` and
Keras' built-in options. Each takes an optimizer class and returns a new class that accepts
bert4keras's keyword arguments (and Keras' own).

>>> import keras
>>> AdamLA = extend_with_lookahead(keras.optimizers.Adam, "AdamLA")
>>> opt = AdamLA(learning_rate=1e-3, steps_per_slow_update=5, slow_step_size=0.5)
>>> opt.lookahead_k, opt.lookahead_alpha
(5, 0.5)
>>> AdamW = extend_with_weight_decay(keras.optimizers.Adam)
>>> AdamW(learning_rate=1e-3, weight_decay_rate=0.01).weight_decay
0.01
"""

from __future__ import annotations

from kexue.optimizers.extended import extend

__all__ = [
    "extend_with_weight_decay",
    "extend_with_layer_adaptation",
    "extend_with_piecewise_linear_lr",
    "extend_with_gradient_accumulation",
    "extend_with_lookahead",
    "extend_with_lazy_optimization",
    "extend_with_exponential_moving_average",
    "extend_with_parameter_wise_lr",
]


def _same(x):
    return x


def _list(x):
    return list(x)


def extend_with_weight_decay(base, name: str | None = None):
    """Decoupled weight decay: ``weight_decay_rate``, ``exclude_from_weight_decay`` (regexes
    over variable names)."""
    return extend(base, name, aliases={"weight_decay_rate": ("weight_decay", float)})


def extend_with_layer_adaptation(base, name: str | None = None):
    """LAMB-style trust ratio per variable; ``exclude_from_layer_adaptation`` (regexes)."""
    return extend(base, name, layer_adaptation=True)


def extend_with_piecewise_linear_lr(base, name: str | None = None):
    """``lr_schedule={step: multiplier}`` multiplies ``learning_rate`` piecewise-linearly."""
    return extend(base, name, aliases={"lr_schedule": ("lr_schedule", dict)})


def extend_with_gradient_accumulation(base, name: str | None = None):
    """``grad_accum_steps``: update every k batches with the mean gradient (Keras' option)."""
    return extend(base, name, aliases={"grad_accum_steps": ("gradient_accumulation_steps", int)})


def extend_with_lookahead(base, name: str | None = None):
    """Lookahead: ``steps_per_slow_update`` (k, default 5), ``slow_step_size`` (α, 0.5)."""
    return extend(
        base,
        name,
        lookahead_k=5,
        lookahead_alpha=0.5,
        aliases={
            "steps_per_slow_update": ("lookahead_k", int),
            "slow_step_size": ("lookahead_alpha", float),
        },
    )


def extend_with_lazy_optimization(base, name: str | None = None):
    """Lazy rows for the variables matching ``include_in_lazy_optimization`` (regexes;
    default: paths ending in ``embeddings``)."""
    return extend(base, name, lazy=True, aliases={"include_in_lazy_optimization": ("lazy", _list)})


def extend_with_exponential_moving_average(base, name: str | None = None):
    """Keras' EMA of the weights (``ema_momentum``, default 0.999), the bert4keras way: the
    model keeps its trained weights after ``fit``; ``optimizer.apply_ema_weights()`` puts the
    average in and ``optimizer.reset_old_weights()`` takes it out again (see
    :class:`kexue.callbacks.ema.EMAOptimizer`)."""
    from kexue.callbacks.ema import EMAOptimizer

    extended = extend(base, name, use_ema=True, ema_momentum=0.999)
    return type(extended.__name__, (EMAOptimizer, extended), {})


def extend_with_parameter_wise_lr(base, name: str | None = None):
    """``paramwise_lr_schedule={regex: multiplier}`` over variable paths."""
    return extend(base, name, aliases={"paramwise_lr_schedule": ("lr_multipliers", _same)})
