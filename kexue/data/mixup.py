"""Mixup and SamplePairing (the post 从SamplePairing到mixup：神奇的正则项, 5693).

Both train on blends of two training examples:

- **mixup** (Zhang et al. 2018): ``x = λ x_a + (1 − λ) x_b`` and ``y = λ y_a + (1 − λ) y_b``
  with ``λ ~ Beta(α, α)``; the labels are blended too, so each label row still sums to 1.
- **SamplePairing** (Inoue 2018): ``x = (x_a + x_b) / 2`` keeps the label of ``x_a`` alone.

The post reads both as regularisers: they ask the model to behave linearly between examples,
which narrows the gap between training and validation accuracy. :func:`mixup` and
:func:`sample_pairing` transform one batch; :class:`MixupDataset` is a
``keras.utils.PyDataset`` over arrays that mixes each batch with partners drawn from the whole
training set. Batch ``i`` of epoch ``e`` depends only on ``(seed, e, i)``, so a run is
reproducible whatever order Keras asks for the batches in.

Example:
    >>> import numpy as np
    >>> from kexue.data.mixup import mixup
    >>> x, y = np.eye(4, dtype="float32"), np.eye(4, dtype="float32")
    >>> xm, ym = mixup(x, y, alpha=0.4, seed=0)
    >>> bool(np.allclose(ym.sum(axis=1), 1.0)), bool(np.allclose(xm, ym))
    (True, True)
"""

from __future__ import annotations

import keras
import numpy as np

__all__ = ["MixupDataset", "mixup", "sample_pairing"]

METHODS = ("mixup", "sample_pairing")


def _rng(seed) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def _label_rows(y, num_classes: int | None) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1 and num_classes not in (None, 1)):
        if num_classes is None:
            raise ValueError("integer labels need num_classes= to be mixed (mixup blends one-hot rows).")
        return np.eye(num_classes, dtype="float32")[y.reshape(-1).astype("int64")]
    if not np.allclose(y.sum(axis=-1), 1.0, atol=1e-4):
        raise ValueError("label rows must be one-hot or probabilities summing to 1; "
                         "pass integer labels with num_classes= instead.")
    return y.astype("float32")


def mixup(x, y, alpha: float = 0.2, seed=None, partners=None, num_classes: int | None = None):
    """Blend each example with a partner: ``λ x + (1 − λ) x_partner`` and the same for the
    label rows, ``λ ~ Beta(alpha, alpha)`` per example.

    ``partners`` ``(x_b, y_b)`` are the examples to blend with (default: the batch itself in a
    random order); ``y`` is one-hot rows, or integer labels with ``num_classes``. ``seed`` is an
    int or a ``numpy.random.Generator``. Returns float32 ``(x_mixed, y_mixed)``.
    """
    if alpha <= 0:
        raise ValueError(f"alpha must be > 0 (the Beta(alpha, alpha) parameter), got {alpha}.")
    rng = _rng(seed)
    x = np.asarray(x, dtype="float32")
    y = _label_rows(y, num_classes)
    x_b, y_b = _partners(x, y, partners, rng, num_classes)
    lam = rng.beta(alpha, alpha, size=len(x)).astype("float32")
    shape = (-1,) + (1,) * (x.ndim - 1)
    return lam.reshape(shape) * x + (1 - lam.reshape(shape)) * x_b, lam[:, None] * y + (1 - lam[:, None]) * y_b


def sample_pairing(x, y, seed=None, partners=None, num_classes: int | None = None):
    """Average each example with a partner, ``(x + x_partner) / 2``, keeping ``y`` unchanged
    (the label of the first example; labels pass through as given)."""
    rng = _rng(seed)
    x = np.asarray(x, dtype="float32")
    x_b, _ = _partners(x, None, partners, rng, num_classes)
    return 0.5 * (x + x_b), np.asarray(y)


def _partners(x, y, partners, rng, num_classes):
    if partners is None:
        order = rng.permutation(len(x))
        return x[order], None if y is None else y[order]
    x_b = np.asarray(partners[0], dtype="float32")
    if x_b.shape != x.shape:
        raise ValueError(f"partners must match the batch: x {x.shape} vs partners {x_b.shape}.")
    return x_b, None if y is None else _label_rows(partners[1], num_classes)


class MixupDataset(keras.utils.PyDataset):
    """Batches of ``(x, y)`` for ``model.fit``, each example blended with a random partner
    from the whole training set.

    Args:
        x, y: training arrays; ``y`` is integer labels (give ``num_classes``) or one-hot rows.
            Targets come out as one-hot rows (mixed for mixup), so compile with
            ``categorical_crossentropy``.
        batch_size: examples per batch.
        method: ``"mixup"`` or ``"sample_pairing"``.
        alpha: mixup's ``Beta(alpha, alpha)`` parameter.
        probability: fraction of examples blended (the others pass through unchanged).
        num_classes: number of classes for integer labels.
        seed: makes every batch reproducible: batch ``i`` of epoch ``e`` depends only on
            ``(seed, e, i)``.
        shuffle: visit the examples in a new order each epoch.
        **kwargs: ``workers``, ``use_multiprocessing``, ``max_queue_size`` of ``PyDataset``.
    """

    def __init__(self, x, y, batch_size: int = 32, method: str = "mixup", alpha: float = 0.2,
                 probability: float = 1.0, num_classes: int | None = None, seed: int = 0,
                 shuffle: bool = True, **kwargs):
        super().__init__(**kwargs)
        if method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {method!r}.")
        if not 0.0 <= probability <= 1.0:
            raise ValueError(f"probability must be in [0, 1], got {probability}.")
        if int(batch_size) != batch_size or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}.")
        self.x = np.asarray(x, dtype="float32")
        self.y = _label_rows(y, num_classes)
        if len(self.x) != len(self.y):
            raise ValueError(f"x and y differ in length: {len(self.x)} vs {len(self.y)}.")
        self.batch_size, self.method, self.alpha = int(batch_size), method, float(alpha)
        self.probability, self.seed, self.shuffle = float(probability), int(seed), bool(shuffle)
        self.epoch = 0

    def __len__(self) -> int:
        return -(-len(self.x) // self.batch_size)

    def __getitem__(self, index: int):
        if not 0 <= index < len(self):
            raise IndexError(f"batch {index} out of range (the dataset has {len(self)} batches).")
        order = np.arange(len(self.x))
        if self.shuffle:
            order = np.random.default_rng([self.seed, self.epoch]).permutation(len(self.x))
        rows = order[index * self.batch_size : (index + 1) * self.batch_size]
        rng = np.random.default_rng([self.seed, self.epoch, index, 1])
        partners = rng.integers(0, len(self.x), size=len(rows))
        x, y = self.x[rows], self.y[rows]
        partner_batch = (self.x[partners], self.y[partners])
        if self.method == "mixup":
            mixed_x, mixed_y = mixup(x, y, self.alpha, rng, partners=partner_batch)
        else:
            mixed_x, mixed_y = sample_pairing(x, y, rng, partners=partner_batch)
        keep = rng.uniform(size=len(rows)) >= self.probability
        mixed_x[keep], mixed_y[keep] = x[keep], y[keep]
        return mixed_x, mixed_y

    def on_epoch_end(self):
        self.epoch += 1
