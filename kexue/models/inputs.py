"""Checking a Transformer's inputs on the host, before Keras (and a compiled step) sees them.

An embedding lookup with an id outside its table does not fail on JAX: it returns a clipped or
NaN row and the model computes garbage. A learned position table has the same problem with a
sequence longer than ``max_position``. And when Keras' JAX trainer fails half-way through a
``predict`` (segment ids shorter than the token ids, an empty batch), the model is left without
its weights. So :class:`InputChecks` looks at the NumPy data first, where it is cheap (a min and
a max per array, nothing added to compiled code), and raises one ``ValueError`` that names the
input, the bad value, where it is and the allowed range.

What is checked, per input: that it can be an integer array of shape ``(batch, length)``
(not ragged, no fractional or non-finite values, not empty), ids in ``[0, size)``, at most
``max_length`` positions; across inputs: one batch size, and the same ``(batch, length)`` for
inputs that go together (segment ids and token ids). Symbolic inputs (building a model) and
traced ones (inside ``jax.jit`` or ``torch.compile``) are passed through unchecked.

Example:
    >>> import numpy as np
    >>> checks = InputChecks(ids={"token_ids": (100, "vocab_size"), "segment_ids": (2, "segment_vocab_size")},
    ...                      max_length={"token_ids": 8}, aligned={"segment_ids": "token_ids"})
    >>> checks.check([np.array([[5, 7]]), np.array([[0, 1]])], ["token_ids", "segment_ids"])
    >>> try:
    ...     checks.check([np.array([[5, 170]]), np.array([[0, 1]])], ["token_ids", "segment_ids"])
    ... except ValueError as error:
    ...     print(error)
    token_ids holds id 170 (row 0, position 1), but vocab_size is 100: ids must be in [0, 100). Does the tokenizer's vocabulary match the model's?
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import keras
import numpy as np

from kexue.backend import is_concrete

__all__ = ["InputChecks", "check_range", "host_ids", "seq2seq_checks", "transformer_checks"]

_FIX = {
    "vocab_size": " Does the tokenizer's vocabulary match the model's?",
    "segment_vocab_size": " Segment ids are 0 for the first text and 1 for the second.",
}


def _where(array: np.ndarray, flat_index: int) -> str:
    index = np.unravel_index(flat_index, array.shape)
    if len(index) == 1:
        return f"position {index[0]}"
    if len(index) == 2:
        return f"row {index[0]}, position {index[1]}"
    return "index " + str(tuple(int(i) for i in index))


def host_ids(value: Any, name: str, ndim: int | None = 2) -> np.ndarray | None:
    """``value`` as an integer NumPy array, or ``None`` when it is symbolic or traced.

    Raises a ``ValueError`` naming ``name`` for ragged rows, strings, booleans, fractional or
    non-finite numbers, or (with ``ndim``) another number of axes.

    >>> host_ids([[1, 2], [3, 4]], "token_ids").dtype.kind
    'i'
    """
    if isinstance(value, keras.KerasTensor) or not is_concrete(value):
        return None
    try:
        array = np.asarray(keras.ops.convert_to_numpy(value) if keras.ops.is_tensor(value) else value)
    except ValueError:
        raise ValueError(
            f"{name} has rows of different lengths; pad them to one length first "
            "(kexue.data.sequence_padding)."
        ) from None
    if array.dtype == object:
        raise ValueError(
            f"{name} has rows of different lengths or values that are not numbers; pad the "
            "rows (kexue.data.sequence_padding) and pass integer ids."
        )
    if ndim is not None and array.ndim != ndim:
        hint = " (wrap a single sequence as [ids])" if array.ndim == ndim - 1 else ""
        axes = {1: " (length,)", 2: " (batch, length)"}.get(ndim, "")
        raise ValueError(f"{name} must have {ndim} axes{axes}, got shape {array.shape}{hint}.")
    kind = array.dtype.kind
    if kind in "iu":
        return array
    if kind == "f" and array.size:
        bad = ~np.isfinite(array) | (array != np.round(array))
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"{name} holds {float(array.flat[first])!r} ({_where(array, first)}); ids must be whole "
                "numbers. Pass integer arrays (e.g. .astype('int32'))."
            )
        return array.astype(np.int64)
    if kind == "f":
        return array.astype(np.int64)
    raise ValueError(
        f"{name} must hold integer ids, got {array.dtype} values; convert them with a tokenizer "
        "(strings) or .astype('int32')."
    )


def check_range(array: np.ndarray, name: str, upper: int, what: str) -> None:
    """Every id of ``array`` in ``[0, upper)``, or a ``ValueError`` saying which is not.

    >>> check_range(np.array([[0, 3]]), "token_ids", 4, "vocab_size")
    """
    if not array.size:
        return
    low, high = int(array.min()), int(array.max())
    if low >= 0 and high < upper:
        return
    bad = high if high >= upper else low
    first = int(np.flatnonzero(array == bad)[0])
    raise ValueError(
        f"{name} holds id {bad} ({_where(array, first)}), but {what} is {upper}: ids must be in "
        f"[0, {upper}).{_FIX.get(what, '')}"
    )


class InputChecks:
    """What a model's inputs must satisfy (see the module docstring).

    Args:
        ids: ``{input name: (size, what)}``: ids must lie in ``[0, size)``; ``what`` names the
            limit in messages (``"vocab_size"``).
        max_length: ``{input name: n}``: at most ``n`` positions (learned position tables).
        aligned: ``{input name: other input}``: both must have the same ``(batch, length)``.
    """

    def __init__(
        self,
        ids: Mapping[str, tuple[int, str]] | None = None,
        max_length: Mapping[str, int] | None = None,
        aligned: Mapping[str, str] | None = None,
    ):
        self.ids = {name: (int(size), str(what)) for name, (size, what) in (ids or {}).items()}
        self.max_length = {name: int(n) for name, n in (max_length or {}).items()}
        self.aligned = dict(aligned or {})

    def get_config(self) -> dict:
        return {
            "ids": {name: list(limit) for name, limit in self.ids.items()},
            "max_length": dict(self.max_length),
            "aligned": dict(self.aligned),
        }

    @classmethod
    def from_config(cls, config: Mapping | None) -> "InputChecks":
        return cls(**(config or {}))

    def renamed(self, names: Mapping[str, str]) -> "InputChecks":
        """The same checks for inputs called ``names[old]`` (names not listed are dropped)."""
        return InputChecks(
            {names[k]: v for k, v in self.ids.items() if k in names},
            {names[k]: v for k, v in self.max_length.items() if k in names},
            {names[k]: names[v] for k, v in self.aligned.items() if k in names and v in names},
        )

    def _arrange(self, x: Any, names: Sequence[str]) -> dict[str, Any]:
        """``x`` as ``{input name: value}`` following Keras' conventions for model inputs."""
        if isinstance(x, Mapping):
            return {name: x[name] for name in names if name in x}
        if len(names) == 1:
            if isinstance(x, (list, tuple)) and len(x) == 1 and np.ndim(x[0]) >= 2:
                x = x[0]
            return {names[0]: x}
        if not isinstance(x, (list, tuple)) or len(x) != len(names):
            got = f"{len(x)} arrays" if isinstance(x, (list, tuple)) else f"one {type(x).__name__}"
            raise ValueError(
                f"this model takes {len(names)} inputs ({', '.join(names)}); got {got}. Pass a "
                "list in that order (or a dict by name)."
            )
        return dict(zip(names, x))

    def check(self, x: Any, names: Sequence[str]) -> None:
        """Raise a ``ValueError`` if the model inputs ``x`` (ordered as ``names``) break a rule."""
        values = self._arrange(x, list(names))
        shapes: dict[str, tuple] = {}
        for name, value in values.items():
            if name in self.ids or name in self.max_length:
                array = host_ids(value, name)
                if array is None:
                    return  # symbolic or traced: nothing to check on the host
                self._check_ids(name, array)
                shapes[name] = array.shape
            elif getattr(value, "shape", None) is not None and len(value.shape) > 0:
                shapes[name] = tuple(value.shape)
        self._check_shapes(shapes)

    def _check_ids(self, name: str, array: np.ndarray) -> None:
        batch, length = array.shape
        if batch == 0:
            raise ValueError(f"{name} is an empty batch (shape {array.shape}); pass at least one row.")
        if length == 0:
            raise ValueError(f"{name} has rows of length 0 (shape {array.shape}); every row needs a token.")
        if name in self.ids:
            check_range(array, name, *self.ids[name])
        limit = self.max_length.get(name)
        if limit is not None and length > limit:
            raise ValueError(
                f"{name} has {length} positions, but the model has {limit} (max_position): "
                f"truncate the inputs to {limit} tokens (tokenizer.encode(..., maxlen={limit}))."
            )

    def _check_shapes(self, shapes: dict[str, tuple]) -> None:
        batches = {name: shape[0] for name, shape in shapes.items() if shape[0] is not None}
        if len(set(batches.values())) > 1:
            listed = ", ".join(f"{name} {n}" for name, n in batches.items())
            raise ValueError(f"the inputs disagree on the batch size (rows): {listed}.")
        for name, other in self.aligned.items():
            if name in shapes and other in shapes and shapes[name][:2] != shapes[other][:2]:
                raise ValueError(
                    f"{name} has shape {shapes[name][:2]} but {other} has {shapes[other][:2]}: "
                    f"give one {name} entry per {other} entry."
                )


