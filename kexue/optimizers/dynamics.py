"""Optimizers as discretised dynamics (the optimizer-dynamics posts).

Heavy-ball momentum ``v ← βv − lr·g, x ← x + v`` is, with time step ``h = √lr`` and velocity
``u = v/h``, Euler's method for ``x'' = −γx' − ∇f(x)`` with friction ``γ = (1 − β)/√lr``.
Multiplying the learning rate by ``r`` keeps the same continuous dynamics (the same
trajectory, traversed in ``1/√r`` as many steps) when the friction is kept, i.e. when

    β' = 1 − (1 − β)·√r.
"""

from __future__ import annotations

import math

__all__ = ["rescale_momentum", "friction"]


def rescale_momentum(beta: float, r: float) -> float:
    """The momentum to use after multiplying the learning rate by ``r``.

    >>> round(rescale_momentum(0.9, 4.0), 6)
    0.8
    """
    if not 0.0 <= beta < 1.0:
        raise ValueError(f"`beta` must be in [0, 1), got {beta!r}.")
    if not r > 0:
        raise ValueError(f"`r` must be positive, got {r!r}.")
    new = 1.0 - (1.0 - beta) * math.sqrt(r)
    if new < 0:
        raise ValueError(
            f"r = {r} is too large for beta = {beta}: the rescaled momentum "
            f"1 − (1 − β)√r = {new:.3g} is negative."
        )
    return new


def friction(beta: float, learning_rate: float) -> float:
    """The continuous friction ``γ = (1 − β)/√lr`` of heavy-ball momentum.

    >>> round(friction(0.9, 0.01), 6)
    1.0
    """
    return (1.0 - beta) / math.sqrt(learning_rate)
