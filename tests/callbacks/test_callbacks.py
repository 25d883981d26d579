"""Callbacks on both backends: EMA swapping leaves trained weights after fit, the evaluator
saves the best (EMA) weights, warm-up equals the PiecewiseLinear schedule, and a loss weight
changed by a callback reaches the compiled train step."""

import keras
import numpy as np
import pytest

from kexue.callbacks import EMAWeights, Evaluator, LinearWarmup, LossWeightScheduler, WeightedLoss
from kexue.optimizers import PiecewiseLinear

rng = np.random.default_rng(0)
X = rng.normal(size=(64, 4)).astype("float32")
Y = (X @ rng.normal(size=(4, 1)) + 0.1).astype("float32")


def model_and_data(optimizer):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer, "mse")
    return model


def weights(model):
    return [w.copy() for w in model.get_weights()]


def fit(model, callbacks=(), epochs=3):
    return model.fit(
        X,
        Y,
        batch_size=16,
        epochs=epochs,
        shuffle=False,
        verbose=0,
        validation_data=(X[:16], Y[:16]),
        callbacks=list(callbacks),
    )


def test_ema_swapped_for_evaluation_but_trained_weights_remain():
    plain = model_and_data(keras.optimizers.SGD(0.05))
    fit(plain)
    keras_ema = model_and_data(keras.optimizers.SGD(0.05, use_ema=True, ema_momentum=0.8))
    fit(keras_ema)  # Keras' own behaviour: EMA weights left in the model
    ours = model_and_data(keras.optimizers.SGD(0.05, use_ema=True, ema_momentum=0.8))
    history = fit(ours, [EMAWeights()])
    for a, b, c in zip(weights(ours), weights(plain), weights(keras_ema)):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)  # trained weights
        assert np.abs(a - c).max() > 1e-4  # ... which are not the EMA ones
    # validation during fit used the EMA weights
    ema_val = keras_ema.evaluate(X[:16], Y[:16], verbose=0)
    assert history.history["val_loss"][-1] == pytest.approx(ema_val, rel=1e-5)
    kept = model_and_data(keras.optimizers.SGD(0.05, use_ema=True, ema_momentum=0.8))
    fit(kept, [EMAWeights(keep_ema=True)])
    for a, c in zip(weights(kept), weights(keras_ema)):
        np.testing.assert_allclose(a, c, rtol=1e-6, atol=1e-7)


def test_evaluator_saves_best_ema_weights(tmp_path):
    path = tmp_path / "best.weights.h5"
    model = model_and_data(keras.optimizers.SGD(0.05, use_ema=True, ema_momentum=0.8))
    ema = EMAWeights()

    def score(m):  # any metric: here minus the MSE on the first 16 rows
        return -float(np.mean((m.predict(X[:16], verbose=0) - Y[:16]) ** 2))

    ev = Evaluator(score, path, mode="max", ema=ema)
    fit(model, [ema, ev])
    assert ev.best == max(ev.scores) and len(ev.scores) == 3
    reference = model_and_data(keras.optimizers.SGD(0.05, use_ema=True, ema_momentum=0.8))
    fit(reference)  # ends with the final EMA weights; scores increase here, best = last
    assert ev.best_epoch == 2
    restored = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    restored.load_weights(path)
    for a, b in zip(weights(restored), weights(reference)):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    with pytest.raises(ValueError, match="use_ema"):
        fit(model_and_data(keras.optimizers.SGD(0.05)), [EMAWeights()], epochs=1)
    with pytest.raises(ValueError, match="weights.h5"):
        Evaluator("loss", tmp_path / "x.h5")


def test_warmup_callback_equals_piecewise_schedule():
    by_callback = model_and_data(keras.optimizers.SGD(0.05))
    cb = LinearWarmup(warmup_steps=6)
    fit(by_callback, [cb], epochs=2)
    by_schedule = model_and_data(keras.optimizers.SGD(PiecewiseLinear({6: 1.0}, 0.05)))
    fit(by_schedule, epochs=2)
    for a, b in zip(weights(by_callback), weights(by_schedule)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert cb.rates == pytest.approx([0.05 * t / 6 for t in range(6)])


def _penalised_model():
    keras.utils.set_random_seed(0)
    inp = keras.Input((4,))
    penalty = WeightedLoss(initial_weight=0.0, name="penalty")
    model = keras.Model(inp, penalty(keras.layers.Dense(1)(inp)))  # loss += w · mean(output)
    model.compile(keras.optimizers.SGD(0.05), "mse")
    return model, penalty


def test_loss_weight_changed_during_training_reaches_the_train_step():
    scheduled, penalty = _penalised_model()
    sched = LossWeightScheduler(penalty, lambda epoch: [0.0, 5.0][epoch])
    scheduled.fit(X, Y, batch_size=16, epochs=2, shuffle=False, verbose=0, callbacks=[sched])
    assert sched.values == [0.0, 5.0]
    # reference: two separate fits, the weight assigned between them outside any fit
    manual, manual_penalty = _penalised_model()
    manual.fit(X, Y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    manual_penalty.loss_weight.assign(5.0)
    manual.fit(X, Y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    constant, _ = _penalised_model()
    constant.fit(X, Y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    for a, b, c in zip(weights(scheduled), weights(manual), weights(constant)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
        assert np.abs(a - c).max() > 1e-3
    with pytest.raises(ValueError, match="per"):
        LossWeightScheduler(penalty, float, per="step")
