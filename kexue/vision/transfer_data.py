"""A small transfer-learning setting from scikit-learn's 8×8 digits (no download), for the
fine-tuning recipe of the post 4611.

The post fine-tuned an ImageNet model on 18,000 dog photos of 100 breeds. Offline and on a
CPU, the same situation is played in miniature: a backbone is pretrained on the digits 0–4
(the "ImageNet" here) and fine-tuned on the digits 5–9 (the new task, relabelled 0–4) from a
few labelled images per class, with the rest of 5–9's training images as an unlabelled pool
for pseudo-labelling.

Example:
    >>> from kexue.vision.transfer_data import digits_transfer_split
    >>> split = digits_transfer_split(labelled_per_class=10, seed=0)
    >>> split.x_labelled.shape, sorted(set(split.y_labelled.tolist()))
    ((50, 8, 8, 1), [0, 1, 2, 3, 4])
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np


@dataclass
class TransferSplit:
    """Source images and labels (digits 0–4), and the target task (digits 5–9 as 0–4):
    a few labelled images, an unlabelled pool (with its hidden labels, for scoring the pseudo
    labels only) and a test set."""

    x_source: np.ndarray
    y_source: np.ndarray
    x_labelled: np.ndarray
    y_labelled: np.ndarray
    x_unlabelled: np.ndarray
    y_unlabelled_hidden: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def digits_transfer_split(labelled_per_class: int = 10, test_fraction: float = 0.3,
                          seed: int = 0) -> TransferSplit:
    """Split the 1,797 digits as described in the module docstring (images in [0, 1],
    ``(N, 8, 8, 1)``)."""
    from kexue.generative.data import digits

    x, y = digits()
    rng = np.random.default_rng(seed)
    source = y < 5
    target = np.flatnonzero(~source)[rng.permutation(int((~source).sum()))]
    n_test = int(round(len(target) * test_fraction))
    test, train = target[:n_test], target[n_test:]
    labelled = np.concatenate([train[y[train] == c][:labelled_per_class] for c in range(5, 10)])
    if len(labelled) < 5 * labelled_per_class:
        raise ValueError(f"labelled_per_class={labelled_per_class} is more than the digits hold.")
    pool = np.setdiff1d(train, labelled)
    return TransferSplit(x[source], y[source], x[labelled], y[labelled] - 5, x[pool], y[pool] - 5,
                         x[test], y[test] - 5)


def small_backbone(width: int = 32, name: str = "backbone") -> keras.Model:
    """A two-block convolutional backbone for 8×8 images -> ``4·4·2·width`` features (the
    last feature map flattened: at this size global pooling throws away where the strokes
    are). Blocks are named ``block1`` and ``block2`` (for staged unfreezing)."""
    image = keras.Input((8, 8, 1))
    conv = dict(kernel_size=3, padding="same", activation="relu")
    h = keras.layers.Conv2D(width, name="block1_conv1", **conv)(image)
    h = keras.layers.Conv2D(width, name="block1_conv2", **conv)(h)
    h = keras.layers.MaxPooling2D(2, name="block1_pool")(h)
    h = keras.layers.Conv2D(2 * width, name="block2_conv1", **conv)(h)
    h = keras.layers.Conv2D(2 * width, name="block2_conv2", **conv)(h)
    return keras.Model(image, keras.layers.Flatten(name="features")(h), name=name)


def pretrain_backbone(x, y, width: int = 32, epochs: int = 30, seed: int = 0) -> keras.Model:
    """Train :func:`small_backbone` with a softmax head on ``(x, y)`` (the source task) and
    return the backbone alone."""
    keras.utils.set_random_seed(seed)
    backbone = small_backbone(width)
    classes = int(np.max(y)) + 1
    model = keras.Sequential([backbone, keras.layers.Dense(classes, activation="softmax")])
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=64, epochs=epochs, verbose=0)
    return backbone
