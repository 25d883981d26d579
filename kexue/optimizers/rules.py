"""Per-variable rules addressed by regular expressions over variable paths.

A rule table is an ordered ``{regex: value}``; the first regex found (``re.search``) in a
variable's path wins. Paths follow the Transformer's convention, e.g.
``layer_3/attention/query/kernel`` (possibly with a leading model or prefix scope).
"""

from __future__ import annotations

import re
from typing import Any, Mapping

__all__ = ["variable_path", "first_match", "compile_rules"]


def variable_path(variable) -> str:
    """The path used for matching: ``variable.path`` when it exists, else its name."""
    return getattr(variable, "path", None) or str(variable.name)


def compile_rules(rules: Mapping[str, Any] | None, what: str) -> list[tuple[re.Pattern, Any]]:
    """Compile ``{regex: value}``, raising a clear error on a malformed table or regex."""
    if rules is None:
        return []
    if not isinstance(rules, Mapping):
        raise TypeError(f"`{what}` must be a dict {{regex: value}}, got {type(rules).__name__}.")
    compiled = []
    for pattern, value in rules.items():
        try:
            compiled.append((re.compile(pattern), value))
        except re.error as err:
            raise ValueError(f"`{what}`: invalid regex {pattern!r}: {err}") from None
    return compiled


def first_match(path: str, rules: list[tuple[re.Pattern, Any]], default: Any = None) -> Any:
    """The value of the first rule whose regex is found in ``path``.

    >>> first_match("layer_1/attention/query/kernel", compile_rules({"attention": 0.5}, "x"))
    0.5
    """
    for pattern, value in rules:
        if pattern.search(path):
            return value
    return default
