"""An ODE solved as an RNN (the "RNN as ODE" post): Euler's method is a recurrent cell
``x_{t+1} = x_t + h·f(x_t; θ)`` unrolled with ``keras.ops.scan``, so the system's parameters
θ are weights that ordinary gradient descent can fit to observations.

Systems are named right-hand sides ``f(x, params) -> dx/dt`` written in ``keras.ops``;
``"competition"`` is the two-species competition model of the post:

    dx₁/dt = r₁x₁(1 − x₁/N₁) − a₁x₁x₂,    dx₂/dt = r₂x₂(1 − x₂/N₂) − a₂x₁x₂.
"""

from __future__ import annotations

import math
from typing import Callable, Mapping, Sequence

import keras
from keras import ops

__all__ = ["EulerODE", "register_system", "competition", "SYSTEMS"]


def competition(x, p):
    """Two competing species; parameters r1, r2, a1, a2, inv_n1 (=1/N₁), inv_n2."""
    x1, x2 = x[..., 0], x[..., 1]
    d1 = p["r1"] * x1 * (1.0 - p["inv_n1"] * x1) - p["a1"] * x1 * x2
    d2 = p["r2"] * x2 * (1.0 - p["inv_n2"] * x2) - p["a2"] * x1 * x2
    return ops.stack([d1, d2], axis=-1)


#: name -> (right-hand side, parameter names, state size)
SYSTEMS: dict[str, tuple[Callable, tuple[str, ...], int]] = {
    "competition": (competition, ("r1", "r2", "a1", "a2", "inv_n1", "inv_n2"), 2),
}


def register_system(name: str, fn: Callable, parameters: Sequence[str], state_size: int) -> None:
    """Make ``fn(x, params)`` available to :class:`EulerODE` under ``name``."""
    SYSTEMS[name] = (fn, tuple(parameters), int(state_size))


@keras.saving.register_keras_serializable(package="kexue")
class EulerODE(keras.layers.Layer):
    """Maps initial states (batch, d) to the trajectory (batch, num_steps + 1, d).

    Each parameter is stored as ``scale · exp(u)`` with ``scale`` its initial value, so
    parameters of very different magnitudes (0.1 and 1e-4) train at comparable rates and
    keep their sign.

    Args:
        system: a name in :data:`SYSTEMS`.
        parameters: initial value of every parameter of the system (non-zero).
        step_size: Euler step h.
        num_steps: number of steps to unroll.
        output_times: optional times (multiples of ``step_size``) at which to report the
            state; the output is then (batch, len(output_times), d).

    Example:
        >>> import keras, numpy as np
        >>> ode = EulerODE("competition", dict(r1=0.1, r2=0.3, a1=1e-4, a2=2e-4,
        ...                inv_n1=0.002, inv_n2=0.003), step_size=0.1, num_steps=100)
        >>> out = keras.ops.convert_to_numpy(ode(np.array([[100.0, 150.0]], "float32")))
        >>> np.round(out[0, -1].astype(float), 1).tolist()
        [165.0, 282.9]
    """

    def __init__(
        self,
        system: str,
        parameters: Mapping[str, float],
        step_size: float = 0.1,
        num_steps: int = 100,
        output_times: Sequence[float] | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if system not in SYSTEMS:
            raise ValueError(
                f"unknown system {system!r}; registered: {sorted(SYSTEMS)} "
                "(add one with register_system)."
            )
        _, names, self.state_size = SYSTEMS[system]
        missing = set(names) - set(parameters)
        extra = set(parameters) - set(names)
        if missing or extra:
            raise ValueError(
                f"{system!r} needs parameters {list(names)}; missing "
                f"{sorted(missing)}, unexpected {sorted(extra)}."
            )
        if any(parameters[n] == 0 for n in names):
            raise ValueError("initial parameter values must be non-zero (they set the scale).")
        if not step_size > 0 or int(num_steps) != num_steps or num_steps < 1:
            raise ValueError(
                f"need step_size > 0 and a positive integer num_steps, got "
                f"{step_size!r}, {num_steps!r}."
            )
        self.system, self.names = system, names
        self.initial = {n: float(parameters[n]) for n in names}
        self.step_size, self.num_steps = float(step_size), int(num_steps)
        self.output_times = None if output_times is None else [float(t) for t in output_times]
        self._indices = None
        if output_times is not None:
            self._indices = [step_index(t, self.step_size) for t in output_times]
            if max(self._indices) > self.num_steps or min(self._indices) < 0:
                raise ValueError(f"output_times must lie in [0, {self.num_steps * step_size}].")

    def build(self, input_shape):
        if input_shape[-1] != self.state_size:
            raise ValueError(
                f"{self.system!r} has {self.state_size} state variables, the input "
                f"has {input_shape[-1]}."
            )
        self.log_factors = self.add_weight(
            shape=(len(self.names),), initializer="zeros", name="log_factors"
        )

    def parameter_values(self) -> dict:
        """Current parameter values (tensors)."""
        factors = ops.exp(self.log_factors)
        return {n: self.initial[n] * factors[i] for i, n in enumerate(self.names)}

    def call(self, initial_state):
        fn = SYSTEMS[self.system][0]
        params = self.parameter_values()
        h = self.step_size

        def cell(x, _):
            x = x + h * fn(x, params)
            return x, x

        x0 = ops.cast(initial_state, "float32")
        _, states = ops.scan(cell, x0, None, length=self.num_steps)
        trajectory = ops.transpose(ops.concatenate([x0[None], states], axis=0), (1, 0, 2))
        if self._indices is not None:
            trajectory = ops.take(trajectory, self._indices, axis=1)
        return trajectory

    def compute_output_shape(self, input_shape):
        length = self.num_steps + 1 if self._indices is None else len(self._indices)
        return (input_shape[0], length, self.state_size)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "system": self.system,
            "parameters": self.initial,
            "step_size": self.step_size,
            "num_steps": self.num_steps,
            "output_times": self.output_times,
        }


def step_index(t: float, step_size: float) -> int:
    """The scan index of time ``t`` (must be a multiple of the step size)."""
    index = round(t / step_size)
    if not math.isclose(index * step_size, t, rel_tol=1e-9, abs_tol=1e-9):
        raise ValueError(f"time {t} is not a multiple of the step size {step_size}.")
    return index
