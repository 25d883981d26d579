"""IMLE (nearest-sample search, mode coverage) and GLO/GLANN."""

import keras
import numpy as np
import pytest
from keras import ops

from kexue.generative.data import eight_gaussians, load_dataset, mode_centers
from kexue.generative.glo import GLANN, GLO, fit_glo
from kexue.generative.imle import fit_imle, nearest_neighbours
from kexue.generative.single_loss import mlp_generator


def test_nearest_neighbours_matches_brute_force():
    rng = np.random.default_rng(0)
    q, c = rng.normal(size=(300, 5)), rng.normal(size=(700, 5))
    brute = np.argmin(((q[:, None, :] - c[None, :, :]) ** 2).sum(-1), axis=1)
    np.testing.assert_array_equal(nearest_neighbours(q, c, chunk=64), brute)
    with pytest.raises(ValueError, match="must match"):
        nearest_neighbours(q, c[:, :3])


def test_glo_codes_are_unit_norm_and_round_trip(tmp_path):
    keras.utils.set_random_seed(0)
    glo = GLO(generator=mlp_generator(4, (8, 8, 1), hidden=8, output_activation="sigmoid"), num_codes=12, latent_dim=4)
    out = glo(np.arange(12))
    np.testing.assert_allclose(np.linalg.norm(glo.all_codes(), axis=1), 1.0, rtol=1e-5)
    glo.save(tmp_path / "glo.keras")
    again = keras.models.load_model(tmp_path / "glo.keras")
    np.testing.assert_allclose(ops.convert_to_numpy(again(np.arange(12))), ops.convert_to_numpy(out), rtol=1e-5)
    with pytest.raises(ValueError, match="must match"):
        fit_glo(glo, np.zeros((5, 8, 8, 1)))


@pytest.mark.slow
def test_imle_covers_all_eight_modes():
    """Coverage (recall): held-out points of every mode find a generated sample within 3 std.

    IMLE guarantees recall, not precision: samples no data point picks get no gradient, so
    some mass stays between the modes (see docs/generative/glann.md for the picture)."""
    keras.utils.set_random_seed(0)
    data, _ = eight_gaussians(n=1000, seed=0)
    held_out, modes = eight_gaussians(n=800, seed=1)
    gen = mlp_generator(2, (2,), hidden=64)
    distances = fit_imle(gen, data, latent_dim=2, rounds=30, samples_per_point=10, batch_size=100,
                         learning_rate=3e-3, seed=0)
    assert distances[-1] < 0.1 * distances[0]
    # evaluated as IMLE is trained: 10 samples per data point
    samples = gen.predict(np.random.default_rng(1).standard_normal((10_000, 2)).astype("float32"), verbose=0)
    gap = np.linalg.norm(held_out - samples[nearest_neighbours(held_out, samples)], axis=1)
    covered = np.array([np.mean(gap[modes == k] < 3 * 0.04) for k in range(8)])
    to_centre = np.linalg.norm(samples[:, None, :] - mode_centers()[None], axis=-1)
    print(f"IMLE: nearest-sample distance {distances[0]:.4f} -> {distances[-1]:.4f}; held-out "
          f"coverage per mode {np.round(covered, 3).tolist()}; samples within 3 std of each "
          f"centre {(to_centre < 3 * 0.04).sum(0).tolist()}")
    assert np.all(covered > 0.9), covered
    # and each mode centre has generated samples on it
    assert np.all((to_centre < 3 * 0.04).sum(0) >= 1)


@pytest.mark.slow
def test_glann_on_digits_beats_the_mean_image_and_samples_near_data():
    keras.utils.set_random_seed(0)
    x_train, _, _, _ = load_dataset("digits", seed=0)
    x = x_train[:600]
    glo = GLO(generator=mlp_generator(16, (8, 8, 1), hidden=256, output_activation="sigmoid"), num_codes=len(x), latent_dim=16)
    losses = fit_glo(glo, x, epochs=150, batch_size=100)
    baseline = float(np.mean((x - x.mean(0)) ** 2))  # the best constant reconstruction
    assert losses[-1] < 0.25 * baseline, (losses[-1], baseline)
    glann = GLANN(glo, noise_dim=16, hidden=128)
    glann.fit_mapper(rounds=15, batch_size=100)
    samples = glann.sample(300, seed=1)
    noise = np.random.default_rng(2).uniform(size=samples.shape).astype("float32")
    to_data = lambda s: np.mean(np.min(((s.reshape(len(s), 1, -1) - x.reshape(1, len(x), -1)) ** 2).mean(-1), axis=1))
    print(f"GLANN: GLO reconstruction MSE {losses[-1]:.4f} (mean image {baseline:.4f}); distance "
          f"to the nearest training image: samples {to_data(samples):.4f}, noise {to_data(noise):.4f}")
    assert to_data(samples) < 0.5 * to_data(noise)
