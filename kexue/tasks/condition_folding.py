"""Folding a fixed condition into Conditional LayerNorm, so a conditional model can be decoded
by the KV-cached :class:`~kexue.decoding.CachedDecoder` (which runs plain LayerNorms only).

A Conditional LayerNorm computes ``normalize(x) * (gamma + Wg·h) + (beta + Wb·h)`` with
``h = act(Wh·c)`` (or ``h = c``). For one fixed condition ``c`` — one class of 科学空间 7124's
conditional generation — ``gamma + Wg·h`` and ``beta + Wb·h`` are constants, so the layer *is*
a plain LayerNorm with those gain and bias. :func:`fold_condition` writes them, and every
other weight, into a model of the same backbone built without the condition.

Example:
    >>> import keras, numpy as np
    >>> from kexue.models import build_transformer_model
    >>> config = dict(vocab_size=20, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
    ...               intermediate_size=16)
    >>> label = keras.Input((), dtype="int32", name="label")
    >>> c = keras.layers.Embedding(2, 4, name="label_embedding")(label)
    >>> cond = build_transformer_model(config, application="lm", with_mlm="linear",
    ...     layer_norm_cond=c, layer_norm_cond_hidden_size=4, layer_norm_cond_hidden_act="swish",
    ...     additional_input_layers=[label])
    >>> for v in cond.weights:  # move the condition projections away from their zero start
    ...     if "/condition_" in v.path:
    ...         _ = v.assign(np.random.default_rng(0).normal(size=v.shape) * 0.3)
    >>> plain = build_transformer_model(config, application="lm", with_mlm="linear")
    >>> c = keras.ops.convert_to_numpy(cond.get_layer("label_embedding").embeddings)[1]
    >>> fold_condition(cond, plain, c, activation="swish")
    >>> ids = np.array([[2, 5, 7]])
    >>> a = cond.predict([ids, 0 * ids, np.array([1])], verbose=0)
    >>> b = plain.predict([ids, 0 * ids], verbose=0)
    >>> bool(np.allclose(a, b, atol=1e-5))
    True
"""

from __future__ import annotations

import keras
import numpy as np

from kexue.ops import get_activation

__all__ = ["fold_condition"]


def _values(model) -> dict[str, np.ndarray]:
    return {v.path: keras.ops.convert_to_numpy(v) for v in model.weights}


def fold_condition(conditional, plain, condition, activation: str = "linear") -> None:
    """Set ``plain`` (the backbone without the condition) to ``conditional`` with its condition
    fixed to the vector ``condition`` (what the model's condition input would compute, e.g. a
    class's one-hot vector or embedding row). ``activation``: the condition's hidden activation
    (``layer_norm_cond_hidden_act``). Weights of ``conditional`` outside the backbone (a label
    embedding) are ignored."""
    values = _values(conditional)
    c = np.asarray(condition, dtype="float32")
    act = get_activation(activation)
    folded = dict(values)
    for path in values:
        if not path.endswith("/condition_gamma/kernel") and not path.endswith("/condition_beta/kernel"):
            continue
        norm, which = path.rsplit("/", 2)[0], "gamma" if "condition_gamma" in path else "beta"
        h = c
        if f"{norm}/condition_hidden/kernel" in values:
            h = keras.ops.convert_to_numpy(act(c @ values[f"{norm}/condition_hidden/kernel"]))
        folded[f"{norm}/{which}"] = values[f"{norm}/{which}"] + h @ values[path]
    missing = [v.path for v in plain.weights if v.path not in folded]
    if missing:
        raise ValueError(f"the plain model has weights the conditional one lacks: {missing[:5]}; "
                         "build both from the same backbone.")
    for variable in plain.weights:
        variable.assign(folded[variable.path].astype(variable.dtype))