def transformer_checks(
    spec, prefix: str = "", segments: bool = True, positions: bool = False, padding: bool = False
) -> InputChecks:
    """The checks of a model built by :func:`kexue.models.transformer.build_transformer`.

    >>> from kexue.models.spec import TransformerSpec
    >>> spec = TransformerSpec(vocab_size=50, hidden_size=16, num_layers=1, num_heads=2,
    ...                        intermediate_size=32, max_position=64)
    >>> transformer_checks(spec).max_length
    {'token_ids': 64, 'segment_ids': 64}
    """
    tokens, segment = f"{prefix}token_ids", f"{prefix}segment_ids"
    ids = {tokens: (spec.vocab_size, "vocab_size")}
    aligned = {}
    if segments:
        ids[segment] = (spec.segment_vocab_size, "segment_vocab_size")
        aligned[segment] = tokens
    if positions and spec.position_type == "learned":  # each id indexes the position table
        ids[f"{prefix}position_ids"] = (spec.max_position, "max_position")
        aligned[f"{prefix}position_ids"] = tokens
    if padding:  # padding_input: 1 = real token, 0 = padding
        ids[f"{prefix}padding_mask"] = (2, "the number of padding_mask values")
        aligned[f"{prefix}padding_mask"] = tokens
    max_length = {}
    if spec.position_type == "learned":
        max_length = {name: spec.max_position for name in ids}
    return InputChecks(ids, max_length, aligned)


def seq2seq_checks(spec, prefix: str = "") -> InputChecks:
    """The checks of the three views of an encoder-decoder (:mod:`kexue.models.seq2seq`)."""
    p = prefix
    names = ("encoder_token_ids", "decoder_token_ids", "target_token_ids")
    ids = {f"{p}{name}": (spec.vocab_size, "vocab_size") for name in names}
    return InputChecks(ids)
