"""Writing model or optimizer variables from a callback in the middle of ``fit``.

On JAX, ``fit`` keeps the training state outside the variables between epochs; a callback
that assigns a variable mid-epoch must first reattach that state (``jax_state_sync``), after
which the trainer re-reads the variables before the next step. Other backends need nothing.
"""

from __future__ import annotations


def attach_state(model) -> None:
    """Make the model's variables current before reading or assigning them mid-``fit``."""
    sync = getattr(model, "jax_state_sync", None)
    if sync is not None:
        sync()
