"""Vocabulary changes at load time: ``keep_tokens`` (keep and reorder rows) and
``compound_tokens`` (new rows, each the mean, or a weighted mean, of existing rows), applied
to the token embedding, the MLM output bias and an untied output layer (T5 v1.1), as
bert4keras does.

Example:
    >>> import numpy as np
    >>> from kexue.checkpoints.loader import Ref
    >>> from kexue.models.vocab import vocabulary_transform
    >>> m = vocabulary_transform({"token_embedding/embeddings": Ref("emb")}, "", [0, 2], [[0, 1]])
    >>> m["token_embedding/embeddings"].apply(np.arange(6.0).reshape(3, 2)).tolist()
    [[0.0, 1.0], [4.0, 5.0], [2.0, 3.0]]
    >>> m = vocabulary_transform({"token_embedding/embeddings": Ref("emb")}, "", None, [([0, 1], [3, 1])])
    >>> m["token_embedding/embeddings"].apply(np.arange(6.0).reshape(3, 2))[-1].tolist()
    [0.5, 1.5]
"""

from __future__ import annotations

import dataclasses

import numpy as np

from kexue.checkpoints.loader import Ref


def _resize(array: np.ndarray, keep_tokens, compound_tokens) -> np.ndarray:
    if keep_tokens is not None:
        keep = np.asarray(keep_tokens)
        if keep.size and (keep.min() < 0 or keep.max() >= array.shape[0]):
            raise ValueError(
                f"keep_tokens holds ids outside 0..{array.shape[0] - 1} of the checkpoint vocabulary."
            )
        array = array[keep]
    if compound_tokens:
        rows = []
        for item in compound_tokens:
            ids, weights = compound_parts(item)
            if ids.size == 0 or ids.min() < 0 or ids.max() >= array.shape[0]:
                raise ValueError(f"compound token {ids.tolist()} must list ids in 0..{array.shape[0] - 1}.")
            rows.append(np.average(array[ids], axis=0, weights=weights))
        array = np.concatenate([array, np.stack(rows).astype(array.dtype)], axis=0)
    return array


def compound_parts(item) -> tuple[np.ndarray, np.ndarray | None]:
    """``(ids, weights)`` of one compound token: a list of ids (equal weights) or, as in
    bert4keras, a tuple ``(ids, weights)``."""
    if isinstance(item, tuple) and len(item) == 2 and all(np.ndim(part) == 1 for part in item):
        ids, weights = np.asarray(item[0]), np.asarray(item[1], dtype="float64")
        if weights.shape != ids.shape:
            raise ValueError(f"compound token {item!r}: give one weight per id.")
        return ids, weights
    return np.asarray(item), None


def vocabulary_transform(weight_map: dict[str, Ref], prefix: str, keep_tokens, compound_tokens):
    """Return ``weight_map`` with the vocabulary-sized tensors resized."""
    if keep_tokens is None and not compound_tokens:
        return weight_map
    out = dict(weight_map)
    # vocabulary on the first axis, except an untied output layer's [hidden, vocab] kernel (T5)
    keys = {f"{prefix}token_embedding/embeddings": False, f"{prefix}mlm_bias/bias": False,
            f"{prefix}lm_head/kernel": True}
    for key, last_axis in keys.items():
        if key in out:
            ref = out[key]
            previous = ref.fn

            def fn(array, previous=previous, last_axis=last_axis):
                array = previous(array) if previous else array
                if last_axis:
                    return _resize(array.T, keep_tokens, compound_tokens).T
                return _resize(array, keep_tokens, compound_tokens)

            out[key] = dataclasses.replace(ref, fn=fn)
    return out
