"""Viterbi decoding for linear-chain models (CRF, MEMM): a NumPy decoder and an in-graph one.

`ViterbiDecoder` keeps bert4keras's interface (`ViterbiDecoder(trans, starts, ends).decode(nodes)`)
for decoding one sequence on the host. `viterbi_decode` does the same for a padded batch with
`keras.ops` only, so it runs inside a compiled model on every backend; it lives beside the CRF
layer in :mod:`kexue.layers.viterbi` and is re-exported here.

A path y₁…yₙ scores Σₜ nodes[t, yₜ] + Σₜ trans[yₜ₋₁, yₜ]; both return the highest-scoring path.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from keras import ops

from kexue.layers.viterbi import viterbi_decode
from kexue.masking import MASK_THRESHOLD

__all__ = ["ViterbiDecoder", "viterbi_decode"]


class ViterbiDecoder:
    """Highest-scoring label path of one sequence, in NumPy.

    Args:
        trans: (num_labels, num_labels) transition scores, ``trans[i, j]`` for label i → j
            (an array, or a backend tensor such as ``crf.trans``).
        starts: labels a path may start with (``None``: any).
        ends: labels a path may end with (``None``: any).

    Example:
        >>> import numpy as np
        >>> trans = np.array([[0.0, -5.0], [0.0, 0.0]])
        >>> nodes = np.array([[1.0, 0.0], [0.0, 0.5], [0.0, 0.2]])
        >>> ViterbiDecoder(trans).decode(nodes).tolist()
        [0, 0, 0]
        >>> ViterbiDecoder(trans, starts=[1]).decode(nodes).tolist()
        [1, 1, 1]
    """

    def __init__(
        self,
        trans: np.ndarray,
        starts: Sequence[int] | None = None,
        ends: Sequence[int] | None = None,
    ) -> None:
        if not isinstance(
            trans, np.ndarray | list | tuple
        ):  # a backend tensor or variable
            trans = ops.convert_to_numpy(trans)
        trans = np.asarray(trans, dtype=np.float64)
        if trans.ndim != 2 or trans.shape[0] != trans.shape[1]:
            raise ValueError(
                f"`trans` must be a square (num_labels, num_labels) matrix; got shape {trans.shape}."
            )
        self.trans = trans
        self.num_labels = trans.shape[0]
        self.starts = self._allowed(starts, "starts")
        self.ends = self._allowed(ends, "ends")

    def _allowed(self, labels: Sequence[int] | None, name: str) -> np.ndarray:
        """Additive (num_labels,) penalty: 0 where allowed, -inf elsewhere."""
        penalty = np.zeros(self.num_labels)
        if labels is None:
            return penalty
        labels = np.asarray(list(labels), dtype=np.int64)
        if labels.size == 0 or labels.min() < 0 or labels.max() >= self.num_labels:
            raise ValueError(
                f"`{name}` must be a non-empty list of labels in [0, {self.num_labels}); "
                f"got {labels.tolist()}."
            )
        penalty[:] = -np.inf
        penalty[labels] = 0.0
        return penalty

    def decode(self, nodes: np.ndarray) -> np.ndarray:
        """Best label path for ``nodes`` of shape (length, num_labels); returns int64 (length,).

        Trailing rows a CRF or MEMM layer marked as padding (every score below
        ``kexue.masking.MASK_THRESHOLD``, e.g. from inputs padded to a bucket length) are
        dropped: the path covers the real tokens only.
        """
        nodes = np.array(
            nodes, dtype=np.float64
        )  # a copy: the caller's array is left alone
        if nodes.ndim != 2 or nodes.shape[1] != self.num_labels:
            raise ValueError(
                f"`nodes` must have shape (length, {self.num_labels}); got {nodes.shape}."
            )
        real = np.flatnonzero((nodes > MASK_THRESHOLD).any(axis=1))
        nodes = nodes[: real[-1] + 1 if real.size else 0]
        length = nodes.shape[0]
        if length == 0:
            return np.zeros(0, dtype=np.int64)
        nodes[0] += self.starts
        nodes[-1] += self.ends
        score = nodes[0]
        backpointers = np.zeros((length, self.num_labels), dtype=np.int64)
        for t in range(1, length):
            candidates = score[:, None] + self.trans  # [previous, current]
            backpointers[t] = candidates.argmax(axis=0)
            score = candidates.max(axis=0) + nodes[t]
        path = np.zeros(length, dtype=np.int64)
        path[-1] = score.argmax()
        for t in range(length - 1, 0, -1):
            path[t - 1] = backpointers[t, path[t]]
        return path
