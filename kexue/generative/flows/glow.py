"""Flow models for images and points: NICE, RealNVP and Glow, trained by maximum likelihood.

One class, :class:`FlowModel`, stacks flow layers chosen by ``architecture``:

- ``"nice"``: flatten, ``steps`` additive couplings with alternating halves, then a diagonal
  scale (NICE, Dinh et al. 2014).
- ``"realnvp"``: flatten, ``steps`` affine couplings with alternating halves, each preceded by
  Actnorm (a vector RealNVP).
- ``"glow"``: ``levels`` scales; each squeezes, applies ``steps`` x (Actnorm, invertible 1x1
  convolution, affine coupling) and, except the last, splits half the channels off under a
  conditional prior (Glow, Kingma & Dhariwal 2018).
- ``"iresnet"``: flatten, ``steps`` x (Actnorm, invertible residual block) (i-ResNet, Behrmann
  et al. 2019; the log-det is the stochastic power-series estimate while training).

Images in [0, 1] with ``n_bins`` grey levels are dequantised with uniform noise and centred; the
model's output (and loss) is the per-sample negative log-likelihood in bits per dimension of the
discrete data (an upper bound, as usual for dequantised flows). With ``n_bins=None`` the data
are treated as continuous and the output is the negative log-density in nats per dimension.
Call :func:`~kexue.generative.flows.actnorm.data_dependent_init` on a batch before ``fit``.

Example:
    >>> import numpy as np, keras
    >>> from kexue.generative.flows.glow import FlowModel
    >>> from kexue.generative.flows.actnorm import data_dependent_init
    >>> x = np.random.default_rng(0).integers(0, 17, size=(64, 8, 8, 1)).astype("float32") / 16
    >>> model = FlowModel("glow", input_shape=(8, 8, 1), levels=2, steps=2, hidden=16)
    >>> _ = data_dependent_init(model, x)
    >>> model.compile(optimizer=keras.optimizers.Adam(1e-3))
    >>> history = model.fit(x, batch_size=32, epochs=1, verbose=0)
    >>> model.sample(4, seed=0).shape
    (4, 8, 8, 1)
"""

from __future__ import annotations

import math

import keras
import numpy as np
from keras import ops

from kexue.generative.flows.actnorm import Actnorm
from kexue.generative.flows.coupling import Coupling
from kexue.generative.flows.invconv import InvertibleConv1x1
from kexue.generative.flows.iresnet import InvertibleResidual
from kexue.generative.flows.split import Split
from kexue.generative.flows.squeeze import Flatten, Squeeze

ARCHITECTURES = ("nice", "realnvp", "glow", "iresnet")
LOG_2PI = math.log(2 * math.pi)


def build_flow_layers(architecture: str, input_shape: tuple, levels: int, steps: int,
                      hidden: int, seed: int) -> list:
    """The list of flow layers for one of :data:`ARCHITECTURES`."""
    if architecture == "nice":
        layers = [Flatten(name="flatten")]
        layers += [Coupling("additive", hidden, depth=3, parity=i % 2, name=f"coupling_{i}")
                   for i in range(steps)]
        return layers + [Actnorm(data_init=False, name="scale")]
    if architecture == "realnvp":
        layers = [Flatten(name="flatten")] if len(input_shape) > 1 else []
        for i in range(steps):
            layers += [Actnorm(name=f"actnorm_{i}"),
                       Coupling("affine", hidden, depth=2, parity=i % 2, name=f"coupling_{i}")]
        return layers
    if architecture == "iresnet":
        layers = [Flatten(name="flatten")] if len(input_shape) > 1 else []
        for i in range(steps):
            layers += [Actnorm(name=f"actnorm_{i}"),
                       InvertibleResidual(hidden, depth=2, seed=seed + i, name=f"residual_{i}")]
        return layers
    if len(input_shape) != 3:
        raise ValueError(f"glow needs image input (H, W, C); got input_shape={input_shape}.")
    if input_shape[0] % 2 ** levels or input_shape[1] % 2 ** levels:
        raise ValueError(f"glow with {levels} levels needs H and W divisible by {2 ** levels}; "
                         f"got {input_shape[:2]}. Use fewer levels.")
    layers = []
    for level in range(levels):
        layers.append(Squeeze(name=f"squeeze_{level}"))
        for i in range(steps):
            tag = f"{level}_{i}"
            layers += [Actnorm(name=f"actnorm_{tag}"),
                       InvertibleConv1x1(seed=seed + 100 * level + i, name=f"invconv_{tag}"),
                       Coupling("affine", hidden, depth=2, name=f"coupling_{tag}")]
        if level < levels - 1:
            layers.append(Split(name=f"split_{level}"))
    return layers


