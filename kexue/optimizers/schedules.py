"""Learning-rate schedules: bert4keras's piecewise-linear multiplier and linear warm-up/decay.

The schedule is a mapping ``{step: multiplier}``. Between two keys the multiplier is linearly
interpolated, after the last key it stays at the last value, and when the first key is not 0
an implicit ``{0: 0.0}`` is prepended, so ``{1000: 1}`` is a 1000-step linear warm-up.
"""

from __future__ import annotations

from typing import Mapping

import keras
from keras import ops

__all__ = ["PiecewiseLinear", "piecewise_linear", "linear_warmup_decay"]


def _normalise(schedule: Mapping[int, float]) -> list[tuple[int, float]]:
    if not isinstance(schedule, Mapping) or not schedule:
        raise ValueError(
            f"`schedule` must be a non-empty dict {{step: multiplier}}, got {schedule!r}."
        )
    points = sorted((int(k), float(v)) for k, v in schedule.items())
    if points[0][0] < 0:
        raise ValueError(f"schedule steps must be >= 0, got {points[0][0]}.")
    if len({k for k, _ in points}) != len(points):
        raise ValueError(f"schedule steps must be distinct, got {sorted(schedule)}.")
    if points[0][0] != 0:
        points.insert(0, (0, 0.0))
    return points


def piecewise_linear(step, schedule: Mapping[int, float]):
    """The multiplier of ``schedule`` at ``step`` (a number or a tensor).

    >>> round(float(piecewise_linear(1500, {1000: 1, 2000: 0.1})), 6)
    0.55
    """
    points = _normalise(schedule)
    t = ops.cast(step, "float32")
    value = ops.convert_to_tensor(points[-1][1], "float32")
    # Walk the segments from the last one down, so the first segment containing t wins.
    for (t0, v0), (t1, v1) in reversed(list(zip(points[:-1], points[1:]))):
        slope = (v1 - v0) / (t1 - t0)
        inside = ops.logical_and(ops.greater_equal(t, t0), ops.less(t, t1))
        value = ops.where(inside, v0 + slope * (t - t0), value)
    if len(points) == 1:  # only {0: v}
        value = ops.convert_to_tensor(points[0][1], "float32") + 0.0 * t
    return value


@keras.saving.register_keras_serializable(package="kexue")
class PiecewiseLinear(keras.optimizers.schedules.LearningRateSchedule):
    """``learning_rate × piecewise_linear(step, schedule)`` (bert4keras's semantics).

    Args:
        schedule: ``{step: multiplier}``; ``{1000: 1, 2000: 0.1}`` warms up linearly to 1 over
            1000 steps, decays linearly to 0.1 at step 2000 and stays there.
        learning_rate: the base rate the multiplier scales.

    Example:
        >>> import keras
        >>> lr = PiecewiseLinear({1000: 1, 2000: 0.1}, learning_rate=1e-3)
        >>> [round(float(lr(s)) * 1e3, 4) for s in (0, 500, 1000, 1500, 2000, 5000)]
        [0.0, 0.5, 1.0, 0.55, 0.1, 0.1]
        >>> opt = keras.optimizers.Adam(learning_rate=lr)
    """

    def __init__(self, schedule: Mapping[int, float], learning_rate: float = 1.0):
        self.points = _normalise(schedule)
        self.schedule = {k: v for k, v in self.points}
        self.learning_rate = float(learning_rate)

    def __call__(self, step):
        return self.learning_rate * piecewise_linear(step, self.schedule)

    def get_config(self) -> dict:
        # JSON keys are strings; _normalise turns them back into ints.
        return {
            "schedule": {str(k): v for k, v in self.schedule.items()},
            "learning_rate": self.learning_rate,
        }


def linear_warmup_decay(
    learning_rate: float, warmup_steps: int, total_steps: int, final_multiplier: float = 0.0
) -> PiecewiseLinear:
    """Linear warm-up from 0 to ``learning_rate`` then linear decay to
    ``final_multiplier × learning_rate`` at ``total_steps``.

    >>> lr = linear_warmup_decay(1e-3, warmup_steps=10, total_steps=110)
    >>> round(float(lr(5)), 6), round(float(lr(60)), 6), float(lr(200))
    (0.0005, 0.0005, 0.0)
    """
    if not 0 <= warmup_steps < total_steps:
        raise ValueError(
            f"need 0 <= warmup_steps < total_steps, got {warmup_steps} and {total_steps}."
        )
    schedule = {warmup_steps: 1.0, total_steps: float(final_multiplier)}
    if warmup_steps == 0:
        schedule[0] = 1.0
    return PiecewiseLinear(schedule, learning_rate=learning_rate)
