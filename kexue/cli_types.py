"""Checked option types for the command line: numbers within bounds, rejected as usage errors.

``argparse`` calls these on the option's text; a value out of range (``--min-count -5``,
``--min-pmi nan``, ``--top -1``) becomes argparse's usage error (exit code 2) naming the option,
the value and the allowed range, before any work starts.

Example:
    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="demo", exit_on_error=False)
    >>> _ = parser.add_argument("--top", type=integer(low=0))
    >>> parser.parse_args(["--top", "3"]).top
    3
    >>> try:
    ...     parser.parse_args(["--top", "-1"])
    ... except argparse.ArgumentError as error:
    ...     print(error)
    argument --top: must be an integer >= 0, got -1
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

__all__ = ["integer", "real"]


def _range(low, high, low_open: bool, high_open: bool) -> str:
    parts = []
    if low is not None:
        parts.append(f"{'>' if low_open else '>='} {low:g}")
    if high is not None:
        parts.append(f"{'<' if high_open else '<='} {high:g}")
    return " and ".join(parts)


def _outside(value, low, high, low_open: bool, high_open: bool) -> bool:
    return ((low is not None and (value < low or (low_open and value == low)))
            or (high is not None and (value > high or (high_open and value == high))))


def _bounded(convert, kind: str, low, high, low_open: bool, high_open: bool,
             finite: bool) -> Callable[[str], float]:
    bounds = _range(low, high, low_open, high_open)

    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {kind}, got {text!r}") from None
        if finite and not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
        if _outside(value, low, high, low_open, high_open):
            raise argparse.ArgumentTypeError(f"must be {kind} {bounds}, got {text}")
        return value

    parse.__name__ = kind.split()[-1]
    return parse


def integer(low: int | None = None, high: int | None = None) -> Callable[[str], int]:
    """An ``argparse`` type: an integer in ``[low, high]`` (either bound optional)."""
    return _bounded(int, "an integer", low, high, False, False, finite=False)


def real(low: float | None = None, high: float | None = None, *, low_open: bool = False,
         high_open: bool = False) -> Callable[[str], float]:
    """An ``argparse`` type: a finite number within the bounds (``*_open``: bound excluded)."""
    return _bounded(float, "a number", low, high, low_open, high_open, finite=True)
