"""In-graph Viterbi decoding for linear-chain layers (CRF, MEMM): the best label path of every
sequence of a padded batch, with ``keras.ops`` only, so it runs inside a compiled model on
every backend. ``kexue.decoding.viterbi`` re-exports it beside the NumPy ``ViterbiDecoder``.

A path y₁…yₙ scores Σₜ nodes[t, yₜ] + Σₜ trans[yₜ₋₁, yₜ].

Example:
    >>> import keras, numpy as np
    >>> from kexue.layers.viterbi import viterbi_decode
    >>> tags, _ = viterbi_decode(np.zeros((1, 2, 3), "float32"), np.eye(3, dtype="float32"))
    >>> keras.ops.convert_to_numpy(tags).tolist()
    [[0, 0]]
"""

from __future__ import annotations

from keras import ops

from kexue.backend import Tensor

__all__ = ["viterbi_decode"]


def viterbi_decode(
    potentials: Tensor, trans: Tensor, mask: Tensor | None = None
) -> Tensor:
    """Batched in-graph Viterbi: best label path for every sequence of a padded batch.

    Positions where ``mask`` is false are skipped (transitions join consecutive valid positions,
    so left, right or interior padding all work) and get label 0 in the output.

    Args:
        potentials: (batch, length, num_labels) unary scores.
        trans: (num_labels, num_labels) transition scores.
        mask: optional (batch, length) booleans or 0/1, true at real tokens. ``None``: all real.

    Returns:
        ``(tags, scores)``: int32 (batch, length) best paths and (batch,) their scores
        (0 for a sequence with no valid position).

    Example:
        >>> import keras, numpy as np
        >>> trans = np.array([[0.0, -5.0], [0.0, 0.0]], "float32")
        >>> nodes = np.array([[[1.0, 0.0], [0.0, 0.5], [0.0, 0.2]]], "float32")
        >>> tags, score = viterbi_decode(nodes, trans, mask=np.array([[1, 1, 0]]))
        >>> keras.ops.convert_to_numpy(tags).tolist()
        [[0, 0, 0]]
        >>> float(keras.ops.convert_to_numpy(score)[0])
        1.0
    """
    potentials = ops.convert_to_tensor(potentials)
    if len(potentials.shape) != 3:
        raise ValueError(
            "`potentials` must have shape (batch, length, num_labels); "
            f"got {tuple(potentials.shape)}."
        )
    dtype = potentials.dtype if "float" in str(potentials.dtype) else "float32"
    potentials = ops.cast(potentials, dtype)
    trans = ops.cast(ops.convert_to_tensor(trans), dtype)
    num_labels = potentials.shape[-1]
    if tuple(trans.shape) != (num_labels, num_labels):
        raise ValueError(
            f"`trans` must have shape ({num_labels}, {num_labels}) to match the potentials; "
            f"got {tuple(trans.shape)}."
        )
    if mask is None:
        mask = ops.ones(ops.shape(potentials)[:2], dtype="bool")
    else:
        mask = ops.cast(ops.convert_to_tensor(mask), "bool")
    # Masked positions may hold -inf; neutralise them so no inf - inf appears.
    potentials = ops.where(mask[..., None], potentials, ops.zeros_like(potentials))
    identity = ops.arange(num_labels, dtype="int32")[None, :] + ops.zeros_like(
        ops.cast(potentials[:, 0], "int32")
    )

    def forward(carry, inputs):
        score, started = carry
        node, valid = inputs
        candidates = score[:, :, None] + trans[None]  # (batch, previous, current)
        best_previous = ops.cast(ops.argmax(candidates, axis=1), "int32")
        extended = ops.max(candidates, axis=1) + node
        new_score = ops.where(started[:, None], extended, node)
        new_score = ops.where(valid[:, None], new_score, score)
        pointer = ops.where((valid & started)[:, None], best_previous, identity)
        return (new_score, started | valid), pointer

    init = (ops.zeros_like(potentials[:, 0]), ops.zeros_like(mask[:, 0]))
    time_major = (ops.transpose(potentials, (1, 0, 2)), ops.transpose(mask, (1, 0)))
    (score, started), pointers = ops.scan(forward, init, time_major)
    last = ops.cast(ops.argmax(score, axis=-1), "int32")

    def backward(label, pointer):
        previous = ops.squeeze(ops.take_along_axis(pointer, label[:, None], axis=1), 1)
        return previous, label

    # pointers[t] maps the label at t to the label at t - 1; walk them from the end.
    _, tags = ops.scan(backward, last, pointers, reverse=True)
    tags = ops.transpose(tags, (1, 0))
    tags = ops.where(mask, tags, ops.zeros_like(tags))
    best = ops.where(started, ops.max(score, axis=-1), ops.zeros_like(score[:, 0]))
    return tags, best
