"""Running a composite layer's built sublayers: :func:`call_sublayer`.

Keras' ``Layer.__call__`` converts inputs, propagates masks and walks argument trees before it
reaches ``call``. A composite layer (attention, feed-forward, Transformer block) has done this
once in its own ``__call__``; repeating it for every projection inside costs tens of
microseconds per sublayer on eager torch (the whole budget of a one-token decoding step) and
breaks ``torch.compile`` graphs (``keras.tree``), so the blocks run their sublayers' ``call``
directly. The parent's autocast scope (mixed precision) still covers the sublayers' variables.

Example:
    >>> import numpy as np
    >>> from kexue.layers.linear import Linear
    >>> from kexue.layers.sublayer import call_sublayer
    >>> dense = Linear(3)
    >>> dense.build((None, 2))
    >>> tuple(call_sublayer(dense, np.ones((4, 2), "float32")).shape)
    (4, 3)
"""

from __future__ import annotations

from typing import Any

import keras


def call_sublayer(layer: keras.layers.Layer, *args: Any, **kwargs: Any) -> Any:
    """``layer.call(*args, **kwargs)`` for a built sublayer; a quantized layer (whose
    ``__call__`` dispatches to its quantized computation) and an unbuilt one go through
    ``layer(...)``."""
    if getattr(layer, "quantization_mode", None) or not layer.built:
        return layer(*args, **kwargs)
    return layer.call(*args, **kwargs)
