"""``CheckedModel``: a functional ``keras.Model`` that checks its inputs on the host first.

Every entry point with data -- calling the model, ``predict``, ``fit`` (and its validation
data), ``evaluate``, ``*_on_batch`` -- runs :class:`~kexue.models.inputs.InputChecks` on the
NumPy side before Keras is reached, so a bad id, a too-long sequence, mismatched batches or an
empty batch get one clear ``ValueError`` on every backend and never reach the compiled step.
Batches from a ``keras.utils.PyDataset`` (``kexue.data.DataGenerator``) or a Python generator
are checked as they are produced. On JAX, a failure inside Keras still leaves the model's
weights in place (:func:`kexue.backend.keep_variables_on_error`).

``build_transformer_model`` returns this class. A model built on top of one (a head on the
encoder output) keeps the checks when it is built with this class too::

    encoder = build_transformer_model(config, checkpoint)
    model = CheckedModel(encoder.inputs, head(encoder.output), input_checks=encoder.input_checks)

Example:
    >>> import numpy as np
    >>> from kexue.models import build_transformer_model
    >>> model = build_transformer_model(dict(vocab_size=50, hidden_size=16, num_hidden_layers=1,
    ...                                      num_attention_heads=2, intermediate_size=32))
    >>> type(model).__name__
    'CheckedModel'
    >>> try:
    ...     model.predict([np.array([[2, 60]]), np.array([[0, 0]])], verbose=0)
    ... except ValueError as error:
    ...     print(str(error).split(":")[0])
    token_ids holds id 60 (row 0, position 1), but vocab_size is 50
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

import keras

from kexue.backend import keep_variables_on_error
from kexue.models.inputs import InputChecks

__all__ = ["CheckedModel"]


def _inputs_of(batch: Any) -> Any:
    """The model-input part of a batch as Keras reads it: ``(x,)``, ``(x, y)``, ``(x, y, w)``
    (lists count as tuples), a dict, or a bare array."""
    if isinstance(batch, (tuple, list)) and not isinstance(batch, Mapping):
        return batch[0] if batch else batch
    return batch


class _CheckedBatches(keras.utils.PyDataset):
    """A ``PyDataset`` whose batches are checked as they are served (order, length, epoch
    hooks and worker settings are the wrapped dataset's)."""

    def __init__(self, inner: keras.utils.PyDataset, checks: InputChecks, names: list[str]):
        super().__init__(
            workers=inner.workers,
            use_multiprocessing=inner.use_multiprocessing,
            max_queue_size=inner.max_queue_size,
        )
        self.inner, self.checks, self.names = inner, checks, names

    def __getitem__(self, index):
        batch = self.inner[index]
        self.checks.check(_inputs_of(batch), self.names)
        return batch

    @property
    def num_batches(self):
        return self.inner.num_batches

    def on_epoch_begin(self):
        self.inner.on_epoch_begin()

    def on_epoch_end(self):
        self.inner.on_epoch_end()


def _checked_generator(batches: Iterator, checks: InputChecks, names: list[str]) -> Iterator:
    for batch in batches:
        checks.check(_inputs_of(batch), names)
        yield batch


@keras.saving.register_keras_serializable(package="kexue")
class CheckedModel(keras.Model):
    """A functional model (``CheckedModel(inputs, outputs, input_checks=...)``) that checks
    its inputs on the host; ``input_checks`` is an :class:`InputChecks` or its config."""

    def __init__(self, *args, input_checks: InputChecks | Mapping | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if not isinstance(input_checks, InputChecks):
            input_checks = InputChecks.from_config(input_checks)
        self.input_checks = input_checks
        self._host_checked = 0  # > 0 inside fit/predict/...: the data was checked already

    def get_config(self):
        config = super().get_config()
        config["input_checks"] = self.input_checks.get_config()
        return config

    @property
    def _names(self) -> list[str]:
        return [tensor.name for tensor in self.inputs]

    def _check(self, x: Any) -> Any:
        """Check array data now; wrap batch sources so each batch is checked when served."""
        if x is None:
            return x
        if isinstance(x, keras.utils.PyDataset):
            return _CheckedBatches(x, self.input_checks, self._names)
        if isinstance(x, Iterator):
            return _checked_generator(x, self.input_checks, self._names)
        if type(x).__module__.split(".")[0] in ("tensorflow", "torch", "grain") and not keras.ops.is_tensor(x):
            return x  # tf.data / DataLoader / grain pipelines: checked by the model call on torch only
        self.input_checks.check(x, self._names)
        return x

    @contextlib.contextmanager
    def _guarded(self):
        self._host_checked += 1
        try:
            with keep_variables_on_error(self):
                yield
        finally:
            self._host_checked -= 1

    def __call__(self, *args, **kwargs):
        if not self._host_checked:
            x = args[0] if args else kwargs.get("inputs")
            if x is not None:
                self.input_checks.check(x, self._names)
        return super().__call__(*args, **kwargs)

    def predict(self, x, *args, **kwargs):
        x = self._check(x)
        with self._guarded():
            return super().predict(x, *args, **kwargs)

    def evaluate(self, x=None, *args, **kwargs):
        x = self._check(x)
        with self._guarded():
            return super().evaluate(x, *args, **kwargs)

    def fit(self, x=None, *args, **kwargs):
        x = self._check(x)
        validation = kwargs.get("validation_data")
        if isinstance(validation, (tuple, list)) and validation:
            self.input_checks.check(validation[0], self._names)
        elif validation is not None:
            kwargs["validation_data"] = self._check(validation)
        with self._guarded():
            return super().fit(x, *args, **kwargs)

    def predict_on_batch(self, x):
        self.input_checks.check(x, self._names)
        with self._guarded():
            return super().predict_on_batch(x)

    def train_on_batch(self, x, *args, **kwargs):
        self.input_checks.check(x, self._names)
        with self._guarded():
            return super().train_on_batch(x, *args, **kwargs)

    def test_on_batch(self, x, *args, **kwargs):
        self.input_checks.check(x, self._names)
        with self._guarded():
            return super().test_on_batch(x, *args, **kwargs)
