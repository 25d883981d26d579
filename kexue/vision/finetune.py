"""The fine-tuning recipe of the post on Baidu's dog-breed competition (科学空间 4611).

A pretrained convolutional backbone, then

- a **GLU head** (``a ⊙ σ(b)``, two dense maps of the backbone features) that compresses the
  features, followed by the softmax classifier;
- **center loss** on the GLU features (:class:`kexue.layers.CenterLoss`) and an **auxiliary
  softmax** straight on the backbone features, both acting as regularisers;
- **staged unfreezing**: (1) backbone frozen, head trained with Adam; (2) the last block(s)
  unfrozen; (3) most augmentation removed, training continues (the post used SGD for 2 and 3;
  :func:`default_stages` uses Adam, which did better on the small digits task, and
  ``optimizer="sgd"`` gives the post's choice);
- **augmentation** (random shifts and small rotations, new ones every epoch);
- one round of **pseudo-labelling**: unlabelled images the model is confident about are added
  with their predicted labels, and stage 3 runs again on the union.

:func:`finetune` runs it and reports the test accuracy after each stage. Backbone layers are
grouped by the ``blockN_`` prefix of their names, as in Keras' Xception and VGG and in
:func:`kexue.vision.transfer_data.small_backbone`.

Example:
    >>> import numpy as np
    >>> from kexue.vision.finetune import finetune_model
    >>> from kexue.vision.transfer_data import small_backbone
    >>> train, predict = finetune_model(small_backbone(8), num_classes=3, glu_units=8)
    >>> [tuple(o.shape) for o in train.outputs], tuple(predict.output.shape)
    ([(None, 3), (None, 3)], (None, 3))
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import keras
import numpy as np

from kexue.layers.margins import CenterLoss


def glu(features, units: int, name: str = "glu"):
    """Gated linear unit ``Dense(units)(x) ⊙ sigmoid(Dense(units)(x))``."""
    value = keras.layers.Dense(units, name=f"{name}_value")(features)
    gate = keras.layers.Dense(units, activation="sigmoid", name=f"{name}_gate")(features)
    return keras.layers.Multiply(name=name)([value, gate])


def finetune_model(backbone: keras.Model, num_classes: int, glu_units: int = 64,
                   center_weight: float = 0.01, dropout: float = 0.25):
    """The post's model around ``backbone`` (image -> feature vector).

    Returns ``(train_model, predict_model)``: ``train_model([images, labels])`` gives the main
    and auxiliary class probabilities and adds the center loss (it needs the labels);
    ``predict_model(images)`` is the main classifier alone (same weights).
    """
    image = keras.Input(backbone.input_shape[1:], name="image")
    label = keras.Input((), dtype="int32", name="label")
    features = backbone(image)
    gated = glu(features, glu_units)
    main = keras.layers.Dense(num_classes, activation="softmax", name="main")
    centred = CenterLoss(num_classes, weight=center_weight, name="center_loss")(gated, labels=label)
    train_outputs = [main(keras.layers.Dropout(dropout)(centred)),
                     keras.layers.Dense(num_classes, activation="softmax", name="aux")(features)]
    return keras.Model([image, label], train_outputs), keras.Model(image, main(gated))


def unfreeze_last_blocks(backbone: keras.Model, blocks: int) -> list[str]:
    """Make the layers of the last ``blocks`` ``blockN_`` groups trainable and freeze the rest
    (``blocks=0`` freezes the whole backbone). Returns the trainable block names."""
    numbers = sorted({int(m.group(1)) for layer in backbone.layers
                      if (m := re.match(r"block(\d+)_", layer.name))})
    if not numbers:
        raise ValueError(f"{backbone.name}: no layer names start with blockN_; name the layers "
                         "by block (as Keras applications do) to unfreeze them in stages.")
    keep = set(numbers[len(numbers) - blocks:]) if blocks > 0 else set()
    backbone.trainable = True
    for layer in backbone.layers:
        m = re.match(r"block(\d+)_", layer.name)
        layer.trainable = bool(m) and int(m.group(1)) in keep
    return [f"block{n}" for n in sorted(keep)]


def augment_images(x: np.ndarray, rng: np.random.Generator, max_shift: int = 1,
                   max_rotation: float = 10.0) -> np.ndarray:
    """Random integer shifts (zero fill) of up to ``max_shift`` pixels and rotations of up to
    ``max_rotation`` degrees, one draw per image; ``(N, H, W, C)`` float images."""
    from scipy.ndimage import rotate, shift

    out = np.empty_like(x)
    for i, image in enumerate(x):
        if max_rotation > 0:
            angle = rng.uniform(-max_rotation, max_rotation)
            image = rotate(image, angle, axes=(0, 1), reshape=False, order=1, mode="constant")
        if max_shift > 0:
            dy, dx = rng.integers(-max_shift, max_shift + 1, size=2)
            image = shift(image, (dy, dx, 0), order=0, mode="constant")
        out[i] = image
    return out


class AugmentedBatches(keras.utils.PyDataset):
    """``((images, labels), (labels, labels))`` batches for ``train_model``, freshly augmented
    each epoch; batch ``i`` of epoch ``e`` depends only on ``(seed, e, i)``."""

    def __init__(self, x, y, batch_size: int = 16, max_shift: int = 1, max_rotation: float = 10.0,
                 seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y = np.asarray(x, "float32"), np.asarray(y, "int32")
        self.batch_size, self.max_shift, self.max_rotation = batch_size, max_shift, max_rotation
        self.seed, self.epoch = seed, 0

    def __len__(self) -> int:
        return -(-len(self.x) // self.batch_size)

    def __getitem__(self, index: int):
        order = np.random.default_rng([self.seed, self.epoch]).permutation(len(self.x))
        rows = order[index * self.batch_size : (index + 1) * self.batch_size]
        rng = np.random.default_rng([self.seed, self.epoch, index])
        images = augment_images(self.x[rows], rng, self.max_shift, self.max_rotation)
        return (images, self.y[rows]), (self.y[rows], self.y[rows])

    def on_epoch_end(self):
        self.epoch += 1


def pseudo_labels(predict_model: keras.Model, x, threshold: float = 0.95):
    """Images of ``x`` whose top predicted probability is at least ``threshold``:
    ``(images, predicted labels, indices into x)``."""
    probs = predict_model.predict(x, batch_size=256, verbose=0)
    chosen = np.flatnonzero(probs.max(axis=1) >= threshold)
    return np.asarray(x)[chosen], probs[chosen].argmax(axis=1).astype("int32"), chosen


@dataclass
class Stage:
    """One training stage: epochs, optimiser, how many backbone blocks train, augmentation."""

    name: str
    epochs: int
    optimizer: str = "sgd"
    learning_rate: float = 0.01
    blocks: int = 0
    max_shift: int = 1
    max_rotation: float = 10.0

    def __post_init__(self):
        if self.optimizer not in ("adam", "sgd"):
            raise ValueError(f"stage {self.name!r}: optimizer must be 'adam' or 'sgd', got {self.optimizer!r}.")
        if self.epochs < 1 or self.blocks < 0:
            raise ValueError(f"stage {self.name!r}: epochs must be >= 1 and blocks >= 0.")


@dataclass
class FinetuneResult:
    """The trained classifier and the test accuracy after each stage (``None`` without test data)."""

    predict_model: keras.Model
    accuracy: dict = field(default_factory=dict)
    pseudo_indices: np.ndarray | None = None  # rows of x_unlabelled that were added
    pseudo_labels: np.ndarray | None = None  # the labels they were given


def default_stages(epochs: tuple[int, int, int] = (60, 40, 20), blocks: int = 2,
                   optimizer: str = "adam") -> list[Stage]:
    """The post's three stages: head only, the last ``blocks`` blocks unfrozen, then the same
    with shifts only (most augmentation removed). The post switched to SGD for stages 2 and 3;
    on the small digits task Adam at 1e-3 then 3e-4 did better (``optimizer="sgd"`` gives
    SGD with momentum 0.9 at 0.01 then 0.003)."""
    rates = (1e-3, 3e-4) if optimizer == "adam" else (0.01, 0.003)
    return [Stage("head", epochs[0], "adam", 3e-3, blocks=0),
            Stage("unfreeze", epochs[1], optimizer, rates[0], blocks=blocks),
            Stage("less augmentation", epochs[2], optimizer, rates[1], blocks=blocks, max_rotation=0.0)]


def finetune(backbone: keras.Model, x, y, num_classes: int, x_unlabelled=None, x_test=None,
             y_test=None, stages: list[Stage] | None = None, threshold: float = 0.95,
             aux_weight: float = 0.5, batch_size: int = 16, seed: int = 0, **model_kwargs) -> FinetuneResult:
    """Run the recipe on a pretrained ``backbone`` (trained in place) with labelled ``(x, y)``;
    with ``x_unlabelled``, one pseudo-labelling round repeats the last stage on the union."""
    keras.utils.set_random_seed(seed)
    train_model, predict_model = finetune_model(backbone, num_classes, **model_kwargs)
    result = FinetuneResult(predict_model)
    stages = list(stages or default_stages())

    def score(name):
        if x_test is not None:
            probs = predict_model.predict(x_test, batch_size=256, verbose=0)
            result.accuracy[name] = float((probs.argmax(1) == np.asarray(y_test)).mean())

    def run(stage, images, labels, offset):
        unfreeze_last_blocks(backbone, stage.blocks)
        optimizer = (keras.optimizers.Adam(stage.learning_rate) if stage.optimizer == "adam"
                     else keras.optimizers.SGD(stage.learning_rate, momentum=0.9))
        train_model.compile(optimizer, ["sparse_categorical_crossentropy"] * 2,
                            loss_weights=[1.0, aux_weight])
        batches = AugmentedBatches(images, labels, batch_size, stage.max_shift, stage.max_rotation,
                                   seed=seed + offset)
        train_model.fit(batches, epochs=stage.epochs, verbose=0)
        score(stage.name)

    for number, stage in enumerate(stages):
        run(stage, x, y, number)
    if x_unlabelled is not None:
        images, labels, result.pseudo_indices = pseudo_labels(predict_model, x_unlabelled, threshold)
        result.pseudo_labels = labels
        union = np.concatenate([np.asarray(x, "float32"), images]), np.concatenate([y, labels])
        run(Stage(**{**vars(stages[-1]), "name": "pseudo-labels"}), *union, len(stages))
    return result
