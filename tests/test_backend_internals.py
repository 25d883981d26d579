"""Each Keras internal kexue relies on, checked against Keras' behaviour: when a Keras release
moves one, the test named for it fails (see docs/contributing.md, "Moving the Keras bound")."""

import keras
import numpy as np
import pytest

from kexue.backend import sync_training_state
from kexue.backend import keras_internals as ki
from kexue.backend.optimizer_hooks import OptimizerHooks


def _built(optimizer, variables):
    optimizer.build(variables)
    return optimizer


def _tensors(*arrays):
    return [keras.ops.convert_to_tensor(np.asarray(a, "float32")) for a in arrays]


def _variables():
    return [keras.Variable(np.ones((2, 3), "float32"), name="kernel"),
            keras.Variable(np.zeros(3, "float32"), name="bias")]


def test_producing_layer_reads_keras_history():
    x = keras.Input((4,))
    dense = keras.layers.Dense(2)
    assert isinstance(ki.producing_layer(x), keras.layers.InputLayer)
    assert ki.producing_layer(dense(x)) is dense
    assert ki.producing_layer(keras.ops.ones((2,))) is None
    assert ki.producing_layer(np.ones(2)) is None


def test_all_sublayers_follows_nesting_and_attributes():
    class Holder(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.parts = [keras.layers.Dense(2, name="in_list")]

        def call(self, x):
            return self.parts[0](x)

    holder = Holder()
    model = keras.Sequential([keras.Input((3,)), keras.Sequential([holder])])
    found = ki.all_sublayers(model)
    assert found[0] is model and holder in found
    assert "in_list" in [layer.name for layer in found]
    assert len(found) == len({id(layer) for layer in found})


def test_instantiated_optimizer_class():
    cls = ki.instantiated_optimizer_class(keras.optimizers.Adam)
    assert issubclass(cls, keras.optimizers.Adam)
    assert type(keras.optimizers.Adam()) is cls
    if keras.backend.backend() == "torch":  # the fused foreach variant
        assert cls is not keras.optimizers.Adam


def test_optimizer_variable_index_and_key():
    a, b = _variables()
    opt = _built(keras.optimizers.Adam(), [a, b])
    assert ki.optimizer_variable_index(opt, b) == 1 and ki.optimizer_variable_index(opt, a) == 0
    key_a = ki.optimizer_variable_key(opt, a)
    a.assign(np.zeros((2, 3), "float32"))
    assert ki.optimizer_variable_key(opt, a) == key_a != ki.optimizer_variable_key(opt, b)


def test_uses_weight_decay_follows_exclusions():
    kernel, bias = _variables()
    opt = keras.optimizers.AdamW(weight_decay=0.1)
    opt.exclude_from_weight_decay(var_names=["bias"])
    _built(opt, [kernel, bias])
    assert ki.uses_weight_decay(opt, kernel) and not ki.uses_weight_decay(opt, bias)
    plain = _built(keras.optimizers.Adam(), _variables())
    assert not ki.uses_weight_decay(plain, kernel)


def test_learning_rate_source():
    assert isinstance(ki.learning_rate_source(keras.optimizers.SGD(0.1)), keras.Variable)
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)
    assert ki.learning_rate_source(keras.optimizers.SGD(schedule)) is schedule


def test_trainable_variables_and_ema_pairs():
    variables = _variables()
    opt = keras.optimizers.SGD(1.0, use_ema=True, ema_momentum=0.5)
    with pytest.raises(ValueError, match="use_ema"):
        ki.ema_variable_pairs(opt)
    for _ in range(2):
        opt.apply(_tensors(np.ones((2, 3)), np.ones(3)), variables)
    assert [v is w for v, w in zip(ki.optimizer_trainable_variables(opt), variables)] == [True, True]
    pairs = ki.ema_variable_pairs(opt)
    assert [p[0] is v for p, v in zip(pairs, variables)] == [True, True]
    # Keras' first step copies the weights (0, -1), the second moves halfway to the new ones (-1, -2)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(pairs[0][1]), np.full((2, 3), -0.5))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(pairs[1][1]), np.full(3, -1.5))


def test_optimizer_hooks_route_every_keras_hook():
    calls = []

    class Counting(OptimizerHooks, ki.instantiated_optimizer_class(keras.optimizers.AdamW)):
        def kexue_update_step(self, grads, variables, learning_rate):
            calls.append("update")
            self.keras_update_step(grads, variables, learning_rate)

        def kexue_learning_rate(self):
            calls.append("rate")
            return self.keras_learning_rate() * 0.0  # no step at all

        def kexue_weight_decay(self, variables):
            calls.append("decay")

    variables = _variables()
    opt = Counting(learning_rate=0.1, weight_decay=0.5)
    opt.apply(_tensors(np.ones((2, 3)), np.ones(3)), variables)
    assert {"update", "rate", "decay"} <= set(calls)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(variables[0]), np.ones((2, 3)))
    # the defaults are Keras' own: same step as a plain AdamW
    ours, theirs = _variables(), _variables()
    grads = _tensors(np.full((2, 3), 0.3), np.full(3, -0.2))
    base = ki.instantiated_optimizer_class(keras.optimizers.AdamW)
    hooked = type("HookedAdamW", (OptimizerHooks, base), {})
    hooked(learning_rate=0.1, weight_decay=0.5).apply(grads, ours)
    keras.optimizers.AdamW(learning_rate=0.1, weight_decay=0.5).apply(grads, theirs)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b), rtol=1e-6)


def test_sync_training_state_lets_a_callback_assign_mid_fit():
    """On JAX the trainer holds the state outside the variables; without the sync (Keras'
    ``jax_state_sync``) the assignment below is overwritten when the epoch ends. The callback
    holds the model itself: Keras' ``Callback.model`` property would sync on its own."""

    class ZeroAfterFirstBatch(keras.callbacks.Callback):
        def __init__(self, target, sync):
            super().__init__()
            self.target, self.sync = target, sync

        def on_train_batch_end(self, batch, logs=None):
            if batch == 0:
                if self.sync:
                    sync_training_state(self.target)
                self.target.layers[0].kernel.assign(np.zeros((2, 1), "float32"))

    def kernel_after_fit(sync):
        model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, use_bias=False)])
        model.compile(keras.optimizers.SGD(0.0), "mse")
        callback = ZeroAfterFirstBatch(model, sync)
        model.fit(np.ones((8, 2)), np.ones((8, 1)), batch_size=2, verbose=0, callbacks=[callback])
        return keras.ops.convert_to_numpy(model.layers[0].kernel)

    np.testing.assert_array_equal(kernel_after_fit(sync=True), np.zeros((2, 1)))
    if keras.backend.backend() == "jax":  # the sync is what makes the difference
        assert np.all(kernel_after_fit(sync=False) != 0)
