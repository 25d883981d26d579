"""Capsule layer: squash and margin loss against NumPy, output norms < 1, order invariance with
shared weights, routing = spherical K-Means for sharp inputs (against a NumPy K-Means), per-input
weights, .keras round trip."""

import keras
import numpy as np
import pytest

from kexue.layers.capsule import Capsule, CapsuleLength, dynamic_routing, squash
from kexue.losses.capsule import capsule_margin_loss

rng = np.random.default_rng(0)


def np_squash(s):
    n2 = (s.astype(np.float64) ** 2).sum(-1, keepdims=True)
    return np.sqrt(n2) / (0.5 + n2) * s


def np_routing(u_hat, routings):
    """Reference routing over (batch, out, in, dim) in float64 (the post's rounds)."""
    u_hat = u_hat.astype(np.float64)
    b = np.zeros(u_hat.shape[:3])
    for r in range(routings):
        c = np.exp(b - b.max(1, keepdims=True))
        c /= c.sum(1, keepdims=True)
        s = np.einsum("bji,bjid->bjd", c, u_hat)
        if r < routings - 1:
            b = np.einsum("bjd,bjid->bji", s / np.linalg.norm(s, axis=-1, keepdims=True), u_hat)
    return s


def test_squash_and_margin_loss_match_numpy():
    s = rng.normal(size=(5, 7), scale=3.0).astype("float32")
    v = keras.ops.convert_to_numpy(squash(s))
    np.testing.assert_allclose(v, np_squash(s), rtol=1e-5, atol=1e-6)
    norms = np.linalg.norm(s, axis=-1)
    np.testing.assert_allclose(np.linalg.norm(v, axis=-1), norms**2 / (0.5 + norms**2), rtol=1e-5)
    y = np.eye(4, dtype="float32")[[0, 3, 1]]
    p = rng.uniform(size=(3, 4)).astype("float32")
    want = (y * np.maximum(0.9 - p, 0) ** 2 + 0.25 * (1 - y) * np.maximum(p - 0.1, 0) ** 2).sum(-1)
    got = keras.ops.convert_to_numpy(capsule_margin_loss(y, p))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("share", [True, False])
def test_layer_equals_numpy_routing_and_norms_below_one(share):
    u = rng.normal(size=(3, 6, 5), scale=2.0).astype("float32")
    layer = Capsule(num_capsule=4, dim_capsule=3, routings=3, share_weights=share)
    v = keras.ops.convert_to_numpy(layer(u))
    w = keras.ops.convert_to_numpy(layer.kernel).astype(np.float64)
    u_hat = np.einsum("bid,dk->bik", u, w) if share else np.einsum("bid,idk->bik", u, w)
    u_hat = u_hat.reshape(3, 6, 4, 3).transpose(0, 2, 1, 3)
    np.testing.assert_allclose(v, np_squash(np_routing(u_hat, 3)), rtol=1e-4, atol=1e-5)
    lengths = keras.ops.convert_to_numpy(CapsuleLength()(v))
    assert lengths.shape == (3, 4) and np.all(lengths < 1.0)
    big = keras.ops.convert_to_numpy(layer(100.0 * u))  # long capsules still stay inside the ball
    assert np.all(np.linalg.norm(big, axis=-1) < 1.0)


def test_shared_weights_invariant_to_input_order_per_input_weights_not():
    u = rng.normal(size=(2, 9, 6)).astype("float32")
    order = rng.permutation(9)
    shared = Capsule(5, 4, routings=3, share_weights=True)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(shared(u[:, order])),
        keras.ops.convert_to_numpy(shared(u)), rtol=1e-5, atol=1e-6)
    # any number of input capsules with shared weights
    assert tuple(shared(u[:, :4]).shape) == (2, 5, 4)
    local = Capsule(5, 4, routings=3, share_weights=False)
    assert not np.allclose(keras.ops.convert_to_numpy(local(u[:, order])),
                           keras.ops.convert_to_numpy(local(u)), atol=1e-4)


def spherical_kmeans(x, centres, steps):
    """NumPy spherical K-Means: assign by cosine to the normalised centres, centre = sum."""
    assign = None
    for _ in range(steps):
        unit = centres / np.linalg.norm(centres, axis=-1, keepdims=True)
        assign = np.argmax(x @ unit.T, axis=1)
        centres = np.stack([x[assign == j].sum(0) for j in range(len(centres))])
    return assign, centres


def test_sharp_routing_is_spherical_kmeans():
    """All of an input's predictions equal x_i (scaled by a large K): each round assigns every
    point to its nearest normalised centre by cosine (softmax -> argmax) and re-sums the
    clusters, i.e. spherical K-Means from the same start."""
    k, n, dim, sharp = 3, 60, 4, 1e4
    directions = np.eye(dim)[:k] + 0.3
    labels = np.arange(n) % k
    x = directions[labels] + 0.15 * rng.normal(size=(n, dim))
    x /= np.linalg.norm(x, axis=-1, keepdims=True)
    start = x[[0, 1, 2]] + 0.05  # one point of each cluster, nudged
    assign_ref, centres_ref = spherical_kmeans(x, start.copy(), steps=4)
    unit_start = start / np.linalg.norm(start, axis=-1, keepdims=True)
    logits = sharp * (x @ unit_start.T).T[None]  # (1, out, in): the first assignment
    u_hat = np.broadcast_to(sharp * x, (1, k, n, dim)).astype("float32")
    s, coupling = dynamic_routing(u_hat, routings=4, initial_logits=logits.astype("float32"))
    s = keras.ops.convert_to_numpy(s)[0] / sharp
    coupling = keras.ops.convert_to_numpy(coupling)[0]
    np.testing.assert_array_equal(np.argmax(coupling, axis=0), assign_ref)
    assert coupling.max(axis=0).min() > 0.999  # hard assignments
    np.testing.assert_allclose(s, centres_ref, rtol=1e-4, atol=1e-4)
    # and the clustering found the three true groups
    assert len({tuple(np.unique(labels[assign_ref == j])) for j in range(k)}) == k


def test_keras_round_trip(tmp_path):
    inputs = keras.Input((None, 6))
    caps = Capsule(3, 4, routings=2, name="caps")(inputs)
    model = keras.Model(inputs, CapsuleLength()(caps))
    x = rng.normal(size=(2, 5, 6)).astype("float32")
    path = tmp_path / "capsule.keras"
    model.save(path)
    restored = keras.saving.load_model(path)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(restored(x)),
                               keras.ops.convert_to_numpy(model(x)), rtol=1e-6)
    config = restored.get_layer("caps").get_config()
    assert (config["routings"], config["share_weights"], config["activation"]) == (2, True, "squash")


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="num_capsule"):
        Capsule(0, 4)
    with pytest.raises(ValueError, match="share_weights=False needs"):
        Capsule(3, 4, share_weights=False).build((None, None, 6))
    with pytest.raises(ValueError, match="Reshape"):
        Capsule(3, 4).build((None, 8, 8, 6))
