"""f-GAN: every f-divergence as a GAN loss through its convex conjugate.

An f-divergence ``D_f(P || Q) = E_Q[f(p/q)]`` (``f`` convex, ``f(1) = 0``) has the variational
lower bound ``D_f(P || Q) >= sup_T E_P[T(x)] - E_Q[f*(T(x))]`` with the convex conjugate
``f*(t) = sup_u (t u - f(u))``, tight at ``T = f'(p/q)``. The critic outputs an unconstrained
``v`` and an output activation ``g`` maps it into the domain of ``f*`` (``T = g(v)``). The
table (after Nowozin et al., 2016):

==================  =======================  =========================  ========================
name                f(u)                     f*(t)                      g(v)
==================  =======================  =========================  ========================
kl                  u log u                  exp(t - 1)                 v
reverse_kl          -log u                   -1 - log(-t)               -exp(-v)
js                  u log u                  -log(2 - exp t)            log 2 - softplus(-v)
                    - (u+1) log((u+1)/2)
pearson             (u - 1)^2                t^2/4 + t                  v
neyman              (1 - u)^2 / u            2 - 2 sqrt(1 - t)          1 - exp(-v)
squared_hellinger   (sqrt u - 1)^2           t / (1 - t)                1 - exp(-v)
total_variation     |u - 1| / 2              t  (|t| <= 1/2)            tanh(v) / 2
==================  =======================  =========================  ========================

With this ``f`` the "js" divergence is ``KL(P||M) + KL(Q||M)`` (twice the usual
Jensen-Shannon divergence, at most ``2 log 2``), which is what the f-GAN bound estimates.

Example:
    >>> import numpy as np
    >>> from kexue.generative.fgan import get_divergence, variational_bound
    >>> kl = get_divergence("kl")
    >>> round(float(kl.f(np.float32(2.0))), 4)  # 2 log 2
    1.3863
    >>> float(variational_bound("kl", np.zeros(4, "float32"), np.zeros(4, "float32")))  # T = 0
    -0.3678794503211975
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import keras
from keras import ops

Tensor = Any


@dataclass(frozen=True)
class Divergence:
    """One row of the f-GAN table.

    Attributes:
        name: registry key.
        f: the convex generator ``f(u)``, ``u > 0``.
        conjugate: ``f*(t)`` on its domain ``conjugate_domain`` (open interval).
        activation: ``g(v)``, mapping any real ``v`` into the domain of ``f*``.
        conjugate_of_activation: ``f*(g(v))`` in a numerically stable closed form.
        conjugate_domain: ``(low, high)`` of ``t`` where ``f*`` is finite.
    """

    name: str
    f: Callable[[Tensor], Tensor]
    conjugate: Callable[[Tensor], Tensor]
    activation: Callable[[Tensor], Tensor]
    conjugate_of_activation: Callable[[Tensor], Tensor]
    conjugate_domain: tuple[float, float]


_LOG2 = math.log(2.0)


def _xlogx(u):
    return u * ops.log(u)


def _accepting_arrays(d: Divergence) -> Divergence:
    """Let every function of the row take NumPy arrays or Python floats as well as tensors."""

    def wrap(fn):
        return lambda x: fn(x if ops.is_tensor(x) else ops.convert_to_tensor(x))

    return Divergence(d.name, wrap(d.f), wrap(d.conjugate), wrap(d.activation),
                      wrap(d.conjugate_of_activation), d.conjugate_domain)


DIVERGENCES: dict[str, Divergence] = {
    d.name: _accepting_arrays(d)
    for d in (
        Divergence(
            "kl",
            f=_xlogx,
            conjugate=lambda t: ops.exp(t - 1.0),
            activation=lambda v: v,
            conjugate_of_activation=lambda v: ops.exp(v - 1.0),
            conjugate_domain=(-math.inf, math.inf),
        ),
        Divergence(
            "reverse_kl",
            f=lambda u: -ops.log(u),
            conjugate=lambda t: -1.0 - ops.log(-t),
            activation=lambda v: -ops.exp(-v),
            conjugate_of_activation=lambda v: v - 1.0,
            conjugate_domain=(-math.inf, 0.0),
        ),
        Divergence(
            "js",
            f=lambda u: _xlogx(u) - (u + 1.0) * ops.log((u + 1.0) / 2.0),
            conjugate=lambda t: -ops.log(2.0 - ops.exp(t)),
            activation=lambda v: _LOG2 - ops.softplus(-v),
            conjugate_of_activation=lambda v: ops.softplus(v) - _LOG2,
            conjugate_domain=(-math.inf, _LOG2),
        ),
        Divergence(
            "pearson",
            f=lambda u: (u - 1.0) ** 2,
            conjugate=lambda t: t**2 / 4.0 + t,
            activation=lambda v: v,
            conjugate_of_activation=lambda v: v**2 / 4.0 + v,
            conjugate_domain=(-math.inf, math.inf),
        ),
        Divergence(
            "neyman",
            f=lambda u: (1.0 - u) ** 2 / u,
            conjugate=lambda t: 2.0 - 2.0 * ops.sqrt(1.0 - t),
            activation=lambda v: 1.0 - ops.exp(-v),
            conjugate_of_activation=lambda v: 2.0 - 2.0 * ops.exp(-v / 2.0),
            conjugate_domain=(-math.inf, 1.0),
        ),
        Divergence(
            "squared_hellinger",
            f=lambda u: (ops.sqrt(u) - 1.0) ** 2,
            conjugate=lambda t: t / (1.0 - t),
            activation=lambda v: 1.0 - ops.exp(-v),
            conjugate_of_activation=lambda v: ops.exp(v) - 1.0,
            conjugate_domain=(-math.inf, 1.0),
        ),
        Divergence(
            "total_variation",
            f=lambda u: 0.5 * ops.abs(u - 1.0),
            conjugate=lambda t: t,
            activation=lambda v: 0.5 * ops.tanh(v),
            conjugate_of_activation=lambda v: 0.5 * ops.tanh(v),
            conjugate_domain=(-0.5, 0.5),
        ),
    )
}


def get_divergence(divergence: str | Divergence) -> Divergence:
    """Look up a row of the table by name (a :class:`Divergence` passes through)."""
    if isinstance(divergence, Divergence):
        return divergence
    if divergence not in DIVERGENCES:
        raise ValueError(
            f"Unknown f-divergence {divergence!r}; choose one of {', '.join(DIVERGENCES)}."
        )
    return DIVERGENCES[divergence]


def variational_bound(divergence: str | Divergence, v_p: Tensor, v_q: Tensor) -> Tensor:
    """``E_P[g(v)] - E_Q[f*(g(v))]``: the lower bound on ``D_f(P || Q)`` given raw critic
    outputs ``v_p`` on samples of P and ``v_q`` on samples of Q.

    Example:
        >>> import numpy as np
        >>> from kexue.generative.fgan import variational_bound
        >>> float(variational_bound("pearson", np.ones(3, "float32"), np.zeros(3, "float32")))
        1.0
    """
    d = get_divergence(divergence)
    return ops.mean(d.activation(v_p)) - ops.mean(d.conjugate_of_activation(v_q))


def fgan_losses(
    divergence: str | Divergence, v_real: Tensor, v_fake: Tensor, *, alternative: bool = True
) -> tuple[Tensor, Tensor]:
    """``(d_loss, g_loss)`` of the f-GAN game for critic outputs on real and fake samples.

    The critic minimises ``d_loss = -bound``. The generator minimises the bound itself
    (``g_loss = -E[f*(g(v_fake))]``), or with ``alternative=True`` (Nowozin et al.'s
    non-saturating choice) maximises ``E[g(v_fake)]``.

    Example:
        >>> import numpy as np
        >>> from kexue.generative.fgan import fgan_losses
        >>> d, g = fgan_losses("kl", np.full(2, 2.0, "float32"), np.ones(2, "float32"))
        >>> float(d), float(g)  # d = -(2 - exp(0)), g = -1
        (-1.0, -1.0)
    """
    d = get_divergence(divergence)
    d_loss = -variational_bound(d, v_real, v_fake)
    if alternative:
        g_loss = -ops.mean(d.activation(v_fake))
    else:
        g_loss = -ops.mean(d.conjugate_of_activation(v_fake))
    return d_loss, g_loss


@keras.saving.register_keras_serializable(package="kexue")
class VariationalCritic(keras.Model):
    """Trains a critic ``v(x)`` to maximise the f-divergence bound with plain ``fit``.

    Inputs are dicts ``{"p": samples of P, "q": samples of Q}`` (equal batch sizes).

    Example:
        >>> import keras, numpy as np
        >>> from kexue.generative.fgan import VariationalCritic
        >>> critic = keras.Sequential([keras.layers.Dense(8, activation="tanh"), keras.layers.Dense(1)])
        >>> model = VariationalCritic(critic=critic, divergence="kl")
        >>> model.compile(optimizer="adam")
        >>> x = {"p": np.zeros((8, 1), "float32"), "q": np.ones((8, 1), "float32")}
        >>> _ = model.fit(x, epochs=1, verbose=0)
    """

    def __init__(self, critic: keras.Model, divergence: str = "kl", **kwargs):
        super().__init__(**kwargs)
        self.divergence = get_divergence(divergence).name
        self.critic = critic

    def call(self, inputs):
        return self.critic(inputs["p"]), self.critic(inputs["q"])

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        v_p, v_q = y_pred
        return -variational_bound(self.divergence, v_p, v_q)

    def bound(self, x_p: Tensor, x_q: Tensor) -> float:
        """The bound evaluated on (ideally fresh) samples."""
        return float(keras.ops.convert_to_numpy(variational_bound(self.divergence, self.critic(x_p), self.critic(x_q))))

    def get_config(self):
        return {
            **super().get_config(),
            "divergence": self.divergence,
            "critic": keras.saving.serialize_keras_object(self.critic),
        }

    @classmethod
    def from_config(cls, config):
        config["critic"] = keras.saving.deserialize_keras_object(config["critic"])
        return cls(**config)


def estimate_divergence(
    divergence: str,
    x_p,
    x_q,
    *,
    hidden: int = 32,
    epochs: int = 40,
    batch_size: int = 500,
    learning_rate: float = 1e-2,
    seed: int = 0,
) -> float:
    """Estimate ``D_f(P || Q)`` from samples by training a small MLP critic on half of each
    sample set and evaluating the bound on the other half.

    Example:
        >>> import numpy as np
        >>> from kexue.generative.fgan import estimate_divergence
        >>> rng = np.random.default_rng(0)
        >>> x = rng.standard_normal((400, 1)).astype("float32")
        >>> estimate_divergence("kl", x, x[::-1], epochs=2) < 0.05  # same distribution: KL = 0
        True
    """
    import numpy as np

    x_p, x_q = np.asarray(x_p, "float32"), np.asarray(x_q, "float32")
    if x_p.ndim != 2 or x_q.ndim != 2 or x_p.shape != x_q.shape:
        raise ValueError(
            f"x_p and x_q must be 2-D arrays of equal shape; got {x_p.shape} and {x_q.shape}."
        )
    keras.utils.set_random_seed(seed)
    critic = keras.Sequential(
        [
            keras.layers.Dense(hidden, activation="tanh"),
            keras.layers.Dense(hidden, activation="tanh"),
            keras.layers.Dense(1),
        ]
    )
    model = VariationalCritic(critic=critic, divergence=divergence)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate))
    half = len(x_p) // 2
    model.fit({"p": x_p[:half], "q": x_q[:half]}, epochs=epochs, batch_size=batch_size, verbose=0)
    return model.bound(x_p[half:], x_q[half:])
