"""Noise-contrastive estimation (NCE) and negative sampling.

NCE learns an unnormalised model ``s(x) ≈ log p(x)`` by telling data samples
from ``k`` samples per datum of a known noise distribution ``q``: the
posterior that ``x`` is data is ``σ(s(x) - log(k q(x)))``, and the loss is the
logistic loss of that classifier. At the optimum ``s = log p`` exactly, with
no partition function (the model normalises itself). Negative sampling is the
same classifier without the ``log(k q(x))`` correction; it learns
``s(x) = log(p(x) / (k q(x)))`` — a PMI-like score, not a log-probability.

All losses are ``keras.ops`` and work on every backend.
"""

from __future__ import annotations

import math

import keras
import numpy as np
from keras import ops


def nce_loss(
    data_scores, noise_scores, data_log_noise, noise_log_noise, k: int | None = None
):
    """Per-example NCE loss.

    Args:
        data_scores: ``s(x)`` of the data samples, shape ``(batch,)``.
        noise_scores: ``s(y)`` of the noise samples, shape ``(batch, k)``.
        data_log_noise, noise_log_noise: ``log q`` of the same samples.
        k: noise samples per datum (default: ``noise_scores.shape[-1]``).

    Example:
        >>> # s = 0 and q = 1/2 with k = 1: log(1 + 1/2) + log(1 + 2) = log 4.5
        >>> loss = nce_loss(np.zeros(1), np.zeros((1, 1)), np.log([0.5]), np.log([[0.5]]))
        >>> round(float(loss[0]), 5) == round(math.log(4.5), 5)
        True
    """
    k = int(noise_scores.shape[-1]) if k is None else int(k)
    if k < 1:
        raise ValueError(f"NCE needs at least one noise sample per datum, got k={k}")
    log_k = math.log(k)
    data_logit = ops.cast(data_scores, "float32") - (
        log_k + ops.cast(data_log_noise, "float32")
    )
    noise_logit = ops.cast(noise_scores, "float32") - (
        log_k + ops.cast(noise_log_noise, "float32")
    )
    return ops.softplus(-data_logit) + ops.sum(ops.softplus(noise_logit), axis=-1)


def negative_sampling_loss(positive_scores, negative_scores):
    """Per-example negative-sampling loss ``-log σ(s⁺) - Σ log σ(-s⁻)``.

    Example:
        >>> round(float(negative_sampling_loss(np.zeros(1), np.zeros((1, 2)))[0]), 5) == round(3 * math.log(2), 5)
        True
    """
    positive = ops.cast(positive_scores, "float32")
    negative = ops.cast(negative_scores, "float32")
    return ops.softplus(-positive) + ops.sum(ops.softplus(negative), axis=-1)


@keras.saving.register_keras_serializable(package="kexue")
class CategoricalNCE(keras.layers.Layer):
    """A table of scores ``s(c)`` over ``num_classes`` outcomes trained by NCE.

    Called on ``{"data": (batch,), "noise": (batch, k)}`` integer ids it returns
    the per-example NCE loss; ``log_probabilities()`` reads the learned table.

    Example:
        >>> layer = CategoricalNCE(num_classes=3, noise_probabilities=[0.2, 0.3, 0.5])
        >>> tuple(layer({"data": np.array([0, 2]), "noise": np.array([[1, 2], [0, 0]])}).shape)
        (2,)
    """

    def __init__(self, num_classes: int, noise_probabilities, **kwargs) -> None:
        super().__init__(**kwargs)
        q = np.asarray(noise_probabilities, dtype=np.float64)
        if q.shape != (num_classes,) or (q <= 0).any() or not np.isclose(q.sum(), 1.0):
            raise ValueError(
                f"noise_probabilities must be {num_classes} positive numbers summing to 1"
            )
        self.num_classes = int(num_classes)
        self.noise_probabilities = q.tolist()
        self.log_noise = np.log(q).astype("float32")

    def build(self, input_shape) -> None:
        # start from the uniform distribution, log(1 / num_classes)
        start = keras.initializers.Constant(-math.log(self.num_classes))
        self.scores = self.add_weight(
            name="scores", shape=(self.num_classes,), initializer=start
        )

    def call(self, inputs):
        data = ops.cast(inputs["data"], "int32")
        noise = ops.cast(inputs["noise"], "int32")
        log_noise = ops.convert_to_tensor(self.log_noise)
        return nce_loss(
            ops.take(self.scores, data),
            ops.take(self.scores, noise),
            ops.take(log_noise, data),
            ops.take(log_noise, noise),
        )

    def log_probabilities(self) -> np.ndarray:
        """The learned scores (≈ log-probabilities at the NCE optimum)."""
        return keras.ops.convert_to_numpy(self.scores).astype(np.float64)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "num_classes": self.num_classes,
            "noise_probabilities": self.noise_probabilities,
        }


def _mean_of_prediction(y_true, y_pred):
    return y_pred


def fit_categorical_nce(
    samples: np.ndarray,
    num_classes: int,
    noise_probabilities=None,
    k: int = 10,
    epochs: int = 20,
    batch_size: int | None = None,
    learning_rate: float = 0.1,
    seed: int = 0,
) -> np.ndarray:
    """Estimate the log-probabilities of a categorical distribution from ``samples`` by NCE.

    Noise is drawn from ``noise_probabilities`` (uniform by default), afresh
    every epoch; the default batch size gives about 50 steps per epoch; the learning rate follows a cosine decay to zero so the
    final table is the optimum rather than a noisy iterate. Returns the learned
    ``s(c) ≈ log p(c)`` (not renormalised: NCE normalises itself).

    Example:
        >>> rng = np.random.default_rng(0)
        >>> p = np.array([0.5, 0.3, 0.2])
        >>> s = fit_categorical_nce(rng.choice(3, 10000, p=p), 3, epochs=3)
        >>> bool(np.abs(s - np.log(p)).max() < 0.1)
        True
    """
    samples = np.asarray(samples)
    if (
        samples.ndim != 1
        or samples.size == 0
        or samples.min() < 0
        or samples.max() >= num_classes
    ):
        raise ValueError(
            f"samples must be a non-empty 1-d array of ids in [0, {num_classes})"
        )
    q = (
        np.full(num_classes, 1.0 / num_classes)
        if noise_probabilities is None
        else np.asarray(noise_probabilities, dtype=np.float64)
    )
    if batch_size is None:  # about 50 steps per epoch
        batch_size = int(np.clip(samples.size // 50, 64, 4096))
    rng = np.random.default_rng(seed)
    keras.utils.set_random_seed(seed)
    data_in = keras.Input(shape=(), dtype="int32", name="data")
    noise_in = keras.Input(shape=(k,), dtype="int32", name="noise")
    layer = CategoricalNCE(num_classes, q, name="categorical_nce")
    model = keras.Model(
        {"data": data_in, "noise": noise_in},
        layer({"data": data_in, "noise": noise_in}),
    )
    steps = epochs * -(-samples.size // batch_size)
    schedule = keras.optimizers.schedules.CosineDecay(
        learning_rate, decay_steps=steps
    )  # anneal away SGD noise
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss=_mean_of_prediction)
    for _ in range(epochs):  # fresh noise every epoch
        noise = rng.choice(num_classes, size=(samples.size, k), p=q).astype("int32")
        model.fit(
            {"data": samples.astype("int32"), "noise": noise},
            np.zeros(samples.size, "float32"),
            batch_size=batch_size,
            epochs=1,
            shuffle=True,
            verbose=0,
        )
    return layer.log_probabilities()
