"""β' = 1 − (1 − β)√r keeps heavy-ball momentum on the same continuous trajectory
(checked against SciPy's solution of x'' = −γx' − Ax) when the learning rate is scaled by r."""

import keras
import numpy as np
import pytest
from scipy.integrate import solve_ivp

from kexue.optimizers.dynamics import friction, rescale_momentum

A = np.diag([1.0, 0.3])
X0 = np.array([1.0, -2.0])


def heavy_ball(lr, beta, steps):
    """Keras' SGD with momentum on f = ½xᵀAx."""
    x = keras.Variable(X0.astype("float32"))
    opt = keras.optimizers.SGD(learning_rate=lr, momentum=beta)
    for _ in range(steps):
        grad = keras.ops.convert_to_tensor((A @ x.numpy().astype(np.float64)).astype("float32"))
        opt.apply([grad], [x])
    return x.numpy().astype(np.float64)


def ode(gamma, t):
    sol = solve_ivp(
        lambda _, y: np.concatenate([y[2:], -gamma * y[2:] - A @ y[:2]]),
        (0, t),
        np.concatenate([X0, [0.0, 0.0]]),
        rtol=1e-10,
        atol=1e-12,
    )
    return sol.y[:2, -1]


def test_rescaled_momentum_follows_the_same_dynamics():
    lr, beta, r, t = 0.0025, 0.95, 4.0, 8.0
    gamma = friction(beta, lr)
    exact = ode(gamma, t)
    base = heavy_ball(lr, beta, int(t / np.sqrt(lr)))
    scaled_lr, scaled_beta = lr * r, rescale_momentum(beta, r)
    assert friction(scaled_beta, scaled_lr) == pytest.approx(gamma)
    rescaled = heavy_ball(scaled_lr, scaled_beta, int(t / np.sqrt(scaled_lr)))
    naive = heavy_ball(scaled_lr, beta, int(t / np.sqrt(scaled_lr)))
    err_base = np.linalg.norm(base - exact)
    err_rescaled = np.linalg.norm(rescaled - exact)
    err_naive = np.linalg.norm(naive - exact)
    assert err_base < 0.05 and err_rescaled < 0.1  # Euler: error O(√lr)
    assert err_naive > 3 * err_rescaled


def test_errors():
    with pytest.raises(ValueError, match="too large"):
        rescale_momentum(0.5, 9.0)
    with pytest.raises(ValueError, match="beta"):
        rescale_momentum(1.0, 2.0)
