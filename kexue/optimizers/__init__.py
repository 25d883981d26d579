"""Training extensions for Keras 3 optimizers (the "make Keras cooler" posts).

Keras already ships gradient accumulation, EMA, decoupled weight decay with exclusions, LAMB,
Lion, clipping and ``MultiOptimizer``; this package adds what it lacks:

- :class:`PiecewiseLinear`, :func:`linear_warmup_decay` (bert4keras schedule semantics);
- :func:`extend`: per-variable learning-rate multipliers (:func:`layerwise_lr_decay`),
  per-variable gradient transforms, lazy embedding rows, LAMB-style layer adaptation and
  Lookahead for *any* Keras optimizer, on JAX (``stateless_apply`` included) and torch;
- the bert4keras ``extend_with_*`` factories, :class:`Heun`, :class:`Reparameterized`.
"""

from kexue.optimizers.dynamics import friction, rescale_momentum
from kexue.optimizers.extended import ExtendedOptimizer, extend
from kexue.optimizers.factories import (
    extend_with_exponential_moving_average,
    extend_with_gradient_accumulation,
    extend_with_layer_adaptation,
    extend_with_lazy_optimization,
    extend_with_lookahead,
    extend_with_parameter_wise_lr,
    extend_with_piecewise_linear_lr,
    extend_with_weight_decay,
)
from kexue.optimizers.heun import Heun
from kexue.optimizers.multipliers import layerwise_lr_decay
from kexue.optimizers.reparam import Reparameterized
from kexue.optimizers.schedules import PiecewiseLinear, linear_warmup_decay, piecewise_linear
from kexue.optimizers.transforms import (
    GradientTransform,
    clip_by_norm,
    clip_by_value,
    scale,
    zero,
)
from kexue.optimizers.weight_decay import TRANSFORMER_NO_DECAY

__all__ = [
    "ExtendedOptimizer",
    "Heun",
    "Reparameterized",
    "extend_with_exponential_moving_average",
    "extend_with_gradient_accumulation",
    "extend_with_layer_adaptation",
    "extend_with_lazy_optimization",
    "extend_with_lookahead",
    "extend_with_parameter_wise_lr",
    "extend_with_piecewise_linear_lr",
    "extend_with_weight_decay",
    "GradientTransform",
    "PiecewiseLinear",
    "TRANSFORMER_NO_DECAY",
    "clip_by_norm",
    "clip_by_value",
    "extend",
    "friction",
    "rescale_momentum",
    "layerwise_lr_decay",
    "linear_warmup_decay",
    "piecewise_linear",
    "scale",
    "zero",
]
