"""bert4keras' ``snippets`` in one place, so ``from bert4keras.snippets import ...`` becomes
``from kexue.snippets import ...``.

The data and decoding helpers are kexue's own (``sequence_padding``, ``truncate_sequences``,
``text_segmentate``, ``DataGenerator`` from :mod:`kexue.data`; ``AutoRegressiveDecoder`` and
``ViterbiDecoder`` from :mod:`kexue.decoding`), re-exported here; this module adds ``open``,
``to_array``, ``parallel_apply``, ``is_string``, ``strQ2B`` and bert4keras' ``set_gelu``.

``to_array`` is a prediction helper: on JAX it pads sequences to a bucket length (see
:mod:`kexue.data.sequences`), so predicting sentence by sentence compiles a few shapes, not one
per length. The model's outputs then have the bucket length; the positions past the sentence
are padding (a CRF or GlobalPointer marks them, and ``ViterbiDecoder.decode`` drops them).

Example:
    >>> from kexue.snippets import to_array
    >>> token_ids, segment_ids = to_array([[2, 7, 3]], [[0, 0, 0]], bucket=False)
    >>> token_ids.shape, segment_ids.dtype.kind
    ((1, 3), 'i')
    >>> to_array([[2, 7, 3]], bucket=True).shape
    (1, 8)
"""

from __future__ import annotations

import builtins
import contextlib
import json
import os
import traceback
import warnings
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from kexue.data.sequences import sequence_padding, truncate_sequences
from kexue.data.text import text_segmentate

__all__ = [
    "AutoRegressiveDecoder",
    "DataGenerator",
    "ViterbiDecoder",
    "is_string",
    "open",
    "parallel_apply",
    "parallel_apply_generator",
    "sequence_padding",
    "set_gelu",
    "strQ2B",
    "text_segmentate",
    "to_array",
    "truncate_sequences",
]


def __getattr__(name: str):  # Keras-importing names load on first use
    if name == "DataGenerator":
        from kexue.data.generator import DataGenerator

        return DataGenerator
    if name in ("AutoRegressiveDecoder", "ViterbiDecoder"):
        import kexue.decoding

        return getattr(kexue.decoding, name)
    raise AttributeError(f"module 'kexue.snippets' has no attribute {name!r}")


def is_string(s: Any) -> bool:
    """Whether ``s`` is a ``str``."""
    return isinstance(s, str)


def strQ2B(text: str) -> str:
    """Full-width characters to half-width (the ideographic space to a space).

    >>> strQ2B("ＡＢＣ，１２３　x")
    'ABC,123 x'
    """
    out = []
    for ch in text:
        code = ord(ch)
        if code == 0x3000:
            code = 0x20
        elif 0xFF01 <= code <= 0xFF5E:
            code -= 0xFEE0
        out.append(chr(code))
    return "".join(out)


def to_array(*args, bucket: bool | str = "auto", value: Any = 0):
    """NumPy arrays of ``args`` (one array for one argument, a list otherwise).

    An argument that is a list of sequences (e.g. ``[token_ids]``) is padded with ``value``
    (0 is BERT's ``[PAD]``; use the checkpoint's own padding id otherwise) to a bucket length
    when ``bucket`` says so (``"auto"``: on JAX and TensorFlow), to its longest sequence
    otherwise; anything else is converted as it is.
    """
    results = []
    for arg in args:
        rows = list(arg) if isinstance(arg, (list, tuple)) else None
        if rows and all(np.ndim(row) >= 1 for row in rows):
            longest = max(len(row) for row in rows)
            results.append(sequence_padding(rows, value=value, bucket=False, length=_predict_length(longest, bucket)))
        else:
            results.append(np.array(arg))
    return results[0] if len(args) == 1 else results


def _predict_length(longest: int, bucket) -> int | None:
    from kexue.data.sequences import _bucketing, bucket_length

    return bucket_length(longest) if _bucketing(bucket) else None


class open:  # noqa: A001 - bert4keras' name
    """bert4keras' ``open``: a text (or binary) file, optionally indexed by line.

    Reading: iterate, ``read``, ``readline``, ``readlines``; with ``indexable=True`` the
    offsets of all lines are found first, so ``f[i]`` reads line ``i`` and ``len(f)`` counts
    them (a big file as the data of a ``DataGenerator``); ``indexable="path.json"`` keeps the
    offsets in that file. Writing (``"w"``, ``"wb"``) goes through
    :func:`kexue.files.atomic_open`: the file appears, complete, when it is closed.
    """

    def __init__(self, name, mode: str = "r", encoding: str | None = None, errors: str = "strict",
                 indexable: bool | str = False):
        self.name = name
        self.mode = mode
        self._stack = contextlib.ExitStack()
        if any(flag in mode for flag in "wxa+"):
            if "a" in mode or "+" in mode:
                raise ValueError(
                    f"open({name!r}, {mode!r}): kexue writes whole files atomically; read the "
                    "old content and write everything with mode 'w'."
                )
            from kexue.files import atomic_open

            self.file = self._stack.enter_context(atomic_open(name, mode, encoding=encoding or "utf-8"))
        else:
            self.file = self._stack.enter_context(builtins.open(name, mode, encoding=encoding, errors=errors))
        self.offsets: list[int] | None = None
        if indexable:
            self._index(indexable)

    def _index(self, indexable) -> None:
        if isinstance(indexable, str) and os.path.exists(indexable):
            with builtins.open(indexable, encoding="utf-8") as f:
                self.offsets = json.load(f)
            return
        with builtins.open(self.name, "rb") as raw:  # byte offsets, whatever the encoding
            offsets, position = [], 0
            for line in raw:
                offsets.append(position)
                position += len(line)
        self.offsets = offsets
        if isinstance(indexable, str):
            from kexue.files import write_json

            write_json(indexable, offsets, inputs=[self.name])

    def __getitem__(self, index: int):
        if self.offsets is None:
            raise TypeError(f"open({self.name!r}) was not opened with indexable=True")
        self.file.seek(self.offsets[index])
        return self.file.readline()

    def __len__(self) -> int:
        if self.offsets is None:
            raise TypeError(f"open({self.name!r}) was not opened with indexable=True")
        return len(self.offsets)

    def __iter__(self) -> Iterator:
        return iter(self.file)

    def __next__(self):
        return next(self.file)

    def read(self, *args):
        return self.file.read(*args)

    def readline(self, *args):
        return self.file.readline(*args)

    def readlines(self, *args):
        return self.file.readlines(*args)

    def write(self, text):
        return self.file.write(text)

    def flush(self) -> None:
        self.file.flush()

    def tell(self) -> int:
        return self.file.tell()

    def seek(self, offset: int = 0, whence: int = 0):
        return self.file.seek(offset, whence)

    def close(self) -> None:
        """Close (a file being written is put in place now)."""
        self._stack.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> bool:
        return self._stack.__exit__(*exc)


