"""Test helpers for flows: the Jacobian of a Keras computation by the backend's own autodiff.

Used only by tests (library code stays on keras.ops). ``jacobian(fn, x)`` returns the
(out_dim, in_dim) Jacobian of ``fn`` at the single example ``x`` (NumPy, float64).
"""

import keras
import numpy as np
from keras import ops


def jacobian(fn, x: np.ndarray) -> np.ndarray:
    """``fn`` maps a batch of one example (1, *shape) to a flat tensor (1, out_dim)."""
    x = np.asarray(x, dtype="float32")
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        jac = jax.jacfwd(lambda v: fn(v[None])[0])(jax.numpy.asarray(x))
    elif backend == "torch":
        import torch

        jac = torch.autograd.functional.jacobian(lambda v: fn(v[None])[0], torch.tensor(x))
    else:  # pragma: no cover
        raise NotImplementedError(f"no Jacobian helper for backend {backend!r}")
    jac = np.asarray(ops.convert_to_numpy(jac), dtype="float64")
    return jac.reshape(-1, x.size)


def flat(outputs) -> "keras.KerasTensor":
    """Concatenate one output or a tuple of outputs into (batch, total_dim)."""
    parts = outputs if isinstance(outputs, (tuple, list)) else (outputs,)
    return ops.concatenate([ops.reshape(p, (ops.shape(p)[0], -1)) for p in parts], axis=-1)


def perturb_weights(layer, scale: float = 0.3, seed: int = 0) -> None:
    """Move every trainable weight away from its (often identity) initial value."""
    rng = np.random.default_rng(seed)
    for w in layer.trainable_weights:
        w.assign(ops.convert_to_numpy(w) + scale * rng.standard_normal(w.shape).astype("float32"))


def numpy_of(x) -> np.ndarray:
    if isinstance(x, (tuple, list)):
        return np.concatenate([numpy_of(p).reshape(len(numpy_of(p)), -1) for p in x], axis=-1)
    return np.asarray(ops.convert_to_numpy(x))
