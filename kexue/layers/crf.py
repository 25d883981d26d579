"""Linear-chain conditional random field (CRF) as a Keras layer, with bert4keras's interface.

A label path y₁…yₙ over unary potentials h (the layer's input) scores
s(y) = Σₜ h[t, yₜ] + Σₜ trans[yₜ₋₁, yₜ]; the model is p(y|x) = exp s(y) / Z with
log Z = logsumexp over all paths, computed by the forward algorithm. The loss is log Z − s(y).

The layer is the identity on real tokens and writes a large negative number at padded ones: that
is how the mask reaches the loss and metric methods, which see only ``(y_true, y_pred)``.
"""

from __future__ import annotations

import keras
from keras import ops

from kexue.backend import Tensor
from kexue.layers.viterbi import viterbi_decode
from kexue.masking import LARGE_NEGATIVE, MASK_THRESHOLD

#: Score written at padded positions; anything below ``MASK_THRESHOLD`` counts as padding
#: (both from :mod:`kexue.masking`, kept here under their old names).
NEG_INF = LARGE_NEGATIVE


def mask_from_potentials(y_pred: Tensor, mask: Tensor | None = None) -> Tensor:
    """Boolean (batch, length) mask: ``mask`` when given, else positions the layer did not pad."""
    if mask is not None:
        return ops.cast(mask, "bool")
    return ops.all(ops.greater(y_pred, MASK_THRESHOLD), axis=-1)


def left_align(mask: Tensor) -> Tensor:
    """Indices (batch, length) that move the valid positions to the front, keeping their order.

    Gathering a sequence with them turns any mask (left, right or interior padding) into a
    valid prefix, so consecutive valid tokens become neighbours.
    """
    length = ops.shape(mask)[1]
    positions = ops.arange(length, dtype="int32")[None, :]
    key = ops.where(mask, positions, positions + length)
    return ops.cast(ops.argsort(key, axis=1), "int32")


def gather_time(x: Tensor, order: Tensor) -> Tensor:
    """Reorder axis 1 of ``x`` (rank 2 or 3) by ``order`` (batch, length)."""
    if len(x.shape) == 3:
        order = order[..., None]
    return ops.take_along_axis(x, order, axis=1)


def sparse_labels(y_true: Tensor) -> Tensor:
    """int32 (batch, length) labels from (batch, length) or (batch, length, 1)."""
    y_true = ops.convert_to_tensor(y_true)
    if len(y_true.shape) == 3:
        if y_true.shape[-1] != 1:
            raise ValueError(
                "Sparse labels must have shape (batch, length) or (batch, length, 1); got "
                f"{tuple(y_true.shape)}. Use the dense_* method for one-hot labels."
            )
        y_true = ops.squeeze(y_true, -1)
    return ops.cast(y_true, "int32")


def framewise_accuracy(
    y_true: Tensor, y_pred: Tensor, mask: Tensor | None = None
) -> Tensor:
    """Share of real tokens whose argmax potential equals the label (bert4keras semantics)."""
    y_pred = ops.convert_to_tensor(y_pred)
    valid = ops.cast(mask_from_potentials(y_pred, mask), "float32")
    hits = ops.cast(
        ops.equal(sparse_labels(y_true), ops.argmax(y_pred, axis=-1)), "float32"
    )
    return ops.sum(hits * valid) / ops.maximum(ops.sum(valid), 1.0)


