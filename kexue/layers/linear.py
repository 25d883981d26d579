"""``Linear``: Keras' ``Dense`` whose float path multiplies and adds the bias in one fused
kernel where the backend has one (:func:`kexue.backend.linear`). Same arguments, variables
(``kernel``, ``bias``), LoRA and quantisation behaviour as ``keras.layers.Dense``; used for
every projection inside the Transformer blocks.

Example:
    >>> import numpy as np
    >>> from kexue.layers.linear import Linear
    >>> tuple(Linear(4)(np.ones((2, 5, 3), "float32")).shape)
    (2, 5, 4)
"""

from __future__ import annotations

import keras

from kexue.backend import linear


@keras.saving.register_keras_serializable(package="kexue")
class Linear(keras.layers.Dense):
    """``keras.layers.Dense`` with a fused matmul + bias (see the module docstring)."""

    def call(self, inputs, training=None):
        # ``self.kernel`` already folds in LoRA; quantised layers never reach ``call``.
        x = linear(inputs, self.kernel, self.bias)
        return x if self.activation is None else self.activation(x)
