"""Which inputs an RNN found important (the post on RNN input saliency, 科学空间 4582).

An RNN reads a sentence word by word; ``h_t`` is its state after ``t`` words, ``h_0`` the
initial (zero) state and ``h_n`` the final one, which is all a classifier on top sees. Word
``t`` moves the state from ``h_{t−1}`` to ``h_t``; how much closer that brings it to where it
ends up is the word's importance

    importance_t = ‖h_n − h_{t−1}‖ − ‖h_n − h_t‖.

A word that pushes the state towards its final value scores high, one the RNN soon
"forgets" scores near zero or below. The sum over the words telescopes to ``‖h_n − h_0‖``, so
the scores split the total distance travelled among the words.

:func:`rnn_states` returns ``h_0 .. h_n`` of any one-directional Keras RNN layer
(``SimpleRNN``, ``GRU``, ``LSTM``, ``keras.layers.RNN`` with a cell); :func:`rnn_saliency`
takes that layer and its input vectors, or a whole model containing one RNN layer and the
model's inputs (token ids, say).

Example:
    >>> import keras, numpy as np
    >>> from kexue.saliency import rnn_saliency, rnn_states
    >>> gru = keras.layers.GRU(4)
    >>> x = np.random.default_rng(0).normal(size=(2, 5, 3)).astype("float32")
    >>> scores = rnn_saliency(gru, x)
    >>> states = rnn_states(gru, x)
    >>> bool(np.allclose(scores.sum(1), np.linalg.norm(states[:, -1] - states[:, 0], axis=1)))
    True
"""

from __future__ import annotations

import keras
import numpy as np

__all__ = ["find_rnn", "rnn_saliency", "rnn_states"]


def find_rnn(model: keras.Model, name: str | None = None) -> keras.layers.RNN:
    """The model's one RNN layer (or the one called ``name``), with a clear error otherwise."""
    if name is not None:
        layer = model.get_layer(name)
        if not isinstance(layer, keras.layers.RNN):
            raise ValueError(f"layer {name!r} is a {type(layer).__name__}, not a Keras RNN layer.")
        return layer
    found = [layer for layer in model.layers if isinstance(layer, keras.layers.RNN)]
    if len(found) != 1:
        wrapped = [layer.name for layer in model.layers if isinstance(layer, keras.layers.Bidirectional)]
        hint = (f" (Bidirectional layers {wrapped} read both ways; saliency needs a one-directional"
                " RNN)" if wrapped else "")
        raise ValueError(
            f"the model has {len(found)} top-level RNN layers{hint}; pass rnn=<layer name> "
            f"to choose one (found: {[layer.name for layer in found]})."
        )
    return found[0]


def rnn_states(rnn: keras.layers.RNN, sequences, mask=None, batch_size: int = 256) -> np.ndarray:
    """``h_0, h_1, ..., h_T`` of ``rnn`` over ``sequences`` ``(batch, T, features)``:
    a float64 array ``(batch, T + 1, units)`` (``h_0`` is the zero initial state).

    ``mask`` ``(batch, T)`` marks the real steps (True) of padded sequences; at a padded step
    the state stays where it was, as in a masked Keras RNN.
    """
    if not isinstance(rnn, keras.layers.RNN):
        raise TypeError(f"rnn must be a Keras RNN layer (SimpleRNN, GRU, LSTM, RNN); got "
                        f"{type(rnn).__name__}.")
    if rnn.go_backwards or rnn.stateful:
        raise ValueError(f"{rnn.name}: saliency reads the words in order from a zero state; "
                         "go_backwards and stateful RNNs are not supported.")
    sequences = np.asarray(sequences, dtype="float32")
    if sequences.ndim != 3:
        raise ValueError(f"sequences must be (batch, time, features); got shape {sequences.shape}.")
    mask = _check_mask(mask, sequences.shape[:2])
    if not rnn.built:  # as calling it would: fresh weights
        rnn.build((None,) + sequences.shape[1:])
    config = {**rnn.get_config(), "return_sequences": True, "return_state": False,
              "name": f"{rnn.name}_states"}
    clone = type(rnn).from_config(config)
    clone.build((None,) + sequences.shape[1:])
    clone.set_weights(rnn.get_weights())
    chunks = []
    for start in range(0, len(sequences), batch_size):
        part = slice(start, start + batch_size)
        out = clone(sequences[part], mask=None if mask is None else mask[part])
        chunks.append(keras.ops.convert_to_numpy(out).astype("float64"))
    outputs = np.concatenate(chunks)
    if mask is not None:  # a padded step keeps the previous state
        for t in range(outputs.shape[1]):
            previous = outputs[:, t - 1] if t else 0.0
            outputs[:, t] = np.where(mask[:, t, None], outputs[:, t], previous)
    return np.concatenate([np.zeros_like(outputs[:, :1]), outputs], axis=1)


def rnn_saliency(model, inputs, mask=None, rnn: str | None = None, batch_size: int = 256) -> np.ndarray:
    """Importance ``‖h_n − h_{t−1}‖ − ‖h_n − h_t‖`` of every input step: ``(batch, T)``
    float64, 0 at padded steps.

    ``model`` is an RNN layer (``inputs`` are its input vectors ``(batch, T, features)``) or a
    Keras model with one top-level RNN layer (``inputs`` are the model's inputs, e.g. token
    ids; ``rnn`` names the layer when there are several). ``mask`` ``(batch, T)`` marks the real
    steps of padded inputs (e.g. ``ids != 0``).
    """
    if isinstance(model, keras.layers.RNN):
        layer, vectors = model, inputs
    elif isinstance(model, keras.Model):
        layer = find_rnn(model, rnn)
        feeds = layer.input if isinstance(layer.input, (list, tuple)) else [layer.input]
        masks = [t for t in feeds[1:] if t.dtype == "bool" and len(t.shape) == 2]
        if len(feeds) - 1 != len(masks) or len(masks) > 1:
            raise ValueError(f"{layer.name} is called with more than its sequence and mask (an "
                             "initial_state?); saliency starts from the zero state.")
        outputs = keras.Model(model.inputs, feeds[:1] + masks).predict(
            inputs, batch_size=batch_size, verbose=0)
        vectors = outputs[0] if masks else outputs
        if masks and mask is None:  # the model's own mask (e.g. Embedding(mask_zero=True))
            mask = outputs[1]
    else:
        raise TypeError(f"model must be a Keras RNN layer or a Keras model; got {type(model).__name__}.")
    states = rnn_states(layer, vectors, mask=mask, batch_size=batch_size)
    final = states[:, -1:]
    distance = np.linalg.norm(final - states, axis=-1)  # (batch, T + 1): ‖h_n − h_t‖
    scores = distance[:, :-1] - distance[:, 1:]
    if mask is not None:
        scores = np.where(_check_mask(mask, scores.shape), scores, 0.0)
    return scores


def _check_mask(mask, shape) -> np.ndarray | None:
    if mask is None:
        return None
    mask = np.asarray(mask).astype(bool)
    if mask.shape != tuple(shape):
        raise ValueError(f"mask must have shape (batch, time) = {tuple(shape)}; got {mask.shape}.")
    return mask
