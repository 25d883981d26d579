"""Each optimizer extension against the NumPy reference, step by step (float32, ≤ 1e-6 rel).

Run on both backends: KERAS_BACKEND=jax / KERAS_BACKEND=torch.
"""

import keras
import numpy as np
import pytest
from np_optim_reference import Reference, piecewise

from kexue.optimizers import (
    PiecewiseLinear,
    clip_by_norm,
    clip_by_value,
    extend,
    layerwise_lr_decay,
    scale,
    zero,
)

SHAPES = {
    "token_embedding/embeddings": (12, 4),
    "layer_0/attention/query/kernel": (4, 4),
    "layer_0/attention/query/bias": (4,),
    "layer_0/attention_norm/gamma": (4,),
    "layer_1/feedforward/inner/kernel": (4, 3),
    "pooler/kernel": (4, 2),
}


def make_variables(seed=0):
    rng = np.random.default_rng(seed)
    values = {k: rng.normal(size=s).astype("float32") for k, s in SHAPES.items()}
    variables = {}
    for path, value in values.items():
        *scopes, name = path.split("/")
        ctx = [keras.name_scope(s) for s in scopes]
        for c in ctx:
            c.__enter__()
        variables[path] = keras.Variable(value, name=name)
        for c in reversed(ctx):
            c.__exit__(None, None, None)
        assert variables[path].path == path
    return values, variables


def gradient_stream(steps, seed=1):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(steps):
        grads = {k: rng.normal(size=s).astype("float32") for k, s in SHAPES.items()}
        grads["token_embedding/embeddings"][rng.random(12) < 0.5] = 0.0  # absent tokens
        grads["token_embedding/embeddings"][5] = 0.0  # a token that never occurs
        out.append(grads)
    return out


def assert_close(actual, desired, name):
    """Relative to the tensor's scale: float32 rounding of a value of size 2 is not an error
    of an entry that happens to be near 0."""
    error = np.max(np.abs(actual - desired)) / max(1.0, np.max(np.abs(desired)))
    assert error <= 1e-6, f"{name}: relative error {error:.2e}"


def run_both(optimizer, ref, steps=7, eager=False):
    """Apply the same gradients to ``optimizer`` and the reference, comparing every step.

    On JAX the step goes through ``jax.jit(optimizer.stateless_apply)`` (the trainer's path)
    unless ``eager``; on torch through ``optimizer.apply``.
    """
    _, variables = make_variables()
    order = list(SHAPES)
    optimizer.build([variables[k] for k in order])
    jitted = keras.backend.backend() == "jax" and not eager
    if jitted:
        import jax

        step = jax.jit(optimizer.stateless_apply)
        opt_values = [v.value for v in optimizer.variables]
        values = [variables[k].value for k in order]
    for grads in gradient_stream(steps):
        g = [keras.ops.convert_to_tensor(grads[k]) for k in order]
        if jitted:
            values, opt_values = step(opt_values, g, values)
        else:
            optimizer.apply(g, [variables[k] for k in order])
            values = [variables[k].value for k in order]
        ref.step(grads)
        for k, value in zip(order, values):
            assert_close(keras.ops.convert_to_numpy(value), ref.p[k], k)
    if jitted:
        for v, value in zip(optimizer.variables, opt_values):
            v.assign(value)
        for k, value in zip(order, values):
            variables[k].assign(value)
    return variables


def params():
    return make_variables()[0]


def test_lr_multipliers_with_adamw():
    mult = {r"layer_0/": 0.5, r"embeddings": 0.25}
    opt = extend(keras.optimizers.AdamW)(learning_rate=1e-2, weight_decay=0.1, lr_multipliers=mult)
    run_both(opt, Reference(params(), "adam", lr=1e-2, weight_decay=0.1, mult=mult))


def test_zero_multiplier_freezes():
    opt = extend(keras.optimizers.SGD)(learning_rate=0.1, lr_multipliers={"pooler": 0.0})
    variables = run_both(
        opt, Reference(params(), "sgd", lr=0.1, momentum=0.0, mult={"pooler": 0.0})
    )
    np.testing.assert_array_equal(variables["pooler/kernel"].numpy(), params()["pooler/kernel"])


def test_layerwise_decay_table_matches_paths():
    table = layerwise_lr_decay(2, 0.8)
    opt = extend(keras.optimizers.Adam)(learning_rate=1e-2, lr_multipliers=table)
    run_both(opt, Reference(params(), "adam", lr=1e-2, mult=table))
    plan = {v.path: p["mult"] for v, p in zip(opt._trainable_variables, opt._kexue_plan)}
    assert plan["layer_1/feedforward/inner/kernel"] == pytest.approx(0.8)
    assert plan["layer_0/attention/query/kernel"] == pytest.approx(0.64)
    assert plan["token_embedding/embeddings"] == pytest.approx(0.8**3)
    assert plan["pooler/kernel"] == 1.0


