"""``Loss``: bert4keras' way of writing a loss as a layer, with the inputs' masks at hand.

Subclass it and write ``compute_loss(inputs, mask)``; call the layer on a list of tensors
(for example the model inputs and outputs); it adds the loss to the model (``add_loss``) and
returns ``inputs[output_axis]`` (all inputs when ``output_axis`` is None, a list of them for a
list). ``mask`` holds the Keras mask of each input (``None`` where an input has none), so a
Transformer output brings its padding mask along. Compile the resulting model without a loss:
``model.compile(optimizer)``.

Example:
    >>> import keras, numpy as np
    >>> from keras import ops
    >>> from kexue.layers import Loss
    >>> class MeanSquare(Loss):
    ...     def compute_loss(self, inputs, mask=None):
    ...         y_true, y_pred = inputs
    ...         return ops.mean(ops.square(y_true - y_pred))
    >>> x, y = keras.Input((3,)), keras.Input((1,))
    >>> out = MeanSquare(1)([y, keras.layers.Dense(1)(x)])
    >>> model = keras.Model([x, y], out)
    >>> model.compile("sgd")
    >>> history = model.fit([np.ones((4, 3)), np.zeros((4, 1))], epochs=1, verbose=0)
    >>> sorted(history.history)
    ['loss']
"""

from __future__ import annotations

import keras


@keras.saving.register_keras_serializable(package="kexue")
class Loss(keras.layers.Layer):
    """Base class of loss layers: ``compute_loss(inputs, mask)`` returns a scalar.

    Args:
        output_axis: which input(s) the layer returns: an index, a list of indices, or
            ``None`` for all of them.
    """

    def __init__(self, output_axis=None, **kwargs):
        super().__init__(**kwargs)
        self.output_axis = output_axis
        self.supports_masking = True

    def compute_loss(self, inputs, mask=None):
        """The loss (a scalar tensor) of ``inputs``; ``mask`` lists the inputs' masks."""
        raise NotImplementedError(f"{type(self).__name__} must define compute_loss(inputs, mask).")

    def call(self, inputs, mask=None):
        self.add_loss(self.compute_loss(inputs, mask))
        return self._select(inputs)

    def _select(self, items):
        if self.output_axis is None:
            return items
        if isinstance(self.output_axis, (list, tuple)):
            return [items[i] for i in self.output_axis]
        return items[self.output_axis]

    def compute_output_spec(self, inputs, mask=None):
        # The outputs are inputs; the loss is computed only when the model runs, so a mistake
        # in compute_loss shows its own error rather than Keras' shape-inference message.
        return keras.tree.map_structure(
            lambda x: keras.KerasTensor(x.shape, dtype=x.dtype), self._select(inputs)
        )

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        if not isinstance(mask, (list, tuple)):
            return mask
        return self._select(list(mask))

    def get_config(self):
        config = super().get_config()
        config.update(output_axis=self.output_axis)
        return config
