"""The capsule margin loss (Sabour et al. 2017, in the form of the post 揭开迷雾，来一顿美味的
Capsule盛宴): every class is a separate yes/no question scored by a capsule length in [0, 1),

    L = Σ_k  y_k · relu(m⁺ − p_k)²  +  λ (1 − y_k) · relu(p_k − m⁻)²

with m⁺ = 0.9, m⁻ = 0.1. λ down-weights the absent classes: 0.25 in the post's code, 0.5 in
the paper. Because each class is judged on its own, several classes can be present at once,
which is what lets a model trained on single digits name both digits of a pair.

Example:
    >>> import numpy as np
    >>> from kexue.losses.capsule import capsule_margin_loss
    >>> y = np.array([[0.0, 1.0, 0.0]], "float32")
    >>> p = np.array([[0.2, 0.5, 0.05]], "float32")  # 0.4² + 0.25 · 0.1²
    >>> round(float(np.asarray(capsule_margin_loss(y, p))[0]), 6)
    0.1625
"""

from __future__ import annotations

import keras
from keras import ops

__all__ = ["capsule_margin_loss"]


@keras.saving.register_keras_serializable(package="kexue")
def capsule_margin_loss(y_true, y_pred, m_plus: float = 0.9, m_minus: float = 0.1,
                        absent_weight: float = 0.25):
    """Per-example margin loss, summed over the classes; ``y_true`` is multi-hot (batch, K)
    and ``y_pred`` the capsule lengths (batch, K)."""
    y_true = ops.cast(y_true, y_pred.dtype)
    present = y_true * ops.square(ops.relu(m_plus - y_pred))
    absent = (1.0 - y_true) * ops.square(ops.relu(y_pred - m_minus))
    return ops.sum(present + absent_weight * absent, axis=-1)
