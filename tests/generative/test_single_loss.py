"""The single-loss trick: fused gradients = D gradients of L_D and λ × G gradients of L_G."""

import keras
import numpy as np
import pytest
from keras import ops

from kexue.backend import variable_grads
from kexue.generative.single_loss import (
    SingleLossGAN,
    adversarial_losses,
    mlp_discriminator,
    mlp_generator,
)


def _gan(loss="gan", lam=0.3):
    keras.utils.set_random_seed(0)
    return SingleLossGAN(generator=mlp_generator(3, (4,), hidden=8),
                         discriminator=mlp_discriminator((4,), hidden=8), latent_dim=3, lam=lam, loss=loss)


def _data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(16, 4)).astype("float32"), rng.normal(size=(16, 3)).astype("float32")


def _close(a, b):
    for ga, gb in zip(a, b):
        np.testing.assert_allclose(ops.convert_to_numpy(ga), ops.convert_to_numpy(gb), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("loss", ["gan", "js"])
def test_fused_gradients_equal_separate_gradients(loss):
    gan, (x, z) = _gan(loss), _data()
    d_vars, g_vars = gan.discriminator.trainable_variables, gan.generator.trainable_variables

    # The plain two-player losses, written without any stop-gradient.
    def plain_d_loss():
        return adversarial_losses(loss, gan.discriminator(x), gan.discriminator(gan.generator(z)))[0]

    def plain_g_loss():
        return adversarial_losses(loss, gan.discriminator(x), gan.discriminator(gan.generator(z)))[1]

    fused_d = variable_grads(lambda: gan.fused_loss(x, z), d_vars)
    fused_g = variable_grads(lambda: gan.fused_loss(x, z), g_vars)
    _close(fused_d, variable_grads(plain_d_loss, d_vars))
    _close(fused_g, [gan.lam * g for g in variable_grads(plain_g_loss, g_vars)])

    # Without the trick, the sum L_D + λ L_G would leak G's loss into D's gradient.
    naive_d = variable_grads(lambda: plain_d_loss() + gan.lam * plain_g_loss(), d_vars)
    leak = max(float(np.max(np.abs(ops.convert_to_numpy(a) - ops.convert_to_numpy(b))))
               for a, b in zip(naive_d, fused_d))
    assert leak > 1e-4


def test_fused_loss_value_is_the_sum():
    gan, (x, z) = _gan(), _data()
    d_loss, g_loss = gan.split_losses(x, z)
    plain_d, plain_g = adversarial_losses("gan", gan.discriminator(x), gan.discriminator(gan.generator(z)))
    np.testing.assert_allclose(float(d_loss), float(plain_d), rtol=1e-5)
    np.testing.assert_allclose(float(g_loss), float(plain_g), rtol=1e-5)
    np.testing.assert_allclose(float(gan.fused_loss(x, z)), float(plain_d) + 0.3 * float(plain_g), rtol=1e-5)


def test_one_sgd_step_moves_d_by_eta_and_g_by_lambda_eta():
    """fit with SGD(η) on the fused loss = separate D and G steps of rates η and λη."""
    gan, (x, _) = _gan(lam=0.5), _data()
    gan.compile(optimizer=keras.optimizers.SGD(0.1))
    before = [ops.convert_to_numpy(v) for v in gan.trainable_variables]
    seed_state = ops.convert_to_numpy(gan.seed_generator.state)
    z = ops.convert_to_numpy(gan.sample_latent(len(x)))  # the z fit will draw: same seed state
    gan.seed_generator.state.assign(seed_state)
    d_vars, g_vars = gan.discriminator.trainable_variables, gan.generator.trainable_variables
    g_d = variable_grads(lambda: adversarial_losses("gan", gan.discriminator(x), gan.discriminator(gan.generator(z)))[0], d_vars)
    g_g = variable_grads(lambda: adversarial_losses("gan", gan.discriminator(x), gan.discriminator(gan.generator(z)))[1], g_vars)
    expected = {id(v): ops.convert_to_numpy(v) - 0.1 * ops.convert_to_numpy(g) for v, g in zip(d_vars, g_d)}
    expected.update({id(v): ops.convert_to_numpy(v) - 0.05 * ops.convert_to_numpy(g) for v, g in zip(g_vars, g_g)})
    gan.fit(x, batch_size=len(x), epochs=1, shuffle=False, verbose=0)
    for v, old in zip(gan.trainable_variables, before):
        np.testing.assert_allclose(ops.convert_to_numpy(v), expected[id(v)], rtol=1e-4, atol=1e-6)
        assert not np.allclose(ops.convert_to_numpy(v), old)


def test_bad_arguments_are_rejected():
    g, d = mlp_generator(2, (2,), hidden=4), mlp_discriminator((2,), hidden=4)
    with pytest.raises(ValueError, match="positive"):
        SingleLossGAN(generator=g, discriminator=d, latent_dim=2, lam=0.0)
    with pytest.raises(ValueError, match="Unknown adversarial loss"):
        SingleLossGAN(generator=g, discriminator=d, latent_dim=2, loss="nope")


def test_save_and_reload(tmp_path):
    gan = _gan()
    path = tmp_path / "gan.keras"
    gan.save(path)
    again = keras.models.load_model(path)
    x, z = _data()
    np.testing.assert_allclose(ops.convert_to_numpy(again.generator(z)), ops.convert_to_numpy(gan.generator(z)), rtol=1e-6)
    assert again.lam == gan.lam and again.loss_kind == "gan"
