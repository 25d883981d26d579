"""bert4keras's extend_with_* names map onto kexue's extensions with the same meaning."""

import keras
import numpy as np
import pytest

from kexue.optimizers import PiecewiseLinear, extend
from kexue.optimizers.factories import (
    extend_with_exponential_moving_average,
    extend_with_gradient_accumulation,
    extend_with_layer_adaptation,
    extend_with_lazy_optimization,
    extend_with_lookahead,
    extend_with_parameter_wise_lr,
    extend_with_piecewise_linear_lr,
    extend_with_weight_decay,
)


def test_arguments_translate():
    Opt = extend_with_piecewise_linear_lr(
        extend_with_lookahead(extend_with_weight_decay(keras.optimizers.Adam)), "AdamWLRLA"
    )
    opt = Opt(
        learning_rate=1e-3,
        weight_decay_rate=0.01,
        exclude_from_weight_decay=["bias"],
        lr_schedule={100: 1.0},
        steps_per_slow_update=4,
        slow_step_size=0.3,
    )
    assert type(opt).__name__ == "AdamWLRLA"
    assert opt.weight_decay == 0.01 and opt.lookahead_k == 4 and opt.lookahead_alpha == 0.3
    assert isinstance(opt._learning_rate, PiecewiseLinear)
    assert float(opt._learning_rate(50)) == pytest.approx(0.5e-3)
    assert not opt._use_weight_decay(keras.Variable(np.zeros(2), name="bias"))


def test_other_factories():
    opt = extend_with_gradient_accumulation(keras.optimizers.SGD)(grad_accum_steps=4)
    assert opt.gradient_accumulation_steps == 4
    opt = extend_with_lazy_optimization(keras.optimizers.Adam)(
        include_in_lazy_optimization=["word"]
    )
    assert opt.lazy == ["word"]
    assert extend_with_lazy_optimization(keras.optimizers.Adam)().lazy == ["embeddings$"]
    assert extend_with_layer_adaptation(keras.optimizers.Adam)().layer_adaptation
    opt = extend_with_exponential_moving_average(keras.optimizers.Adam)()
    assert opt.use_ema and opt.ema_momentum == 0.999
    opt = extend_with_parameter_wise_lr(keras.optimizers.Adam)(paramwise_lr_schedule={"dense": 0.1})
    assert opt.lr_multipliers == {"dense": 0.1}


def test_config_round_trip_and_instance_extension():
    Opt = extend(keras.optimizers.AdamW, lookahead_k=3)
    opt = Opt(
        learning_rate=PiecewiseLinear({10: 1.0}, 1e-3),
        lr_multipliers={"a": 0.5},
        lazy=True,
        exclude_from_weight_decay=["bias"],
    )
    again = Opt.from_config(opt.get_config())
    assert again.get_config() == opt.get_config()
    plain = keras.optimizers.SGD(learning_rate=0.1, momentum=0.5)
    extended = extend(plain, lookahead_k=2)
    assert extended.momentum == 0.5 and extended.lookahead_k == 2
    assert float(extended.learning_rate) == pytest.approx(0.1)


def test_model_with_extended_optimizer_saves_and_loads(tmp_path):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    opt = extend(keras.optimizers.AdamW)(
        learning_rate=PiecewiseLinear({5: 1.0}, 1e-2), lookahead_k=3, lr_multipliers={"bias": 0.5}
    )
    model.compile(opt, "mse")
    model.fit(np.ones((8, 3)), np.ones((8, 2)), epochs=2, verbose=0)
    model.save(tmp_path / "m.keras")
    again = keras.models.load_model(tmp_path / "m.keras")
    assert type(again.optimizer).__name__ == "ExtendedAdamW"
    assert again.optimizer.lookahead_k == 3 and again.optimizer.lr_multipliers == {"bias": 0.5}
    for a, b in zip(model.optimizer.variables, again.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
