"""Sharding layouts for the Transformer families (``keras.distribution``, JAX backend).

:func:`get_layout_map` shards each block Megatron-style over the mesh's model axis: the
query/key/value and FFN-inner kernels by output columns (their biases with them), the attention
output and FFN-outer kernels by input rows, the token embedding by hidden units. Everything
else (norms, positions, heads) is replicated. Paths follow the Transformer's convention, with
or without a ``prefix`` (``encoder_layer_3/...``), so one map serves every family.
"""

from __future__ import annotations

import keras

__all__ = ["get_layout_map", "sharding_rules"]


def sharding_rules(model_dim: str = "model") -> dict[str, tuple]:
    """The ``{regex: axes}`` table behind :func:`get_layout_map` (mutually exclusive regexes).

    >>> sharding_rules()[".*attention/output/kernel"]
    ('model', None)
    """
    m = model_dim
    # Keras matches the whole path (re.fullmatch): ".*" admits scopes and prefixes.
    return {
        r".*token_embedding/embeddings": (None, m),
        r".*attention/(query|key|value)/kernel": (None, m),
        r".*attention/(query|key|value)/bias": (m,),
        r".*attention/output/kernel": (m, None),
        r".*feedforward/inner/kernel": (None, m),
        r".*feedforward/inner/bias": (m,),
        r".*feedforward/outer/kernel": (m, None),
    }


def get_layout_map(
    device_mesh: keras.distribution.DeviceMesh, model_dim: str = "model"
) -> keras.distribution.LayoutMap:
    """A ``LayoutMap`` for :class:`keras.distribution.ModelParallel` over ``device_mesh``.

    Args:
        device_mesh: a mesh with an axis named ``model_dim`` (e.g. shape (2, 2) with axis
            names ``("batch", "model")``: data parallel over ``batch``).
        model_dim: the mesh axis that shards the weights.

    Example::

        mesh = keras.distribution.DeviceMesh((2, 2), ("batch", "model"), keras.distribution.list_devices())
        keras.distribution.set_distribution(keras.distribution.ModelParallel(
            layout_map=get_layout_map(mesh), batch_dim_name="batch"))
        model = build_transformer_model(config, model="bert")   # built sharded
    """
    if model_dim not in device_mesh.axis_names:
        raise ValueError(
            f"the mesh has axes {list(device_mesh.axis_names)}, not {model_dim!r}; "
            "pass model_dim= one of them."
        )
    layout_map = keras.distribution.LayoutMap(device_mesh)
    for pattern, axes in sharding_rules(model_dim).items():
        layout_map[pattern] = axes
    return layout_map
