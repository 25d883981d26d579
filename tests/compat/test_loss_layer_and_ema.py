"""The ``Loss`` layer (``compute_loss(inputs, mask)``, ``output_axis``) and bert4keras' EMA path
(``apply_ema_weights`` / ``reset_old_weights``, trained weights kept after ``fit``)."""

import keras
import numpy as np
import pytest
from keras import ops

from kexue.callbacks import EMAWeights
from kexue.layers import Loss
from kexue.optimizers import extend_with_exponential_moving_average


class MaskedMean(Loss):
    def compute_loss(self, inputs, mask=None):
        y_true, y_pred = inputs
        weight = ops.cast(mask[1], "float32")  # the mask of the embedded sequence
        error = ops.mean(ops.square(ops.cast(y_true, "float32") - y_pred), axis=-1)
        return ops.sum(error * weight) / ops.sum(weight)


def test_loss_layer_gets_masks_and_returns_the_chosen_inputs():
    ids = keras.Input((None,), dtype="int32")
    target = keras.Input((None, 2))
    embedded = keras.layers.Embedding(10, 2, mask_zero=True)(ids)
    out = MaskedMean(1)([target, embedded])
    assert keras.Model([ids, target], out).output.shape == (None, None, 2)
    both = MaskedMean([0, 1])([target, embedded])
    assert len(both) == 2
    model = keras.Model([ids, target], out)
    model.compile(optimizer=keras.optimizers.SGD(0.0))
    x = np.array([[3, 4, 0, 0]])
    y = np.zeros((1, 4, 2), "float32")
    y[0, 2:] = 100.0  # huge errors at padded positions, which the mask removes
    loss = model.evaluate([x, y], verbose=0)
    vectors = model.predict([x, y], verbose=0)[0, :2]
    np.testing.assert_allclose(loss, np.mean(np.square(vectors)), rtol=1e-5)


def test_a_mistake_in_compute_loss_shows_its_own_error():
    class Broken(Loss):
        def compute_loss(self, inputs, mask=None):
            return ops.floatx()  # bert4keras' K.floatx() has no keras.ops twin

    x = keras.Input((3,))
    model = keras.Model(x, Broken(0)([keras.layers.Dense(2)(x)]))
    model.compile(optimizer="sgd")
    with pytest.raises(AttributeError, match="floatx"):
        model.fit(np.ones((2, 3)), epochs=1, verbose=0)


def _regression(optimizer):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer, "mse")
    x = np.random.default_rng(0).normal(size=(64, 3)).astype("float32")
    model.fit(x, x @ np.array([[1.0], [-2.0], [0.5]], "float32"), epochs=5, batch_size=8, verbose=0)
    return model


def test_ema_optimizer_keeps_the_trained_weights_as_bert4keras_did():
    AdamEMA = extend_with_exponential_moving_average(keras.optimizers.Adam)
    optimizer = AdamEMA(learning_rate=0.05, ema_momentum=0.9)
    model = _regression(optimizer)
    plain = _regression(keras.optimizers.Adam(learning_rate=0.05))  # same steps, no EMA
    for a, b in zip(model.get_weights(), plain.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    trained = model.get_weights()
    optimizer.apply_ema_weights(bias_correction=True)
    averages = [ops.convert_to_numpy(v) for v in optimizer._model_variables_moving_average]
    for weight, average in zip(model.get_weights(), averages):
        np.testing.assert_allclose(weight, average)
    assert np.abs(model.get_weights()[0] - trained[0]).max() > 1e-4
    optimizer.reset_old_weights()
    for a, b in zip(model.get_weights(), trained):
        np.testing.assert_array_equal(a, b)


def test_ema_weights_callback_with_keep_ema_leaves_the_average_in():
    AdamEMA = extend_with_exponential_moving_average(keras.optimizers.Adam)
    optimizer = AdamEMA(learning_rate=0.05, ema_momentum=0.9)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer, "mse")
    x = np.random.default_rng(1).normal(size=(32, 3)).astype("float32")
    model.fit(x, x[:, :1], epochs=3, batch_size=8, verbose=0, callbacks=[EMAWeights(keep_ema=True)])
    averages = [ops.convert_to_numpy(v) for v in optimizer._model_variables_moving_average]
    for weight, average in zip(model.get_weights(), averages):
        np.testing.assert_allclose(weight, average)
