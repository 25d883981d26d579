"""Strict assignment of checkpoint tensors to model variables.

A *weight map* says, for every model variable path, which checkpoint tensor feeds it and how
(transpose, row slice, column slice). Loading checks everything before it assigns anything:
every variable must find its tensor with the right shape, and every checkpoint tensor must be
used, be a known part the model did not build (a head, a truncated layer), or match an ignore
pattern (optimizer slots, step counters, buffers). Otherwise one :class:`CheckpointMismatch`
lists every problem and the model is left untouched. ``strict=False`` loads what fits and
returns the report instead.

Example:
    >>> from kexue.checkpoints.loader import Ref, load_weights
    >>> weight_map = {"dense/kernel": Ref("dense.weight", transpose=True)}
    >>> # load_weights(model, source, weight_map)  # raises CheckpointMismatch on any problem
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from kexue.checkpoints.sources import CheckpointError

# Never model weights: optimizer slots, step counters, loss-scale state.
DEFAULT_IGNORE = (
    r"(^|/)global_step$",
    r"/adam_[mv]$",
    r"/(Adam|Adam_1|Momentum|RMSProp|RMSProp_1|LAMB|LAMB_1|AdamWeightDecayOptimizer(_1)?)$",
    r"(^|/)(bad_steps|good_steps|loss_scale|current_loss_scale)$",
)


@dataclass(frozen=True)
class Ref:
    """Where a variable comes from: tensor ``name``, optionally transposed and/or sliced.

    ``rows``/``cols`` are ``(start, stop)`` slices of the first / last axis, applied after the
    transpose; ``fn`` is any further transform of the array.
    """

    name: str
    transpose: bool = False
    rows: tuple[int, int | None] | None = None
    cols: tuple[int, int | None] | None = None
    fn: Callable[[np.ndarray], np.ndarray] | None = None

    def apply(self, array: np.ndarray) -> np.ndarray:
        if self.transpose:
            array = array.T
        if self.rows is not None:
            array = array[self.rows[0] : self.rows[1]]
        if self.cols is not None:
            array = array[..., self.cols[0] : self.cols[1]]
        if self.fn is not None:
            array = self.fn(array)
        return array


class CheckpointMismatch(CheckpointError):
    """Raised with every mismatch between a checkpoint and a model listed."""

    def __init__(self, report: "LoadReport"):
        self.report = report
        super().__init__(report.describe())


@dataclass
class LoadReport:
    """What a load found: per-problem lists of names (and shapes)."""

    checkpoint: str
    missing: list[str] = field(default_factory=list)  # "variable <- tensor" not in checkpoint
    unmapped: list[str] = field(default_factory=list)  # model variables with no known source
    shape_mismatch: list[str] = field(default_factory=list)
    unused: list[str] = field(default_factory=list)  # checkpoint tensors nothing used
    non_finite: list[str] = field(default_factory=list)  # tensors holding NaN or inf: damaged
    loaded: int = 0

    @property
    def ok(self) -> bool:
        return not (self.missing or self.unmapped or self.shape_mismatch or self.unused or self.non_finite)

    def describe(self) -> str:
        lines = [f"Checkpoint {self.checkpoint} does not fit the model:"]
        for title, items in (
            ("tensors missing from the checkpoint", self.missing),
            ("model variables with no checkpoint tensor", self.unmapped),
            ("shape mismatches", self.shape_mismatch),
            ("checkpoint tensors the model does not use", self.unused),
            ("tensors holding NaN or inf (a damaged file?)", self.non_finite),
        ):
            if items:
                lines.append(f"  {title} ({len(items)}):")
                lines.extend(f"    {item}" for item in items)
        lines.append(
            "Nothing was loaded. Check `model=` and the config; pass strict=False to load what "
            "fits anyway (the report is returned)."
        )
        return "\n".join(lines)


def load_weights(
    model,
    source,
    weight_map: dict[str, Ref],
    known: set[str] = frozenset(),
    ignore: tuple[str, ...] = (),
    skip_variables: tuple[str, ...] = (),
    strict: bool = True,
) -> LoadReport:
    """Assign ``source`` tensors to ``model`` variables through ``weight_map``.

    Args:
        model: a Keras model (or layer); variables are matched by ``variable.path``.
        source: an object with ``shapes: dict[str, tuple]`` and ``read(name) -> np.ndarray``
            (see :func:`kexue.checkpoints.sources.open_checkpoint`).
        weight_map: variable path -> :class:`Ref`.
        known: checkpoint tensor names that may stay unused (parts the model did not build).
        ignore: extra regexes of tensor names that are never weights.
        skip_variables: regexes of variable paths that are new (e.g. Conditional LayerNorm's
            zero-initialised projections) and keep their initial values.
        strict: raise :class:`CheckpointMismatch` on any problem (default). With False, load
            what fits and return the report.
    """
    report = LoadReport(checkpoint=repr(source))
    ignore_re = re.compile("|".join(DEFAULT_IGNORE + tuple(ignore)))
    skip_re = re.compile("|".join(skip_variables)) if skip_variables else None
    spelled = getattr(source, "original_name", lambda name: name)
    assignments = []
    used: set[str] = set()
    for variable in _unique_variables(model):
        path = variable.path
        if skip_re is not None and skip_re.search(path):
            continue
        ref = weight_map.get(path)
        if ref is None:
            report.unmapped.append(f"{path} {tuple(variable.shape)}")
            continue
        if ref.name not in source.shapes:
            report.missing.append(f"{path} <- {spelled(ref.name)}")
            continue
        used.add(ref.name)
        value = ref.apply(source.read(ref.name))
        if (value.dtype.kind == "f" or value.dtype.name == "bfloat16") and not np.isfinite(value).all():
            report.non_finite.append(f"{spelled(ref.name)} {source.shapes[ref.name]}")
            continue
        if tuple(value.shape) != tuple(variable.shape):
            report.shape_mismatch.append(
                f"{path} {tuple(variable.shape)} <- {spelled(ref.name)} {source.shapes[ref.name]}"
                f" (after transform {tuple(value.shape)})"
            )
            continue
        assignments.append((variable, value))
    for name in sorted(source.shapes):
        if name not in used and name not in known and not ignore_re.search(name):
            report.unused.append(f"{spelled(name)} {source.shapes[name]}")
    if strict and not report.ok:
        raise CheckpointMismatch(report)
    for variable, value in assignments:
        variable.assign(value.astype(variable.dtype, copy=False))
    report.loaded = len(assignments)
    return report


def _unique_variables(model):
    seen = set()
    for variable in model.weights:
        if id(variable) not in seen:
            seen.add(id(variable))
            yield variable