def test_gradient_transforms_with_momentum():
    transforms = {
        "query/kernel": clip_by_norm(0.5),
        "bias": clip_by_value(0.1),
        "gamma": zero(),
        "pooler": scale(3.0),
    }
    np_fns = {
        "query/kernel": lambda g: g * min(1.0, 0.5 / np.linalg.norm(g)),
        "bias": lambda g: np.clip(g, -0.1, 0.1),
        "gamma": np.zeros_like,
        "pooler": lambda g: 3.0 * g,
    }
    opt = extend(keras.optimizers.SGD)(
        learning_rate=0.05, momentum=0.9, gradient_transforms=transforms
    )
    run_both(opt, Reference(params(), "sgd", lr=0.05, momentum=0.9, transforms=np_fns))


def test_lazy_rows_keep_value_and_moments():
    opt = extend(keras.optimizers.Adam)(learning_rate=1e-2, lazy=True)
    variables = run_both(opt, Reference(params(), "adam", lr=1e-2, lazy=[r"embeddings$"]))
    emb = variables["token_embedding/embeddings"]  # row 5 never had a gradient
    np.testing.assert_array_equal(emb.numpy()[5], params()["token_embedding/embeddings"][5])
    assert len(opt._slots(emb)) == 2
    for slot in opt._slots(emb):
        assert np.all(slot.numpy()[5] == 0) and np.any(slot.numpy() != 0)


def test_lazy_rejects_vectors():
    opt = extend(keras.optimizers.Adam)(learning_rate=1e-2, lazy=["bias"])
    _, variables = make_variables()
    with pytest.raises(ValueError, match="rows"):
        opt.build(list(variables.values()))


def test_layer_adaptation_lamb_style():
    opt = extend(keras.optimizers.AdamW)(
        learning_rate=1e-2, weight_decay=0.01, layer_adaptation=True
    )
    run_both(opt, Reference(params(), "adam", lr=1e-2, weight_decay=0.01, adapt=True))


def test_lookahead_against_reference_and_pitfall():
    opt = extend(keras.optimizers.SGD)(learning_rate=0.1, lookahead_k=3, lookahead_alpha=0.5)
    run_both(opt, Reference(params(), "sgd", lr=0.1, momentum=0.0, lookahead=3), steps=7)
    # pitfall: zero gradients for k steps must leave the weights unchanged (no scaling by α)
    values, variables = make_variables()
    opt = extend(keras.optimizers.SGD)(learning_rate=0.1, lookahead_k=5)
    order = list(SHAPES)
    for _ in range(5):
        opt.apply([np.zeros(SHAPES[k], "float32") for k in order], [variables[k] for k in order])
    for k in order:
        np.testing.assert_array_equal(variables[k].numpy(), values[k])
    assert opt.lookahead_alpha == 0.5  # the paper's default


def test_composition_adamw_schedule_layerwise_lookahead_accumulation():
    schedule = {3: 1.0, 8: 0.1}
    table = layerwise_lr_decay(2, 0.7)
    no_decay = ["gamma", "bias"]
    opt = extend(keras.optimizers.AdamW)(
        learning_rate=PiecewiseLinear(schedule, learning_rate=2e-2),
        weight_decay=0.05,
        exclude_from_weight_decay=no_decay,
        lr_multipliers=table,
        lookahead_k=2,
        gradient_accumulation_steps=3,
    )
    ref = Reference(
        params(),
        "adam",
        lr=lambda u: 2e-2 * piecewise(u, schedule),
        weight_decay=0.05,
        no_decay=no_decay,
        mult=table,
        lookahead=2,
        accum=3,
    )
    run_both(opt, ref, steps=18)
    assert ref.updates == 6 and int(opt.iterations) == 6


def test_eager_apply_matches_reference():
    """``optimizer.apply`` outside any jit (JAX eager, torch) with every extension on."""
    table = layerwise_lr_decay(2, 0.7)
    opt = extend(keras.optimizers.AdamW)(
        learning_rate=PiecewiseLinear({2: 1.0, 5: 0.1}, learning_rate=2e-2),
        weight_decay=0.05,
        lr_multipliers=table,
        lookahead_k=2,
        lazy=True,
        layer_adaptation=True,
    )
    ref = Reference(
        params(),
        "adam",
        lr=lambda u: 2e-2 * piecewise(u, {2: 1.0, 5: 0.1}),
        weight_decay=0.05,
        mult=table,
        lookahead=2,
        lazy=[r"embeddings$"],
        adapt=True,
    )
    run_both(opt, ref, steps=3, eager=True)


def test_bad_arguments_are_named():
    Ext = extend(keras.optimizers.Adam)
    with pytest.raises(ValueError, match="lookahead_k"):
        Ext(learning_rate=1e-3, lookahead_k=0)
    with pytest.raises(ValueError, match="invalid regex"):
        Ext(learning_rate=1e-3, lr_multipliers={"(": 1.0})
    with pytest.raises(TypeError, match="Keras optimizer"):
        extend(dict)
