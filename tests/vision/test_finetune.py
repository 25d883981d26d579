"""Fine-tuning recipe pieces: GLU against NumPy, staged unfreezing by block, reproducible shift
augmentation, pseudo-label selection, shared weights of the train/predict models, and a tiny
end-to-end run of all stages."""

import keras
import numpy as np
import pytest

from kexue.vision.finetune import (
    Stage,
    augment_images,
    finetune,
    finetune_model,
    glu,
    pseudo_labels,
    unfreeze_last_blocks,
)
from kexue.vision.transfer_data import digits_transfer_split, small_backbone

rng = np.random.default_rng(0)


def test_glu_is_value_times_sigmoid_gate():
    inputs = keras.Input((3,))
    model = keras.Model(inputs, glu(inputs, 2))
    x = rng.normal(size=(4, 3)).astype("float32")
    (wv, bv), (wg, bg) = ([keras.ops.convert_to_numpy(w) for w in model.get_layer(n).weights]
                          for n in ("glu_value", "glu_gate"))
    want = (x @ wv + bv) / (1 + np.exp(-(x @ wg + bg)))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model(x)), want, rtol=1e-5, atol=1e-6)


def test_unfreeze_last_blocks():
    backbone = small_backbone(4)
    trainable = lambda: sum(int(np.prod(w.shape)) for w in backbone.trainable_weights)  # noqa: E731
    block2 = sum(int(np.prod(w.shape)) for layer in backbone.layers if layer.name.startswith("block2_")
                 for w in layer.weights)
    assert unfreeze_last_blocks(backbone, 0) == [] and trainable() == 0
    assert unfreeze_last_blocks(backbone, 1) == ["block2"] and trainable() == block2
    assert unfreeze_last_blocks(backbone, 5) == ["block1", "block2"]
    assert trainable() == sum(int(np.prod(w.shape)) for w in backbone.weights)
    plain = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="blockN_"):
        unfreeze_last_blocks(plain, 1)
    with pytest.raises(ValueError, match="optimizer must be"):
        Stage("head", 1, "rmsprop")


def test_shift_augmentation_is_a_zero_filled_shift_and_seeded():
    x = rng.uniform(size=(6, 8, 8, 1)).astype("float32")
    a = augment_images(x, np.random.default_rng(5), max_shift=1, max_rotation=0.0)
    b = augment_images(x, np.random.default_rng(5), max_shift=1, max_rotation=0.0)
    np.testing.assert_array_equal(a, b)
    for image, out in zip(x, a):
        candidates = []
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                padded = np.pad(image, ((1, 1), (1, 1), (0, 0)))
                candidates.append(padded[1 - dy : 9 - dy, 1 - dx : 9 - dx])
        assert any(np.array_equal(out, c) for c in candidates)


def test_pseudo_labels_keep_confident_rows():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2, activation="softmax")])
    model.layers[0].set_weights([np.array([[4.0, -4.0], [0.0, 0.0]], "float32"), np.zeros(2, "float32")])
    x = np.array([[1.0, 0], [0.1, 0], [-1.0, 0], [0.0, 3]], "float32")
    images, labels, chosen = pseudo_labels(model, x, threshold=0.99)
    p = np.exp(8 * x[:, 0]) / (1 + np.exp(8 * x[:, 0]))  # probability of class 0
    want = np.flatnonzero(np.maximum(p, 1 - p) >= 0.99)
    np.testing.assert_array_equal(chosen, want)
    np.testing.assert_array_equal(labels, np.where(p[want] > 0.5, 0, 1))
    np.testing.assert_array_equal(images, x[want])


def test_train_and_predict_models_share_weights_and_center_loss():
    train, predict = finetune_model(small_backbone(4), num_classes=3, glu_units=4, center_weight=0.5)
    x = rng.uniform(size=(5, 8, 8, 1)).astype("float32")
    y = np.array([0, 1, 2, 0, 1])
    main, _ = train([x, y], training=False)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(main), keras.ops.convert_to_numpy(predict(x)),
                               rtol=1e-5, atol=1e-6)
    assert len(train.losses) == 1 and float(keras.ops.convert_to_numpy(train.losses[0])) >= 0


@pytest.mark.slow  # three Keras compilations: ~10 s quiet, more under load; the figures test runs it fully
def test_all_stages_and_one_pseudo_label_round_run():
    split = digits_transfer_split(labelled_per_class=2, seed=0)
    stages = [Stage("head", 1, "adam", 1e-3, blocks=0), Stage("unfreeze", 1, "sgd", 0.01, blocks=1)]
    result = finetune(small_backbone(4), split.x_labelled, split.y_labelled, 5,
                      x_unlabelled=split.x_unlabelled[:40], x_test=split.x_test[:40],
                      y_test=split.y_test[:40], stages=stages, threshold=0.0, glu_units=4)
    assert list(result.accuracy) == ["head", "unfreeze", "pseudo-labels"]
    assert len(result.pseudo_indices) == 40 and all(0 <= a <= 1 for a in result.accuracy.values())
