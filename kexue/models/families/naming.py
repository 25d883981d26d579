"""Checkpoint naming conventions, so one family map serves Hugging Face and TF1 checkpoints.

A name is a tuple of components joined by the format's separator; kernels are transposed for
Hugging Face (``nn.Linear`` stores ``[out, in]``) and not for TensorFlow (``[in, out]``).

Example:
    >>> from kexue.models.families.naming import HF, TF1
    >>> HF.linear("layer_0/attention/query", ("encoder", "layer", "0", "attention", "self", "query"))
    ... # doctest: +ELLIPSIS
    {'layer_0/attention/query/kernel': Ref(name='encoder.layer.0.attention.self.query.weight', ...
"""

from __future__ import annotations

from dataclasses import dataclass

from kexue.checkpoints.loader import Ref


@dataclass(frozen=True)
class Naming:
    sep: str
    kernel: str
    bias: str
    gamma: str
    beta: str
    embedding: str
    transpose_kernels: bool

    def join(self, parts) -> str:
        return self.sep.join(parts)

    def linear(self, ours: str, parts, use_bias: bool = True) -> dict[str, Ref]:
        name = self.join(parts)
        out = {
            f"{ours}/kernel": Ref(
                f"{name}{self.sep}{self.kernel}", transpose=self.transpose_kernels
            )
        }
        if use_bias:
            out[f"{ours}/bias"] = Ref(f"{name}{self.sep}{self.bias}")
        return out

    def norm(self, ours: str, parts) -> dict[str, Ref]:
        name = self.join(parts)
        return {
            f"{ours}/gamma": Ref(f"{name}{self.sep}{self.gamma}"),
            f"{ours}/beta": Ref(f"{name}{self.sep}{self.beta}"),
        }

    def embedding_ref(self, parts, **slices) -> Ref:
        suffix = f"{self.sep}{self.embedding}" if self.embedding else ""
        return Ref(self.join(parts) + suffix, **slices)


HF = Naming(".", "weight", "bias", "weight", "bias", "weight", transpose_kernels=True)
TF1 = Naming("/", "kernel", "bias", "gamma", "beta", "", transpose_kernels=False)
NAMINGS = {"hf": HF, "tf1": TF1}


def canonical_hf_names(names, prefixes: tuple[str, ...]) -> dict[str, str]:
    """Map canonical names to the checkpoint's own: strip one model prefix (``bert.``,
    ``roberta.``, ...) where present, and rename old LayerNorm ``gamma``/``beta`` to
    ``weight``/``bias``. Returns ``{canonical: original}``."""
    names = list(names)
    mapping: dict[str, str] = {}
    for original in names:
        canonical = original
        for prefix in prefixes:
            if canonical.startswith(prefix):
                canonical = canonical[len(prefix) :]
                break
        if canonical.endswith(".gamma"):
            canonical = canonical[: -len("gamma")] + "weight"
        elif canonical.endswith(".beta"):
            canonical = canonical[: -len("beta")] + "bias"
        if canonical in mapping:
            raise ValueError(
                f"Checkpoint tensors {mapping[canonical]!r} and {original!r} both map to "
                f"{canonical!r}; the checkpoint mixes layouts."
            )
        mapping[canonical] = original
    return mapping


class RenamedSource:
    """A checkpoint source seen through canonical names."""

    def __init__(self, source, canonical_to_original: dict[str, str]):
        self.source = source
        self.format = source.format
        self._original = canonical_to_original
        self.shapes = {c: source.shapes[o] for c, o in canonical_to_original.items()}

    def read(self, name: str):
        return self.source.read(self._original[name])

    def original_name(self, name: str) -> str:
        """The checkpoint's own spelling of a canonical name (for error messages)."""
        return self._original.get(name, name)

    def __repr__(self) -> str:
        return repr(self.source)
