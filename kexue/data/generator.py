"""``DataGenerator``: bert4keras' batch-generator template, usable directly in ``model.fit``.

A subclass writes ``__iter__(self, random=False)`` and yields batches built from
``self.sample(random)``, exactly as with bert4keras. Because the class is a
``keras.utils.PyDataset``, ``model.fit(generator, epochs=...)`` consumes it on every Keras
backend: batch ``i`` of an epoch is the ``i``-th batch the subclass's ``__iter__`` yields, and the
samples are reshuffled at each epoch end.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from typing import Any

import keras
import numpy as np

__all__ = ["DataGenerator"]


class DataGenerator(keras.utils.PyDataset):
    """Template for batch generators over a list (or any iterable) of samples.

    Args:
        data: the samples; with ``len()`` the number of steps is ``ceil(len(data) /
            batch_size)``, without it (a stream) ``len()`` is unknown and ``fit`` needs
            ``steps_per_epoch``.
        batch_size: samples per batch.
        buffer_size: shuffle buffer for streams (default ``1000 * batch_size``).
        random: whether ``fit`` sees the samples in a fresh random order each epoch.
        seed: seed of that order (``None``: drawn from NumPy's global generator).
        **kwargs: ``workers``, ``use_multiprocessing``, ``max_queue_size`` of ``PyDataset``.

    When Keras asks for batches out of order (``fit(..., shuffle=True)``, the default, shuffles
    batch indices), batches produced ahead are buffered until asked for, and a batch asked for
    twice in one epoch is reproduced by replaying the epoch with the same seed. Pass
    ``shuffle=False`` to ``fit`` to stream without buffering (the samples are shuffled anyway).

    Example:

    >>> import numpy as np
    >>> from kexue.data import DataGenerator, sequence_padding
    >>> class Batches(DataGenerator):
    ...     def __iter__(self, random=False):
    ...         xs, ys = [], []
    ...         for is_end, (x, y) in self.sample(random):
    ...             xs.append(x)
    ...             ys.append(y)
    ...             if len(xs) == self.batch_size or is_end:
    ...                 yield sequence_padding(xs, bucket=False), np.array(ys)
    ...                 xs, ys = [], []
    >>> gen = Batches([([1, 2], 0), ([3], 1), ([4, 5, 6], 0)], batch_size=2)
    >>> len(gen), [x.shape for x, _ in gen]
    (2, [(2, 2), (1, 3)])
    """

    def __init__(
        self,
        data: Iterable[Any],
        batch_size: int = 32,
        buffer_size: int | None = None,
        *,
        random: bool = True,
        seed: int | None = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        self.data = data
        self.batch_size = batch_size
        if hasattr(data, "__len__"):
            self.steps = -(-len(data) // batch_size)
        else:
            self.steps = None
        self.buffer_size = buffer_size or batch_size * 1000
        self.random = random
        self._seed = int(np.random.randint(2**31)) if seed is None else int(seed)
        self._epoch = 0
        self._rng = np.random.default_rng([self._seed, 0])
        self._lock = threading.Lock()
        self._stream: Iterator | None = None
        self._produced = 0  # batches taken from the current epoch's stream
        self._ahead: dict[int, Any] = {}  # produced but not yet served

    # -- bert4keras API ---------------------------------------------------------------------
    def __len__(self) -> int:
        if self.steps is None:
            raise TypeError(
                "this DataGenerator wraps data without len(), so its number of steps is "
                "unknown; pass steps_per_epoch to fit()"
            )
        return self.steps

    @property
    def num_batches(self) -> int | None:
        """Batches per epoch (``None`` for a stream)."""
        return self.steps

    def sample(self, random: bool = False) -> Iterator[tuple[bool, Any]]:
        """Yield ``(is_end, sample)``: every sample once, ``is_end`` true for the last one.
        ``random=True`` shuffles (a full permutation when ``data`` has a length, otherwise a
        buffer of ``buffer_size`` samples)."""
        if random and self.steps is not None:
            samples: Iterable = (self.data[i] for i in self._rng.permutation(len(self.data)))
        elif random:
            samples = self._buffered_shuffle(iter(self.data))
        else:
            samples = iter(self.data)
        previous, has_previous = None, False
        for item in samples:
            if has_previous:
                yield False, previous
            previous, has_previous = item, True
        if has_previous:
            yield True, previous

    def _buffered_shuffle(self, items: Iterator) -> Iterator:
        buffer: list = []
        for item in items:
            buffer.append(item)
            if len(buffer) > self.buffer_size:
                yield buffer.pop(int(self._rng.integers(len(buffer))))
        while buffer:
            yield buffer.pop(int(self._rng.integers(len(buffer))))

    def __iter__(self, random: bool = False) -> Iterator:
        raise NotImplementedError(
            "subclass DataGenerator and define __iter__(self, random=False) that yields "
            "batches built from self.sample(random)"
        )

    def forfit(self, random: bool = True) -> Iterator:
        """Cycle over the batches forever (for ``fit`` with ``steps_per_epoch``)."""
        while True:
            yield from self.__iter__(random)

    def fortest(self, random: bool = False) -> Iterator:
        """Cycle forever over the inputs part (``batch[0]``) of each batch."""
        while True:
            for batch in self.__iter__(random):
                yield batch[0]

    # -- keras.utils.PyDataset --------------------------------------------------------------
    def _restart(self) -> None:
        self._rng = np.random.default_rng([self._seed, self._epoch])
        if self.steps is None:
            self._stream = self.forfit(self.random)
        else:
            self._stream = iter(self.__iter__(self.random))
        self._produced = 0
        self._ahead = {}

    def __getitem__(self, index: int) -> Any:
        index = int(index)
        with self._lock:
            if self.steps is None:
                # A stream: serve the next batch of an endless cycle, whatever the index.
                if self._stream is None:
                    self._restart()
                return next(self._stream)
            if not 0 <= index < self.steps:
                raise IndexError(f"batch index {index} is out of range for {self.steps} batches")
            if index in self._ahead:
                return self._ahead.pop(index)
            if self._stream is None or index < self._produced:
                self._restart()  # replay this epoch (same seed, so the same batches)
                for position, _ in zip(range(index), self._stream):
                    self._produced = position + 1
            while self._produced <= index:
                try:
                    batch = next(self._stream)
                except StopIteration:
                    raise IndexError(
                        f"{type(self).__name__}.__iter__ yielded only {self._produced} batches "
                        f"but len() is {self.steps}; yield one batch per batch_size samples "
                        "(and a last, smaller one at is_end)"
                    ) from None
                if self._produced < index:
                    self._ahead[self._produced] = batch
                self._produced += 1
            return batch

    def __getstate__(self) -> dict:
        # Worker processes get a copy without the lock and the running stream.
        state = self.__dict__.copy()
        state.update(_lock=None, _stream=None, _ahead={}, _produced=0)
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def on_epoch_end(self) -> None:
        """Start a new epoch: the next ``__getitem__`` draws a fresh order of the samples."""
        with self._lock:
            if self.steps is not None:
                self._epoch += 1
                self._stream = None
                self._ahead = {}
                self._produced = 0
