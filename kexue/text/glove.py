"""Simpler GloVe: one vector per word, ``⟨vᵢ, vⱼ⟩`` fits the PMI of the pair.

GloVe fits ``⟨vᵢ, ṽⱼ⟩ + bᵢ + b̃ⱼ ≈ log Xᵢⱼ``. Writing the co-occurrence model as
``P(i, j) = P(i) P(j) exp⟨vᵢ, vⱼ⟩`` instead removes the biases and the second
vector set: the target is ``PMI(i, j) = log Xᵢⱼ N / (Xᵢ Xⱼ)``, the loss is
GloVe's weighted square error with ``f(X) = min(1, (X / x_max)^α)``. Inner
products are then directly log-odds of co-occurrence, which is what makes
similarity, analogy and keyword extraction simple.

Training is a Keras model (``keras.ops`` only), so it runs on every backend.
"""

from __future__ import annotations

from collections.abc import Iterable

import keras
import numpy as np
from keras import ops

from kexue.text.cooccurrence import Cooccurrence, cooccurrence
from kexue.text.vectors import WordVectors


@keras.saving.register_keras_serializable(package="kexue")
class PairInnerProduct(keras.layers.Layer):
    """``⟨v_i, v_j⟩`` for id pairs ``(batch, 2)`` with one shared embedding table.

    Example:
        >>> layer = PairInnerProduct(input_dim=5, output_dim=3)
        >>> tuple(layer(np.array([[0, 1], [2, 2]])).shape)
        (2,)
    """

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        initializer: str = "glorot_uniform",
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        if input_dim < 1 or output_dim < 1:
            raise ValueError(
                f"input_dim and output_dim must be positive, got {input_dim}, {output_dim}"
            )
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        self.initializer = initializer

    def build(self, input_shape) -> None:
        self.embeddings = self.add_weight(
            name="embeddings",
            shape=(self.input_dim, self.output_dim),
            initializer=self.initializer,
        )

    def call(self, pairs):
        pairs = ops.cast(pairs, "int32")
        left = ops.take(self.embeddings, pairs[:, 0], axis=0)
        right = ops.take(self.embeddings, pairs[:, 1], axis=0)
        return ops.sum(left * right, axis=-1)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "initializer": self.initializer,
        }


def glove_weights(
    counts: np.ndarray, x_max: float = 100.0, alpha: float = 0.75
) -> np.ndarray:
    """GloVe's weighting ``min(1, (X / x_max)^α)``.

    Example:
        >>> glove_weights(np.array([1.0, 100.0, 1e4])).round(4).tolist()
        [0.0316, 1.0, 1.0]
    """
    return np.minimum(1.0, (np.asarray(counts, dtype=np.float64) / x_max) ** alpha)


class SimplerGloVe:
    """Fit word vectors whose inner products are PMIs.

    Example:
        >>> sentences = [["猫", "吃", "鱼"], ["狗", "吃", "肉"], ["猫", "喝", "奶"]] * 20
        >>> glove = SimplerGloVe(dim=4, epochs=3, seed=1).fit(sentences, window=2)
        >>> glove.vectors.vectors.shape
        (7, 4)
    """

    def __init__(
        self,
        dim: int = 64,
        x_max: float = 100.0,
        alpha: float = 0.75,
        learning_rate: float = 0.02,
        epochs: int = 30,
        batch_size: int = 1024,
        seed: int = 0,
    ) -> None:
        if dim < 1:
            raise ValueError(f"dim must be positive, got {dim}")
        self.dim, self.x_max, self.alpha = dim, x_max, alpha
        self.learning_rate, self.epochs, self.batch_size, self.seed = (
            learning_rate,
            epochs,
            batch_size,
            seed,
        )
        self.model: keras.Model | None = None
        self.vectors: WordVectors | None = None
        self.history: list[float] = []

    def build(self, vocab_size: int) -> keras.Model:
        keras.utils.set_random_seed(self.seed)
        pairs = keras.Input(shape=(2,), dtype="int32", name="pairs")
        product = PairInnerProduct(vocab_size, self.dim, name="pair_inner_product")(
            pairs
        )
        model = keras.Model(pairs, product, name="simpler_glove")
        model.compile(optimizer=keras.optimizers.Adam(self.learning_rate), loss="mse")
        return model

    def fit(
        self,
        sentences: Iterable[list[str]] | None = None,
        window: int = 5,
        vocab_size: int | None = None,
        min_count: int = 1,
        cooc: tuple[list[str], Cooccurrence] | None = None,
        verbose: int = 0,
    ) -> SimplerGloVe:
        """Count co-occurrences of ``sentences`` (or take ``cooc=(vocab, counts)``) and fit."""
        if cooc is None:
            if sentences is None:
                raise ValueError("pass sentences or cooc=(vocab, Cooccurrence)")
            cooc = cooccurrence(
                sentences, window=window, vocab_size=vocab_size, min_count=min_count
            )
        vocab, counts = cooc
        target = counts.pmi().astype("float32")
        weights = glove_weights(counts.counts, self.x_max, self.alpha).astype("float32")
        self.model = self.build(len(vocab))
        history = self.model.fit(
            counts.pairs.astype("int32"),
            target,
            sample_weight=weights,
            batch_size=self.batch_size,
            epochs=self.epochs,
            shuffle=True,
            verbose=verbose,
        )
        self.history = [float(v) for v in history.history["loss"]]
        table = keras.ops.convert_to_numpy(
            self.model.get_layer("pair_inner_product").embeddings
        )
        self.vectors = WordVectors(vocab, table)
        return self