class TransitionHead(keras.layers.Layer):
    """What the CRF and MEMM heads share: transition parameters with a learning-rate
    multiplier, the mask written into the outputs, and Viterbi decoding.

    Subclasses create their variables with `_add_scaled_weight` in ``build`` and return the
    (num_labels, num_labels) matrix from `_transitions`.
    """

    def __init__(
        self,
        lr_multiplier: float = 1.0,
        trans_initializer="glorot_uniform",
        **kwargs,
    ):
        super().__init__(**kwargs)
        if not lr_multiplier > 0:
            raise ValueError(f"`lr_multiplier` must be positive; got {lr_multiplier}.")
        self.lr_multiplier = float(lr_multiplier)
        self.trans_initializer = keras.initializers.get(trans_initializer)

    def _num_labels(self, input_shape) -> int:
        if input_shape[-1] is None:
            raise ValueError(
                f"The last axis of the {type(self).__name__} input (the number of labels) "
                "must be known."
            )
        return input_shape[-1]

    def _add_scaled_weight(self, name: str, shape: tuple):
        """A variable holding ``value / lr_multiplier`` (so its updates are scaled)."""
        variable = self.add_weight(
            name=name, shape=shape, initializer=self.trans_initializer
        )
        if self.lr_multiplier != 1.0:
            variable.assign(variable / self.lr_multiplier)
        return variable

    def _scaled(self, variable) -> Tensor:
        return variable * self.lr_multiplier if self.lr_multiplier != 1.0 else variable

    def _transitions(self) -> Tensor:
        raise NotImplementedError

    @property
    def trans(self) -> Tensor:
        """The (num_labels, num_labels) transition matrix, ``trans[i, j]`` for label i → j."""
        if not self.built:
            raise ValueError(
                f"The {type(self).__name__} has no transition matrix until it is built: call "
                "it on potentials (batch, length, num_labels) or call `build(input_shape)`."
            )
        return self._transitions()

    def call(self, inputs, mask=None):
        if mask is None:
            return inputs
        mask = ops.cast(mask, "bool")[..., None]
        return ops.where(mask, inputs, ops.cast(NEG_INF, inputs.dtype))

    def compute_mask(self, inputs, mask=None):
        # The mask now lives in the outputs themselves (see the module docstring).
        return None

    def compute_output_shape(self, input_shape):
        return input_shape

    def sparse_accuracy(
        self, y_true: Tensor, y_pred: Tensor, mask: Tensor | None = None
    ) -> Tensor:
        """Token accuracy of the per-position argmax of the potentials, padding excluded
        (bert4keras's cheap training metric; decode for the accuracy of the best path)."""
        return framewise_accuracy(y_true, y_pred, mask)

    def dense_accuracy(
        self, y_true: Tensor, y_pred: Tensor, mask: Tensor | None = None
    ) -> Tensor:
        """`sparse_accuracy` for one-hot ``y_true``."""
        return framewise_accuracy(ops.argmax(y_true, axis=-1), y_pred, mask)

    def decode(self, y_pred: Tensor, mask: Tensor | None = None) -> Tensor:
        """Best paths of Σ h + Σ trans (int32, 0 at padding) by the in-graph Viterbi algorithm."""
        y_pred = ops.cast(y_pred, "float32")
        mask = mask_from_potentials(y_pred, mask)
        return viterbi_decode(y_pred, self.trans, mask)[0]

    def get_config(self):
        config = super().get_config()
        config.update(
            lr_multiplier=self.lr_multiplier,
            trans_initializer=keras.initializers.serialize(self.trans_initializer),
        )
        return config