@keras.saving.register_keras_serializable(package="kexue")
class FlowModel(keras.Model):
    """NICE / RealNVP / Glow; ``model(x)`` is the per-sample NLL (bits/dim, or nats/dim).

    Args:
        architecture: ``"nice"``, ``"realnvp"`` or ``"glow"``.
        input_shape: shape of one example, e.g. ``(8, 8, 1)`` or ``(2,)``.
        levels: number of scales (glow only).
        steps: coupling steps (per level for glow).
        hidden: conditioner width.
        n_bins: grey levels of the data in [0, 1] (17 for sklearn digits); ``None`` for
            continuous data.
        seed: seed for the random rotations and the dequantisation noise.
    """

    def __init__(self, architecture: str = "glow", input_shape: tuple = (8, 8, 1), levels: int = 2,
                 steps: int = 4, hidden: int = 64, n_bins: int | None = 17, seed: int = 0,
                 **kwargs):
        super().__init__(**kwargs)
        if architecture not in ARCHITECTURES:
            raise ValueError(f"architecture must be one of {ARCHITECTURES}; got {architecture!r}.")
        if n_bins is not None and n_bins < 2:
            raise ValueError(f"n_bins must be at least 2 (or None for continuous data); got {n_bins}.")
        self.architecture, self.levels, self.steps = architecture, int(levels), int(steps)
        self.data_shape = tuple(int(d) for d in input_shape)
        self.hidden, self.n_bins, self.seed = int(hidden), n_bins, int(seed)
        self.dims = int(np.prod(self.data_shape))
        self.flow = build_flow_layers(architecture, self.data_shape, self.levels, self.steps,
                                      self.hidden, self.seed)
        self.noise = keras.random.SeedGenerator(seed)

    def _check(self, x):
        if tuple(x.shape[1:]) != self.data_shape:
            raise ValueError(f"FlowModel expects inputs of shape (batch,) + {self.data_shape}; "
                             f"got {tuple(x.shape)}.")

    def preprocess(self, x):
        """Dequantise (uniform noise) and centre discrete data; identity for continuous data."""
        x = ops.convert_to_tensor(x, dtype=self.compute_dtype)
        if self.n_bins is None:
            return x
        u = keras.random.uniform(ops.shape(x), seed=self.noise, dtype=x.dtype)
        return (x * (self.n_bins - 1) + u) / self.n_bins - 0.5

    def encode(self, x):
        """Map (already preprocessed) ``x`` to the list of latents and the total log-determinant."""
        latents, logdet, h = [], 0.0, x
        for layer in self.flow:
            out, ld = layer(h)
            if isinstance(layer, Split):
                h, eps = out
                latents.append(eps)
            else:
                h = out
            logdet = logdet + ld
        return latents + [h], logdet

    def decode(self, latents):
        """Inverse of :meth:`encode`: the list of latents back to data space."""
        latents = list(latents)
        h = latents.pop()
        for layer in reversed(self.flow):
            h = layer((h, latents.pop()) if isinstance(layer, Split) else h, inverse=True)
        return h

    def log_prob(self, x):
        """Log-density (nats) of preprocessed ``x`` under the flow, shape (batch,)."""
        latents, logdet = self.encode(x)
        log_pz = sum(-0.5 * ops.sum(ops.reshape(z * z + LOG_2PI, (ops.shape(z)[0], -1)), axis=-1)
                     for z in latents)
        return log_pz + logdet

    def call(self, x, training=None):
        self._check(x)
        nll = -self.log_prob(self.preprocess(x)) / self.dims
        if self.n_bins is None:
            return nll
        return (nll + math.log(self.n_bins)) / math.log(2.0)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        return ops.mean(y_pred)

    def sample(self, n: int, temperature: float = 1.0, seed: int | None = None) -> np.ndarray:
        """Draw ``n`` samples (NumPy), clipped to [0, 1] for discrete data."""
        dummy = ops.zeros((1,) + self.data_shape, dtype=self.compute_dtype)
        shapes = [tuple(z.shape[1:]) for z in self.encode(dummy)[0]]
        rng = np.random.default_rng(seed)
        latents = [(temperature * rng.standard_normal((n,) + s)).astype("float32") for s in shapes]
        return self.postprocess(self.decode(latents))

    def postprocess(self, x) -> np.ndarray:
        """Back from the model's space to data space (NumPy)."""
        x = np.asarray(ops.convert_to_numpy(x))
        return x if self.n_bins is None else np.clip(x + 0.5, 0.0, 1.0)

    def get_config(self):
        return {**super().get_config(), "architecture": self.architecture,
                "input_shape": self.data_shape, "levels": self.levels, "steps": self.steps,
                "hidden": self.hidden, "n_bins": self.n_bins, "seed": self.seed}