def parallel_apply_generator(func: Callable, iterable: Iterable, workers: int, max_queue_size: int,
                             dummy: bool = False, random_seeds=True) -> Iterator[tuple[int, Any]]:
    """Apply ``func`` to every item in ``workers`` processes (threads with ``dummy=True``);
    yield ``(index, result)`` as results arrive (in any order). At most ``max_queue_size``
    items wait for a worker. ``random_seeds``: ``True`` reseeds NumPy in each worker (from the
    system's entropy), a list gives worker ``k`` the seed ``random_seeds[k]``, ``False`` keeps
    the parent's state. A failure in ``func`` is raised here with the worker's traceback.
    Processes are forked, as in bert4keras (so ``func`` may be a closure); a forked worker
    should not call into JAX or torch, which do not survive ``fork``: use ``dummy=True``
    for such functions.

    >>> sorted(parallel_apply_generator(lambda x: x * x, range(4), 2, 4, dummy=True))
    [(0, 0), (1, 1), (2, 4), (3, 9)]
    """
    if dummy:
        import queue
        import threading

        make_worker, tasks, results = threading.Thread, queue.Queue(max_queue_size), queue.Queue()
    else:
        import multiprocessing

        make_worker = multiprocessing.Process
        tasks, results = multiprocessing.Queue(max_queue_size), multiprocessing.Queue()
    if random_seeds is True:
        seeds = [(True, None)] * workers
    elif random_seeds:
        seeds = [(True, seed) for seed in random_seeds] + [(False, None)] * max(0, workers - len(random_seeds))
    else:
        seeds = [(False, None)] * workers
    pool = [make_worker(target=_work, args=(func, tasks, results) + seeds[k], daemon=True) for k in range(workers)]
    for worker in pool:
        worker.start()
    pending = 0
    try:
        for index, item in enumerate(iterable):
            tasks.put((index, item))
            pending += 1
            while not results.empty():
                pending -= 1
                yield _result(results.get())
        while pending:
            pending -= 1
            yield _result(results.get())
    finally:
        for _ in pool:
            tasks.put(None)
        for worker in pool:
            worker.join(timeout=5)
            if hasattr(worker, "terminate") and worker.is_alive():
                worker.terminate()


def _work(func, tasks, results, reseed: bool, seed) -> None:
    if reseed:
        np.random.seed(seed)
    while (task := tasks.get()) is not None:
        index, item = task
        try:
            results.put((index, True, func(item)))
        except Exception:  # reported to the caller, which raises it
            results.put((index, False, traceback.format_exc()))


def _result(message) -> tuple[int, Any]:
    index, ok, value = message
    if not ok:
        raise RuntimeError(f"parallel_apply: the function failed on item {index}:\n{value}")
    return index, value


def parallel_apply(func: Callable, iterable: Iterable, workers: int, max_queue_size: int,
                   callback: Callable | None = None, dummy: bool = False, random_seeds=True,
                   unordered: bool = True):
    """bert4keras' ``parallel_apply``: the results of ``func`` over ``iterable`` as a list (in
    input order with ``unordered=False``), or, with ``callback``, each result passed to it
    as it arrives (returns ``None``)."""
    results = parallel_apply_generator(func, iterable, workers, max_queue_size, dummy, random_seeds)
    if callback is not None:
        for _, result in results:
            callback(result)
        return None
    if unordered:
        return [result for _, result in results]
    return [result for _, result in sorted(results, key=lambda item: item[0])]


def set_gelu(version: str) -> str:
    """bert4keras' ``set_gelu("erf" | "tanh")``, without its global switch.

    kexue keeps no global state, so models take their GELU from the config (``"gelu"`` is
    the erf form, as in Hugging Face). Pass the returned name as ``hidden_act`` to
    ``build_transformer_model`` to use the tanh form; calling ``set_gelu("tanh")`` alone
    changes nothing and says so with a warning.

    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     set_gelu("tanh")
    'gelu_tanh'
    """
    version = str(version).lower()
    if version not in ("erf", "tanh"):
        raise ValueError(f'set_gelu takes "erf" or "tanh", got {version!r}.')
    if version == "erf":
        return "gelu"
    warnings.warn(
        "set_gelu('tanh') has no global effect in kexue: pass hidden_act='gelu_tanh' to "
        "build_transformer_model (the configs' 'gelu' is the erf form; the two differ by less "
        "than 5e-4).",
        UserWarning,
        stacklevel=2,
    )
    return "gelu_tanh"