@keras.saving.register_keras_serializable(package="kexue")
class ConditionalRandomField(TransitionHead):
    """Linear-chain CRF head: learns the transition matrix ``trans`` and provides the losses.

    Put it after a ``Dense(num_labels)`` layer; compile with ``loss=crf.sparse_loss`` (integer
    labels) or ``crf.dense_loss`` (one-hot), and ``metrics=[crf.sparse_accuracy]``. Decode with
    ``crf.decode`` (in graph) or ``kexue.decoding.viterbi.ViterbiDecoder(crf.trans)`` (NumPy).

    Args:
        lr_multiplier: scales the learning rate of ``trans``. The variable stores
            ``trans / lr_multiplier`` and is multiplied back in use, so this works with any
            optimizer (the effective step is ``lr_multiplier``× for Adam-like optimizers,
            ``lr_multiplier``²× for SGD).
        trans_initializer: initializer of the transition matrix.

    Mask: from Keras masking (e.g. ``Embedding(mask_zero=True)``) or an explicit ``mask``
    argument; any pattern of padded positions works.

    Example:
        >>> import numpy as np, keras
        >>> tokens = keras.Input((None,), dtype="int32")
        >>> x = keras.layers.Embedding(10, 8, mask_zero=True)(tokens)
        >>> crf = ConditionalRandomField(lr_multiplier=10)
        >>> model = keras.Model(tokens, crf(keras.layers.Dense(3)(x)))
        >>> model.compile("adam", loss=crf.sparse_loss, metrics=[crf.sparse_accuracy])
        >>> tuple(crf.trans.shape)
        (3, 3)
        >>> y_pred = model.predict(np.array([[1, 2, 0]]), verbose=0)
        >>> bool(y_pred[0, 2].max() < -1e6)
        True
    """

    def build(self, input_shape):
        num_labels = self._num_labels(input_shape)
        self._trans = self._add_scaled_weight("trans", (num_labels, num_labels))

    def _transitions(self) -> Tensor:
        return self._scaled(self._trans)

    def set_trans(self, value: Tensor) -> None:
        """Assign the transition matrix (e.g. from a bert4keras checkpoint)."""
        value = ops.convert_to_tensor(value, dtype=self._trans.dtype)
        self._trans.assign(value / self.lr_multiplier)

    # ----------------------------------------------------------------- scores and losses
    def _prepare(self, y_true, y_pred, mask):
        """Cast to float32, left-align the valid positions and zero the padded potentials."""
        y_pred = ops.cast(y_pred, "float32")
        mask = mask_from_potentials(y_pred, mask)
        order = left_align(mask)
        y_pred, y_true, mask = (gather_time(t, order) for t in (y_pred, y_true, mask))
        y_pred = ops.where(mask[..., None], y_pred, ops.zeros_like(y_pred))
        return y_true, y_pred, mask

    def target_score(self, y_true: Tensor, y_pred: Tensor, mask: Tensor) -> Tensor:
        """Path score s(y) of (soft) one-hot labels; inputs must be left-aligned."""
        trans = ops.cast(self.trans, "float32")
        valid = ops.cast(mask, "float32")
        y_true = y_true * valid[..., None]
        unary = ops.sum(y_true * y_pred, axis=(1, 2))
        binary = ops.einsum("bti,ij,btj->b", y_true[:, :-1], trans, y_true[:, 1:])
        return unary + binary

    def log_norm(self, y_pred: Tensor, mask: Tensor) -> Tensor:
        """log Z by the forward algorithm; inputs must be left-aligned."""
        trans = ops.cast(self.trans, "float32")

        def step(alpha, inputs):
            node, valid = inputs
            new = ops.logsumexp(alpha[:, :, None] + trans[None], axis=1) + node
            return ops.where(valid[:, None], new, alpha), None

        rest = (
            ops.transpose(y_pred[:, 1:], (1, 0, 2)),
            ops.transpose(mask[:, 1:], (1, 0)),
        )
        alpha, _ = ops.scan(step, y_pred[:, 0], rest)
        return ops.logsumexp(alpha, axis=-1)

    def dense_loss(
        self, y_true: Tensor, y_pred: Tensor, mask: Tensor | None = None
    ) -> Tensor:
        """Per-sequence negative log-likelihood for one-hot ``y_true`` (batch, length, labels)."""
        y_true = ops.cast(y_true, "float32")
        if tuple(y_true.shape[-2:]) != tuple(ops.convert_to_tensor(y_pred).shape[-2:]):
            raise ValueError(
                "dense_loss needs one-hot labels shaped like the potentials (batch, length, "
                f"num_labels); got {tuple(y_true.shape)}. Use sparse_loss for integer labels."
            )
        y_true, y_pred, mask = self._prepare(y_true, y_pred, mask)
        loss = self.log_norm(y_pred, mask) - self.target_score(y_true, y_pred, mask)
        return ops.where(mask[:, 0], loss, ops.zeros_like(loss))

    def sparse_loss(
        self, y_true: Tensor, y_pred: Tensor, mask: Tensor | None = None
    ) -> Tensor:
        """Per-sequence negative log-likelihood for integer ``y_true`` (batch, length[, 1])."""
        y_pred = ops.convert_to_tensor(y_pred)
        y_true = ops.one_hot(sparse_labels(y_true), y_pred.shape[-1])
        return self.dense_loss(y_true, y_pred, mask)
