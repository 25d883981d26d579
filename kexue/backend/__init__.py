"""The one backend seam: everything in kexue that is not plain ``keras.ops``, small and tested.

- :mod:`kexue.backend.gradients` -- ``grad``, ``value_and_grad``, ``variable_grads``
  (``keras.ops`` has no autodiff).
- :mod:`kexue.backend.compiling` -- ``jit``, ``jit_with_variables``, ``while_loop``,
  ``loop_seed``, ``sync_training_state`` (compiling whole decoding loops; JAX's training state).
- :mod:`kexue.backend.kernels` -- ``linear``, ``dot_product_attention``, ``TransposedWeight``,
  ``write_positions`` (faster kernels on torch, ``keras.ops`` elsewhere).
- :mod:`kexue.backend.fused_attention` -- ``fuses_attention_dropout`` and the layouts the fused
  GPU attention kernels accept (cuDNN on JAX, SDPA on torch).
- :mod:`kexue.backend.host` -- ``is_concrete``, ``keep_variables_on_error`` (checking inputs on
  the host; a JAX ``fit``/``predict`` that fails half-way keeps the model's weights).
- :mod:`kexue.backend.keras_internals` -- every Keras private name kexue reads (a tensor's
  producing layer, nested layers, optimizer slots and EMA pairs), one named function each.
- :mod:`kexue.backend.optimizer_hooks` -- ``OptimizerHooks``: public names for the private Keras
  optimizer hooks kexue overrides.

Import them from here: ``from kexue.backend import grad``. docs/backends.md says why each is
backend-specific.

Example:
    >>> import kexue.backend
    >>> from kexue.backend.gradients import grad
    >>> kexue.backend.grad is grad      # the same function, re-exported
    True
"""

from kexue.backend._active import Tensor
from kexue.backend.compiling import jit, jit_with_variables, loop_seed, sync_training_state, while_loop
from kexue.backend.gradients import grad, value_and_grad, variable_grads
from kexue.backend.fused_attention import fuses_attention_dropout
from kexue.backend.host import is_concrete, keep_variables_on_error
from kexue.backend.kernels import TransposedWeight, dot_product_attention, linear, write_positions

__all__ = [
    "Tensor",
    "TransposedWeight",
    "dot_product_attention",
    "fuses_attention_dropout",
    "grad",
    "is_concrete",
    "jit",
    "jit_with_variables",
    "keep_variables_on_error",
    "linear",
    "loop_seed",
    "sync_training_state",
    "value_and_grad",
    "variable_grads",
    "while_loop",
    "write_positions",
]
