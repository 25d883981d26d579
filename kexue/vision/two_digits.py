"""The post's two-digit test of capsules (揭开迷雾，来一顿美味的Capsule盛宴, 4819).

Train a classifier on single digits only, then show it two different digits side by side and
ask for both: the two highest class scores must be the pair's two labels (order ignored). A
capsule head scores every class on its own (a capsule's length, trained with the margin loss),
and routing lets the capsules of both digits claim their own parts of the image; a CNN that
averages its feature map into one vector mixes the two digits into one code. The post reports
more than 90% for capsules against about 40% for CNN + pooling on MNIST pairs.

Here the images are scikit-learn's 8×8 digits (no download); both models share the same
fully convolutional trunk, so they accept the 8×16 pairs although they only saw 8×8 images.

Example:
    >>> import numpy as np
    >>> from kexue.vision.two_digits import two_digit_accuracy, two_digit_pairs
    >>> x = np.zeros((6, 8, 8, 1), "float32"); y = np.array([0, 1, 2, 0, 1, 2])
    >>> pairs, labels = two_digit_pairs(x, y, seed=0)
    >>> pairs.shape[1:], bool((labels[:, 0] < labels[:, 1]).all())
    ((8, 16, 1), True)
    >>> two_digit_accuracy(np.array([[0.9, 0.8, 0.1]]), np.array([[0, 1]]))
    1.0
"""

from __future__ import annotations

import keras
import numpy as np

from kexue.layers.capsule import Capsule, CapsuleLength
from kexue.losses.capsule import capsule_margin_loss

HEADS = ("capsule", "average", "max")


def two_digit_pairs(x: np.ndarray, y: np.ndarray, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Each image next to a randomly chosen other image (``(n, H, 2W, C)``), keeping only the
    pairs of different digits; labels ``(n, 2)`` sorted, since only the set counts."""
    x, y = np.asarray(x), np.asarray(y)
    partner = np.random.default_rng(seed).permutation(len(x))
    keep = y != y[partner]
    pairs = np.concatenate([x[keep], x[partner][keep]], axis=2)
    return pairs, np.sort(np.stack([y[keep], y[partner][keep]], axis=1), axis=1)


def two_digit_accuracy(scores, labels, threshold: float | None = None) -> float:
    """Fraction of pairs whose two highest scores are the two labels; with ``threshold``, both
    of those scores must also exceed it (the post's "with confidence" figure)."""
    scores, labels = np.asarray(scores), np.asarray(labels)
    top = np.sort(np.argsort(scores, axis=1)[:, -2:], axis=1)
    right = np.all(top == np.sort(labels, axis=1), axis=1)
    if threshold is not None:
        right &= np.sort(scores, axis=1)[:, -2] > threshold
    return float(right.mean())


def two_digit_model(head: str = "capsule", num_classes: int = 10, width: int = 64,
                    routings: int = 3, capsule_dim: int = 16) -> keras.Model:
    """Images of any size ``(batch, H, W, 1)`` -> class scores in [0, 1] ``(batch, classes)``.

    The trunk is the post's: two 3×3 convolutions, 2×2 average pooling, two more (``width``
    then ``2·width`` channels; "same" padding for 8×8 inputs). ``head``: ``"capsule"`` (every
    position of the feature map is an input capsule; ``Capsule`` with shared weights, scores are
    capsule lengths), ``"average"`` or ``"max"`` (global pooling, a ReLU layer and sigmoids:
    the post's CNN + pooling baseline and its max-pooling variant). Compile with
    :func:`kexue.losses.capsule_margin_loss` on one-hot labels.
    """
    if head not in HEADS:
        raise ValueError(f"head must be one of {HEADS}, got {head!r}.")
    conv = dict(kernel_size=3, padding="same", activation="relu")
    image = keras.Input((None, None, 1), name="image")
    h = keras.layers.Conv2D(width, **conv)(image)
    h = keras.layers.Conv2D(width, **conv)(h)
    h = keras.layers.AveragePooling2D(2)(h)
    h = keras.layers.Conv2D(2 * width, **conv)(h)
    h = keras.layers.Conv2D(2 * width, **conv)(h)
    if head == "capsule":
        capsules = keras.layers.Reshape((-1, 2 * width))(h)
        capsules = Capsule(num_classes, capsule_dim, routings=routings, name="capsules")(capsules)
        scores = CapsuleLength(name="scores")(capsules)
    else:
        pool = keras.layers.GlobalAveragePooling2D if head == "average" else keras.layers.GlobalMaxPooling2D
        h = keras.layers.Dense(2 * width, activation="relu")(pool()(h))
        scores = keras.layers.Dense(num_classes, activation="sigmoid", name="scores")(h)
    return keras.Model(image, scores, name=f"two_digits_{head}")


def train_and_test(head: str, x_train, y_train, x_test, y_test, epochs: int = 30,
                   batch_size: int = 64, seed: int = 0, width: int = 64) -> dict:
    """Train ``two_digit_model(head)`` on single digits with the margin loss and score it on
    single test digits and on the test pairs. Returns a dict of the figures."""
    keras.utils.set_random_seed(seed)
    model = two_digit_model(head, width=width)
    model.compile(keras.optimizers.Adam(1e-3), loss=capsule_margin_loss)
    model.fit(x_train, np.eye(10, dtype="float32")[y_train], batch_size=batch_size,
              epochs=epochs, verbose=0)
    single = model.predict(x_test, batch_size=256, verbose=0)
    pairs, labels = two_digit_pairs(x_test, y_test, seed=seed)
    scores = model.predict(pairs, batch_size=256, verbose=0)
    return {
        "head": head,
        "single_accuracy": float((single.argmax(1) == y_test).mean()),
        "pair_accuracy": two_digit_accuracy(scores, labels),
        "pair_accuracy_confident": two_digit_accuracy(scores, labels, threshold=0.5),
        "pairs": int(len(pairs)),
        "parameters": int(model.count_params()),
    }
