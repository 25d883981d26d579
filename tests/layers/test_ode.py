"""ODE as RNN: the post's two-species table (±0.5) and a fit of its 6 parameters from the
7 observations that reproduces them within ±3."""

import keras
import numpy as np
import pytest

from kexue.layers.ode import EulerODE

TRUE = dict(r1=0.1, r2=0.3, a1=1e-4, a2=2e-4, inv_n1=0.002, inv_n2=0.003)
TABLE = {
    10: (165.0, 282.9),
    15: (196.6, 289.9),
    30: (280.0, 275.5),
    36: (304.9, 269.4),
    40: (318.5, 265.9),
    42: (324.4, 264.4),
}
TIMES = [0, 10, 15, 30, 36, 40, 42]
OBSERVED = np.array(
    [[100, 150], [165, 283], [197, 290], [280, 276], [305, 269], [318, 266], [324, 264]], "float32"
)


def test_reproduces_the_table():
    ode = EulerODE("competition", TRUE, step_size=0.1, num_steps=420, output_times=list(TABLE))
    out = keras.ops.convert_to_numpy(ode(np.array([[100.0, 150.0]], "float32")))[0]
    np.testing.assert_allclose(out, np.array(list(TABLE.values())), atol=0.5)


def _fit_the_observations():
    guess = dict(r1=0.2, r2=0.2, a1=2e-4, a2=1e-4, inv_n1=0.003, inv_n2=0.002)
    ode = EulerODE("competition", guess, step_size=0.1, num_steps=420, output_times=TIMES)
    inp = keras.Input((2,))
    model = keras.Model(inp, ode(inp))
    model.compile(keras.optimizers.Adam(0.02), "mse")
    x0 = np.array([[100.0, 150.0]], "float32")
    before = np.abs(keras.ops.convert_to_numpy(model(x0))[0] - OBSERVED).max()
    steps = 600
    model.fit(
        np.repeat(x0, steps, 0),
        np.repeat(OBSERVED[None], steps, 0),
        batch_size=1,
        epochs=1,
        verbose=0,
    )
    fitted = keras.ops.convert_to_numpy(model(x0))[0]
    assert before > 20
    np.testing.assert_allclose(fitted, OBSERVED, atol=3.0)
    params = {k: float(keras.ops.convert_to_numpy(v)) for k, v in ode.parameter_values().items()}
    assert params["r2"] == pytest.approx(0.3, rel=0.5)


@pytest.mark.skipif(
    keras.backend.backend() != "jax",
    reason="torch runs the 420-step scan as a Python loop (~5 min): see the slow test",
)
def test_fits_the_observations():
    _fit_the_observations()


@pytest.mark.slow
def test_fits_the_observations_slow():
    """The same fit on every backend (``-m slow``)."""
    _fit_the_observations()


def test_errors():
    with pytest.raises(ValueError, match="missing"):
        EulerODE("competition", {"r1": 0.1})
    with pytest.raises(ValueError, match="unknown system"):
        EulerODE("lorenz", {})
    with pytest.raises(ValueError, match="multiple"):
        EulerODE("competition", TRUE, step_size=0.1, num_steps=10, output_times=[0.05])
