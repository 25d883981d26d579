"""Word vectors with cosine similarity, analogy and keyword helpers (NumPy).

Example:
    >>> import numpy as np
    >>> wv = WordVectors(["king", "queen", "man", "woman"], np.array([[1, 1], [1, -1], [0.1, 1], [0.1, -1]]))
    >>> wv.analogy("man", "king", "woman", topn=1)[0][0]
    'queen'
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class WordVectors:
    """A vocabulary and its vectors (one row per word)."""

    def __init__(self, vocab: Sequence[str], vectors: np.ndarray) -> None:
        vectors = np.asarray(vectors, dtype=np.float64)
        if vectors.ndim != 2 or len(vocab) != len(vectors):
            raise ValueError(
                f"need one vector per word: {len(vocab)} words, vectors of shape {vectors.shape}"
            )
        self.vocab = list(vocab)
        self.index = {w: i for i, w in enumerate(self.vocab)}
        if len(self.index) != len(self.vocab):
            raise ValueError("the vocabulary has repeated words")
        self.vectors = vectors
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        self.unit = vectors / np.where(norms > 0, norms, 1.0)

    def __contains__(self, word: str) -> bool:
        return word in self.index

    def _id(self, word: str) -> int:
        try:
            return self.index[word]
        except KeyError:
            raise KeyError(
                f"{word!r} is not in the vocabulary ({len(self.vocab)} words)"
            ) from None

    def vector(self, word: str) -> np.ndarray:
        """The vector of ``word``."""
        return self.vectors[self._id(word)]

    def similarity(self, a: str, b: str) -> float:
        """Cosine similarity of two words."""
        return float(self.unit[self._id(a)] @ self.unit[self._id(b)])

    def _nearest(
        self, query: np.ndarray, exclude: set[int], topn: int
    ) -> list[tuple[str, float]]:
        scores = self.unit @ (query / (np.linalg.norm(query) or 1.0))
        order = np.argsort(-scores)
        return [(self.vocab[i], float(scores[i])) for i in order if i not in exclude][
            :topn
        ]

    def most_similar(self, word: str, topn: int = 10) -> list[tuple[str, float]]:
        """The ``topn`` words of highest cosine similarity to ``word`` (itself excluded)."""
        i = self._id(word)
        return self._nearest(self.unit[i], {i}, topn)

    def analogy(self, a: str, b: str, c: str, topn: int = 5) -> list[tuple[str, float]]:
        """Words ``d`` with ``a : b = c : d``, ranked by cosine to ``b - a + c``."""
        ids = [self._id(w) for w in (a, b, c)]
        query = self.unit[ids[1]] - self.unit[ids[0]] + self.unit[ids[2]]
        return self._nearest(query, set(ids), topn)

    def keywords(self, words: Sequence[str], topn: int = 5) -> list[tuple[str, float]]:
        """Words of a text ranked by how well they predict the rest of it.

        Under the model ``log p(w'|w) = ⟨v_w, v_w'⟩ + log p(w')``, the word that
        makes the text most likely scores ``Σ_{w' in text} ⟨v_w, v_w'⟩``.
        Unknown words are ignored.
        """
        ids = [self.index[w] for w in words if w in self.index]
        if not ids:
            raise ValueError("none of the words is in the vocabulary")
        candidates = sorted(set(ids))
        scores = self.vectors[candidates] @ self.vectors[ids].sum(axis=0)
        order = np.argsort(-scores)
        return [(self.vocab[candidates[k]], float(scores[k])) for k in order[:topn]]
