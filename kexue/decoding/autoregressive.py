"""bert4keras's ``AutoRegressiveDecoder``: subclass it, write ``predict``, then call
``beam_search`` or ``random_sample``. Works with any model, because ``predict`` is yours: the
usual one re-runs the model on the whole prefix at every step (no cache). For the fast,
KV-cached and compiled path see :func:`kexue.decoding.generate`.

``predict(self, inputs, output_ids, states)`` receives the (repeated) inputs as a list of
arrays with one row per live hypothesis and ``output_ids`` of shape ``(rows, steps)``, and
returns the next-token probabilities (``default_rtype="probas"``) or logits
(``default_rtype="logits"``) of shape ``(rows, vocab)``; with ``use_states=True`` it returns
``(scores, states)``. Decorate it with :meth:`AutoRegressiveDecoder.wraps`.

Example:
    >>> import numpy as np
    >>> from kexue.decoding import AutoRegressiveDecoder
    >>> table = np.log(np.array([[0.1, 0.6, 0.3], [0.8, 0.1, 0.1], [0.1, 0.6, 0.3]]))
    >>> class Bigram(AutoRegressiveDecoder):
    ...     @AutoRegressiveDecoder.wraps(default_rtype="logits")
    ...     def predict(self, inputs, output_ids, states):
    ...         return table[output_ids[:, -1]]
    >>> Bigram(start_id=2, end_id=0, maxlen=5).beam_search([], topk=2).tolist()
    [2, 1, 0]
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import keras
import numpy as np

from kexue.models.masks import AttentionMask, ContextMask, PaddingMask


def _softmax(x: np.ndarray) -> np.ndarray:
    x = x - x.max(axis=-1, keepdims=True)
    e = np.exp(x)
    return e / e.sum(axis=-1, keepdims=True)


class AutoRegressiveDecoder:
    """Base class of step-by-step decoders (beam search and random sampling).

    Args:
        start_id: token that starts every output (``None``: outputs start empty, as in UniLM
            where the source's last position predicts the first target token).
        end_id: token id (or several) that finishes a sequence.
        maxlen: most decoding steps.
        minlen: an end token only finishes a sequence once the output has this many tokens.
        bucket: how :meth:`last_token` runs a kexue model: ``"auto"`` (on JAX and TensorFlow)
            or ``True`` pads the growing inputs to bucket lengths and reuses one compiled
            forward pass per bucket, instead of compiling one per step; ``False`` runs
            ``predict`` on the exact shapes, as bert4keras did.
    """

    def __init__(self, start_id: int | None, end_id, maxlen: int, minlen: int = 1, bucket="auto"):
        if int(maxlen) < 1:
            raise ValueError(f"maxlen must be at least 1, got {maxlen}.")
        self.start_id = start_id
        self.end_id = end_id
        self.end_ids = np.atleast_1d(np.asarray(end_id, dtype="int64"))
        self.maxlen = int(maxlen)
        self.minlen = int(minlen)
        self.models: dict = {}
        self.bucket = bucket
        first = [] if start_id is None else [start_id]
        self.first_output_ids = np.array([first], dtype="int64").reshape(1, len(first))

    @staticmethod
    def wraps(default_rtype: str = "probas", use_states: bool = False) -> Callable:
        """Decorate ``predict``: adds ``temperature`` and ``rtype`` arguments.

        ``default_rtype`` says what ``predict`` returns (``"probas"`` or ``"logits"``);
        callers then ask for ``rtype="probas"`` (normalised) or ``rtype="logits"`` (log
        probabilities). Temperature ``T`` divides logits by ``T`` (raises probabilities to
        ``1/T``). ``use_states=True`` means ``predict`` returns ``(scores, states)``.
        """
        if default_rtype not in ("probas", "logits"):
            raise ValueError(f"default_rtype must be 'probas' or 'logits', got {default_rtype!r}.")

        def decorator(predict):
            @functools.wraps(predict)
            def wrapped(self, inputs, output_ids, states, temperature=1, rtype=default_rtype):
                if rtype not in ("probas", "logits"):
                    raise ValueError(f"rtype must be 'probas' or 'logits', got {rtype!r}.")
                result = predict(self, inputs, output_ids, states)
                scores, new_states = result if use_states else (result, None)
                scores = np.asarray(scores, dtype="float64")
                if default_rtype == "logits":
                    probas = _softmax(scores / temperature)
                elif temperature != 1:
                    probas = np.power(scores, 1.0 / temperature)
                    probas = probas / probas.sum(axis=-1, keepdims=True)
                else:
                    probas = scores
                if rtype == "probas":
                    return probas, new_states
                return np.log(probas + 1e-12), new_states

            return wrapped

        return decorator

    def last_token(self, model):
        """Something with ``predict(inputs)`` giving ``model``'s outputs at the last position
        (cached per model): a :class:`LastTokenPredictor`."""
        if model not in self.models:
            self.models[model] = LastTokenPredictor(model, bucket=self.bucket)
        return self.models[model]

    def predict(self, inputs, output_ids, states=None):
        """Return next-token scores for every row; override and decorate with :meth:`wraps`."""
        raise NotImplementedError("Subclass AutoRegressiveDecoder and define predict().")

    def _ended(self, output_ids: np.ndarray, min_ends: int) -> np.ndarray:
        last_is_end = np.isin(output_ids[:, -1], self.end_ids)
        counts = np.isin(output_ids, self.end_ids).sum(axis=1)
        return last_is_end & (counts >= min_ends)

    def beam_search(
        self,
        inputs: Sequence,
        topk: int,
        states=None,
        temperature: float = 1,
        min_ends: int = 1,
    ) -> np.ndarray:
        """Beam search with ``topk`` beams; returns the best sequence (1-D array).

        Scores are summed log-probabilities (no length penalty). Once the output is at least
        ``minlen`` long, decoding stops as soon as the best-scoring beam has ended (its last
        token is an end id and it holds ``min_ends`` end ids); finished beams that are not the
        best are dropped, and the beam shrinks accordingly.
        """
        if int(topk) < 1:
            raise ValueError(f"topk must be at least 1, got {topk}.")
        arrays = [np.array([x]) for x in inputs]
        output_ids, scores = self.first_output_ids, np.zeros(1)
        for step in range(self.maxlen):
            logp, states = self.predict(arrays, output_ids, states, temperature, "logits")
            if step == 0:
                arrays = [np.repeat(x, topk, axis=0) for x in arrays]
            total = scores[:, None] + logp
            flat = np.argpartition(total, -topk, axis=None)[-topk:]
            rows, cols = np.divmod(flat, total.shape[1])
            output_ids = np.concatenate([output_ids[rows], cols[:, None]], axis=1)
            scores = total[rows, cols]
            if output_ids.shape[1] < self.minlen:
                continue
            ended = self._ended(output_ids, min_ends)
            best = int(scores.argmax())
            if ended[best]:
                return output_ids[best]
            if ended.any():
                keep = ~ended
                arrays = [x[keep] for x in arrays]
                output_ids, scores = output_ids[keep], scores[keep]
                topk = int(keep.sum())
        return output_ids[int(scores.argmax())]

    def random_sample(
        self,
        inputs: Sequence,
        n: int,
        topk: int | None = None,
        topp: float | None = None,
        states=None,
        temperature: float = 1,
        min_ends: int = 1,
        seed: int | np.random.Generator | None = None,
    ) -> list[np.ndarray]:
        """Draw ``n`` sequences; returns a list of 1-D arrays (finished ones first).

        ``topk`` keeps only the ``topk`` most probable tokens at each step; ``topp`` keeps the
        smallest set of most probable tokens whose mass reaches ``topp`` (nucleus sampling).
        Both renormalise before sampling. ``seed`` makes the draw reproducible.
        """
        if int(n) < 1:
            raise ValueError(f"n must be at least 1, got {n}.")
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        arrays = [np.array([x]) for x in inputs]
        output_ids = self.first_output_ids
        results: list[np.ndarray] = []
        for step in range(self.maxlen):
            probas, states = self.predict(arrays, output_ids, states, temperature, "probas")
            probas = probas / probas.sum(axis=1, keepdims=True)
            if step == 0:
                probas = np.repeat(probas, n, axis=0)
                arrays = [np.repeat(x, n, axis=0) for x in arrays]
                output_ids = np.repeat(output_ids, n, axis=0)
            probas = restrict_support(probas, topk=topk, topp=topp)
            cumulative = np.cumsum(probas, axis=1)
            draws = rng.random((len(probas), 1)) * cumulative[:, -1:]
            sampled = np.minimum((cumulative <= draws).sum(axis=1), probas.shape[1] - 1)
            output_ids = np.concatenate([output_ids, sampled[:, None]], axis=1)
            if output_ids.shape[1] < self.minlen:
                continue
            ended = self._ended(output_ids, min_ends)
            if ended.any():
                results.extend(output_ids[ended])
                keep = ~ended
                arrays = [x[keep] for x in arrays]
                output_ids = output_ids[keep]
                if len(output_ids) == 0:
                    break
        results.extend(output_ids)
        return results


def restrict_support(probas: np.ndarray, topk: int | None = None, topp: float | None = None):
    """Zero all but the ``topk`` most probable entries, then all but the top-``topp`` nucleus,
    of each row of ``probas``, and renormalise (NumPy).

    Example:
        >>> import numpy as np
        >>> from kexue.decoding.autoregressive import restrict_support
        >>> restrict_support(np.array([[0.5, 0.3, 0.2]]), topp=0.7).round(3).tolist()
        [[0.625, 0.375, 0.0]]
    """
    probas = np.array(probas, dtype="float64")
    if topk is not None:
        if int(topk) < 1:
            raise ValueError(f"topk must be at least 1, got {topk}.")
        if topk < probas.shape[1]:
            order = np.argsort(-probas, axis=1, kind="stable")
            keep = np.zeros_like(probas, dtype=bool)
            np.put_along_axis(keep, order[:, : int(topk)], True, axis=1)
            probas = np.where(keep, probas, 0.0)
        probas /= probas.sum(axis=1, keepdims=True)
    if topp is not None:
        if not 0 < topp <= 1:
            raise ValueError(f"topp must be in (0, 1], got {topp}.")
        order = np.argsort(-probas, axis=1, kind="stable")
        ranked = np.take_along_axis(probas, order, axis=1)
        before = np.cumsum(ranked, axis=1) - ranked  # mass strictly above each entry
        ranked = np.where(before < topp, ranked, 0.0)
        probas = np.zeros_like(probas)
        np.put_along_axis(probas, order, ranked, axis=1)
        probas /= probas.sum(axis=1, keepdims=True)
    return probas


class LastTokenPredictor:
    """``predict(inputs)``: ``model``'s outputs at the last position of its growing input.

    For a model built by kexue whose padding is masked (BERT-style families, any LM or UniLM,
    T5's encoder-decoder and decoder), the integer sequence inputs are right-padded with 0 to a
    bucket length (and a T5 decoder's encoder output with zero rows, which it reads as
    padding), and one compiled forward pass per bucket serves every step; the outputs are
    read at the last real position of the token ids being decoded (the last input named
    ``*token_ids``: the decoder's for T5). Other models, or
    ``bucket=False``, run ``predict`` on the exact inputs (one compilation per length on
    JAX).
    """

    def __init__(self, model: keras.Model, bucket="auto"):
        from kexue.data.sequences import _bucketing

        self.model = model
        self.padded = _bucketing(bucket) and _pads_safely(model)
        self.contexts = any(isinstance(layer, ContextMask) for layer in model.layers)
        self._run = None
        self._exact = None

    def predict(self, inputs, **kwargs) -> np.ndarray | list:
        inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        if not self.padded:
            if self._exact is None:
                outputs = [LastToken()(out) for out in self.model.outputs]
                self._exact = keras.Model(self.model.inputs, outputs)
            kwargs.setdefault("verbose", 0)
            return self._exact.predict(inputs, **kwargs)
        from kexue.backend import jit_with_variables
        from kexue.data.sequences import bucket_length

        arrays = [np.asarray(x) for x in inputs]
        growing = [k for k, x in enumerate(arrays) if x.ndim == 2 and x.dtype.kind in "iu"]
        if not growing:
            raise ValueError("last_token(model).predict needs an integer (rows, length) input.")
        names = [getattr(x, "name", "") or "" for x in self.model.inputs]
        tokens = [k for k in growing if k < len(names) and names[k].endswith("token_ids")]
        position = arrays[(tokens or growing)[-1]].shape[1] - 1  # the decoded sequence's end
        padded = []
        for x in arrays:
            if (x.ndim == 2 and x.dtype.kind in "iu") or (self.contexts and x.ndim == 3 and x.dtype.kind == "f"):
                width = [(0, 0)] * x.ndim
                width[1] = (0, bucket_length(x.shape[1]) - x.shape[1])
                x = np.pad(x, width)
            padded.append(x)
        if self._run is None:
            model = self.model
            self._run = jit_with_variables(lambda *x: model(list(x), training=False), model.weights)
        outputs = self._run(*padded)
        if isinstance(outputs, (list, tuple)):
            return [keras.ops.convert_to_numpy(out)[:, position] for out in outputs]
        return keras.ops.convert_to_numpy(outputs)[:, position]


def _pads_safely(model) -> bool:
    """Whether right padding with 0 leaves ``model``'s earlier outputs unchanged: a kexue
    model whose attention masks treat id 0 as padding, or are causal."""
    masks = [layer for layer in model.layers if isinstance(layer, AttentionMask)]
    paddings = [layer for layer in model.layers if isinstance(layer, PaddingMask)]
    return bool(masks) and all(
        m.application != "encoder" or m.pad_token_id == 0 for m in masks
    ) and all(p.pad_token_id in (0, None) for p in paddings)


@keras.saving.register_keras_serializable(package="kexue")
class LastToken(keras.layers.Layer):
    """``x[:, -1]``: the output at the last position (what ``last_token`` appends)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True  # takes masked sequences; the last position has no mask

    def compute_mask(self, inputs, mask=None):
        return None

    def call(self, inputs):
        return inputs[:, -1]

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[2:])
