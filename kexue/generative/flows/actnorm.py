"""Actnorm (Glow): a per-channel affine map ``y = (x + loc) * exp(log_scale)`` whose parameters
can be initialised from the first batch, so that batch comes out zero-mean and unit-variance.

Data-dependent initialisation is explicit and eager: call :func:`data_dependent_init` with a
batch before training (on JAX the training step is traced, and a traced step cannot set
variables from data). With ``data_init=False`` the layer is a plain learnable diagonal scale and
shift (NICE's final scaling layer).

Example:
    >>> import numpy as np
    >>> from kexue.generative.flows.actnorm import Actnorm, data_dependent_init
    >>> x = np.random.default_rng(0).normal(3.0, 2.0, size=(256, 4)).astype("float32")
    >>> layer = Actnorm()
    >>> y = data_dependent_init(layer, x)[0]
    >>> bool(abs(float(y.mean())) < 1e-4 and abs(float(y.std()) - 1) < 1e-3)
    True
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from kexue.backend.keras_internals import all_sublayers
from kexue.generative.flows.base import FlowLayer, check_rank, spatial_size


@keras.saving.register_keras_serializable(package="kexue")
class Actnorm(FlowLayer):
    """Per-channel scale and shift with an exact log-determinant ``H*W*sum(log_scale)``.

    Args:
        data_init: whether :func:`data_dependent_init` should set the parameters from a batch.
        epsilon: added to the batch standard deviation during initialisation.
    """

    def __init__(self, data_init: bool = True, epsilon: float = 1e-6, **kwargs):
        super().__init__(**kwargs)
        self.data_init = bool(data_init)
        self.epsilon = float(epsilon)
        self.init_pending = False  # set only by data_dependent_init, never while tracing

    def build(self, input_shape):
        check_rank(input_shape, "Actnorm")
        channels = int(input_shape[-1])
        self.loc = self.add_weight(shape=(channels,), initializer="zeros", name="loc")
        self.log_scale = self.add_weight(shape=(channels,), initializer="zeros", name="log_scale")
        self.initialized = self.add_weight(
            shape=(), initializer="zeros", trainable=False, name="initialized"
        )

    def _initialize_from(self, x) -> None:
        axes = tuple(range(len(x.shape) - 1))
        mean = ops.mean(x, axis=axes)
        std = ops.sqrt(ops.var(x, axis=axes)) + self.epsilon
        self.loc.assign(-mean)
        self.log_scale.assign(-ops.log(std))
        self.initialized.assign(1.0)

    def transform(self, x):
        if self.init_pending:
            self._initialize_from(x)
            self.init_pending = False
        y = (x + self.loc) * ops.exp(self.log_scale)
        logdet = spatial_size(x) * ops.sum(self.log_scale) * ops.ones((ops.shape(x)[0],), x.dtype)
        return y, logdet

    def inverse(self, y):
        return y * ops.exp(-self.log_scale) - self.loc

    def get_config(self):
        return {**super().get_config(), "data_init": self.data_init, "epsilon": self.epsilon}


def data_dependent_init(flow: keras.layers.Layer, x, **call_kwargs):
    """Run ``flow(x)`` eagerly once, letting every not-yet-initialised :class:`Actnorm` inside it
    (with ``data_init=True``) set its parameters from the activations it sees; returns the output.

    Layers whose ``initialized`` flag is already 1 (for example after loading saved weights) are
    left alone, so calling this twice is harmless.
    """
    if not flow.built:
        flow(x, **call_kwargs)  # build the variables first (they start at identity)
    pending = []
    for layer in all_sublayers(flow):
        if (isinstance(layer, Actnorm) and layer.data_init
                and float(np.asarray(ops.convert_to_numpy(layer.initialized))) == 0.0):
            layer.init_pending = True
            pending.append(layer)
    try:
        return flow(x, **call_kwargs)
    finally:
        for layer in pending:
            layer.init_pending = False
