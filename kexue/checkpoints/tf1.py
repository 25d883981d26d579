"""Read TensorFlow 1 checkpoints (``.index`` + ``.data-0000K-of-0000N``) without TensorFlow.

The ``.index`` file is an SSTable (see :mod:`kexue.checkpoints.sstable`) whose empty key holds
a ``BundleHeaderProto`` and whose other keys are variable names mapped to
``BundleEntryProto`` messages (dtype, shape, shard, byte offset and size, masked CRC-32C).
Tensor bytes are stored raw, little-endian and C-ordered in the data shards.

Example:
    >>> from pathlib import Path
    >>> prefix = Path("../shared/fixtures/tf_bert_tiny")
    >>> if prefix.exists():
    ...     ckpt = TF1Checkpoint(prefix)
    ...     shape, dtype = ckpt.variables["bert/embeddings/word_embeddings"]
    ...     assert ckpt.read("bert/embeddings/word_embeddings").shape == shape == (96, 32)
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kexue.checkpoints.sstable import SSTableReader, crc32c, decode_fields, unmask_crc

try:
    import ml_dtypes

    _BFLOAT16: np.dtype | None = np.dtype(ml_dtypes.bfloat16)
except ImportError:  # pragma: no cover - ml_dtypes ships with jax and keras
    _BFLOAT16 = None

# tensorflow/core/framework/types.proto DataType numbers -> little-endian NumPy dtypes.
_DTYPES: dict[int, np.dtype] = {
    1: np.dtype("<f4"),  # DT_FLOAT
    2: np.dtype("<f8"),  # DT_DOUBLE
    3: np.dtype("<i4"),  # DT_INT32
    4: np.dtype("u1"),  # DT_UINT8
    5: np.dtype("<i2"),  # DT_INT16
    6: np.dtype("i1"),  # DT_INT8
    8: np.dtype("<c8"),  # DT_COMPLEX64
    9: np.dtype("<i8"),  # DT_INT64
    10: np.dtype("?"),  # DT_BOOL
    17: np.dtype("<u2"),  # DT_UINT16
    18: np.dtype("<c16"),  # DT_COMPLEX128
    19: np.dtype("<f2"),  # DT_HALF
    22: np.dtype("<u4"),  # DT_UINT32
    23: np.dtype("<u8"),  # DT_UINT64
}
_DT_BFLOAT16 = 14
_DTYPE_NAMES = {  # the non-numeric or quantised DataTypes this reader cannot read
    7: "string",
    11: "qint8",
    12: "quint8",
    13: "qint32",
    15: "qint16",
    16: "quint16",
    20: "resource",
    21: "variant",
}


@dataclass(frozen=True)
class _Entry:
    """One decoded ``BundleEntryProto``."""

    dtype_code: int
    shape: tuple[int, ...]
    shard_id: int
    offset: int
    size: int
    crc32c: int | None
    sliced: bool


def _decode_shape(buf: bytes) -> tuple[int, ...]:
    dims = []
    for number, _, value in decode_fields(buf):
        if number == 2:  # TensorShapeProto.dim
            size = next((v for n, _, v in decode_fields(value) if n == 1), 0)
            dims.append(size - (1 << 64) if size >= 1 << 63 else size)  # int64 (-1 = unknown)
        elif number == 3 and value:
            raise ValueError("tensor with unknown rank in a checkpoint")
    return tuple(dims)


def _decode_entry(buf: bytes) -> _Entry:
    values: dict[str, int] = {"dtype": 0, "shard": 0, "offset": 0, "size": 0}
    shape: tuple[int, ...] = ()
    crc, sliced = None, False
    for number, _, value in decode_fields(buf):
        if number == 2:
            shape = _decode_shape(value)
        elif number == 6:
            crc = value
        elif number == 7:
            sliced = True
        elif number in (1, 3, 4, 5):
            values[{1: "dtype", 3: "shard", 4: "offset", 5: "size"}[number]] = value
    return _Entry(
        values["dtype"], shape, values["shard"], values["offset"], values["size"], crc, sliced
    )


def _numpy_dtype(code: int) -> np.dtype:
    if code in _DTYPES:
        return _DTYPES[code]
    if code == _DT_BFLOAT16:
        return _BFLOAT16 if _BFLOAT16 is not None else np.dtype("<f4")
    return np.dtype(object)  # string and exotic dtypes: listed, but read() raises


def resolve_tf1_prefix(path: str | os.PathLike) -> str:
    """Turn any way of naming a TF1 checkpoint into its prefix (``.../bert_model.ckpt``).

    Accepts the prefix itself, the ``.index`` file, a ``.data-0000K-of-0000N`` shard, or a
    directory (its ``checkpoint`` file's ``model_checkpoint_path``, else its only ``*.index``).

    Example:
        >>> from pathlib import Path
        >>> d = Path("../shared/fixtures/tf_bert_tiny")
        >>> not d.exists() or resolve_tf1_prefix(d / "bert_model.ckpt.index").endswith(
        ...     "bert_model.ckpt")
        True
    """
    p = Path(path)
    if p.is_dir():
        return _prefix_from_directory(p)
    name = p.name
    if name.endswith(".index"):
        prefix = p.with_name(name[: -len(".index")])
    elif re.search(r"\.data-\d+-of-\d+$", name):
        prefix = p.with_name(re.sub(r"\.data-\d+-of-\d+$", "", name))
    else:
        prefix = p
    if not Path(f"{prefix}.index").is_file():
        hint = "" if p.exists() else f" ({p} does not exist)"
        raise FileNotFoundError(
            f"no TensorFlow checkpoint at {path}{hint}: expected {prefix}.index next to its "
            ".data-*-of-* shards. Pass the checkpoint prefix (e.g. .../bert_model.ckpt), its "
            ".index file, or the directory holding it."
        )
    return str(prefix)


def _prefix_from_directory(directory: Path) -> str:
    state = directory / "checkpoint"
    if state.is_file():
        try:
            text = state.read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            raise ValueError(f"{state} is not UTF-8 text (byte {error.start}); is it a TF checkpoint state file?") from None
        match = re.search(r'^model_checkpoint_path:\s*"((?:[^"\\]|\\.)*)"', text, re.MULTILINE)
        if match is None:
            raise ValueError(f"{state} has no model_checkpoint_path line")
        target = Path(match.group(1).encode().decode("unicode_escape"))
        prefix = target if target.is_absolute() else directory / target
        # lexically (links inside the folder may point anywhere, as in hub caches)
        inside = Path(os.path.normpath(prefix)).is_relative_to(os.path.normpath(directory))
        if inside and Path(f"{prefix}.index").is_file():
            return str(prefix)
        local = directory / target.name  # a checkpoint file written on another machine
        if Path(f"{local}.index").is_file():
            return str(local)
        if not inside:
            raise FileNotFoundError(
                f"{state} names {target}, which is outside the checkpoint folder {directory} "
                f"(kexue reads only files inside it), and {local}.index does not exist either"
            )
        raise FileNotFoundError(f"{state} names {target}, but {prefix}.index does not exist")
    indexes = sorted(directory.glob("*.index"))
    if len(indexes) == 1:
        return str(indexes[0].with_suffix(""))
    found = "none" if not indexes else ", ".join(i.name for i in indexes)
    raise FileNotFoundError(
        f"cannot pick a TensorFlow checkpoint in {directory}: there is no 'checkpoint' file and "
        f"{'no' if not indexes else 'several'} *.index files ({found}). Pass the prefix instead."
    )


class TF1Checkpoint:
    """A TensorFlow 1 (tensor bundle) checkpoint, read lazily without TensorFlow.

    The index is parsed once on construction; tensors are read on demand, seeking to their
    bytes in the right shard. With ``verify=True`` (default) each tensor's CRC-32C is checked
    on read (vectorised, well under 1 s per 100 MB). Sliced (partitioned) variables and
    big-endian checkpoints are rejected; string (and other non-numeric) tensors are listed
    with dtype ``object`` but raise when read.

    Example:
        >>> from pathlib import Path
        >>> d = Path("../shared/fixtures/tf_bert_tiny")
        >>> if d.exists():
        ...     ckpt = TF1Checkpoint(d / "bert_model.ckpt")
        ...     assert "global_step" in ckpt and ckpt.read("global_step").dtype == np.int64
        ...     tensors = ckpt.read_all(["bert/pooler/dense/bias"])
        ...     assert tensors["bert/pooler/dense/bias"].shape == (32,)
    """

    def __init__(self, path: str | os.PathLike, verify: bool = True) -> None:
        self.prefix = resolve_tf1_prefix(path)
        self.verify = verify
        index_path = f"{self.prefix}.index"
        with open(index_path, "rb") as f:
            table = SSTableReader(f.read(), name=index_path).entries()
        if b"" not in table:
            raise ValueError(f"{index_path} has no bundle header: not a TF checkpoint index")
        self.num_shards = 1
        for number, _, value in decode_fields(table.pop(b"")):
            if number == 1:
                self.num_shards = value
            elif number == 2 and value == 1:
                raise ValueError(
                    f"{index_path} is a big-endian checkpoint, which is not supported. Fix: "
                    "convert it on a big-endian machine or re-save it on a little-endian one."
                )
        self._entries: dict[str, _Entry] = {}
        for key, value in table.items():
            if key.startswith(b"\0"):
                continue  # the pieces of a sliced variable (OrderedCode keys); see read()
            name = key.decode("utf-8", errors="replace")
            try:
                self._entries[name] = _decode_entry(value)
            except ValueError as err:
                raise ValueError(f"{index_path}: corrupt entry for {name!r} ({err})") from None
        self.variables: dict[str, tuple[tuple[int, ...], np.dtype]] = {}
        for name, entry in self._entries.items():
            if entry.shard_id >= self.num_shards:
                raise ValueError(
                    f"{index_path}: {name!r} is in shard {entry.shard_id}, but the "
                    f"header says there are {self.num_shards} shards"
                )
            try:
                self.variables[name] = (entry.shape, _numpy_dtype(entry.dtype_code))
            except ValueError as err:
                raise ValueError(f"{index_path}: variable {name!r}: {err}") from None
        self._check_shards()

    def shard_path(self, shard_id: int) -> str:
        """File name of data shard ``shard_id``, e.g. ``prefix.data-00000-of-00001``."""
        return f"{self.prefix}.data-{shard_id:05d}-of-{self.num_shards:05d}"

    def _check_shards(self) -> None:
        """Every shard the entries use exists and is long enough for its tensors."""
        needed: dict[int, list[tuple[int, str]]] = {}
        for name, entry in self._entries.items():
            if not entry.sliced:
                needed.setdefault(entry.shard_id, []).append((entry.offset + entry.size, name))
        for shard_id, ends in sorted(needed.items()):
            path = self.shard_path(shard_id)
            if not os.path.isfile(path):
                raise FileNotFoundError(
                    f"data shard {path} of checkpoint {self.prefix} is missing "
                    f"({len(ends)} tensors live in it, e.g. {ends[0][1]!r}); copy it next to "
                    "the .index file"
                )
            length = os.path.getsize(path)
            cut = sorted(name for end, name in ends if end > length)
            if cut:
                shown = ", ".join(repr(n) for n in cut[:5]) + (", ..." if len(cut) > 5 else "")
                raise ValueError(
                    f"checkpoint {self.prefix} is truncated: data file {path} has {length} bytes, "
                    f"too few for {len(cut)} tensor(s): {shown}. Copy or download it again."
                )

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def keys(self) -> list[str]:
        """Variable names, sorted as in the index."""
        return list(self._entries)

    def read(self, name: str) -> np.ndarray:
        """Read one tensor (only its bytes, from its shard) as a NumPy array.

        bfloat16 comes back as ``ml_dtypes.bfloat16`` (float32 when ml_dtypes is missing).
        """
        if name not in self._entries:
            close = [k for k in self._entries if k.split("/")[-1] == name.split("/")[-1]][:5]
            raise KeyError(
                f"{name!r} is not in checkpoint {self.prefix}"
                + (f"; similar names: {close}" if close else "")
            )
        entry = self._entries[name]
        if entry.sliced:
            raise ValueError(
                f"variable {name!r} in {self.prefix} is sliced (a partitioned variable); "
                "sliced variables are not supported. Re-save it unpartitioned."
            )
        if entry.dtype_code not in _DTYPES and entry.dtype_code != _DT_BFLOAT16:
            kind = _DTYPE_NAMES.get(entry.dtype_code, f"DataType {entry.dtype_code}")
            raise ValueError(
                f"variable {name!r} in {self.prefix} is a {kind} tensor; only numeric tensors "
                "can be read"
            )
        shape, dtype = self.variables[name]
        stored = np.dtype("<u2") if entry.dtype_code == _DT_BFLOAT16 else dtype
        count = int(np.prod(shape, dtype=np.int64))
        if count * stored.itemsize != entry.size:
            raise ValueError(
                f"index entry for {name!r} is inconsistent: shape {shape} of {stored} needs "
                f"{count * stored.itemsize} bytes, the entry says {entry.size}"
            )
        out = np.empty(count, dtype=stored)
        path = self.shard_path(entry.shard_id)
        with open(path, "rb") as f:
            f.seek(entry.offset)
            got = f.readinto(memoryview(out).cast("B"))
        if got != entry.size:
            raise ValueError(
                f"checkpoint {self.prefix} is truncated: {path} ends inside tensor {name!r}"
            )
        if self.verify and entry.crc32c is not None and crc32c(out) != unmask_crc(entry.crc32c):
            raise ValueError(
                f"checksum mismatch for tensor {name!r} in {path}: the data file is corrupt"
            )
        if entry.dtype_code == _DT_BFLOAT16 and _BFLOAT16 is None:
            out = (out.astype(np.uint32) << 16).view(np.float32)  # pragma: no cover
        elif entry.dtype_code == _DT_BFLOAT16:
            out = out.view(_BFLOAT16)
        return out.reshape(shape)

    def read_all(self, names: Iterable[str] | None = None) -> dict[str, np.ndarray]:
        """Read several tensors (all readable ones when ``names`` is None) into a dict.

        With ``names=None``, non-numeric (string) tensors are skipped, as they cannot be read;
        naming one explicitly raises.
        """
        if names is None:
            names = [n for n, (_, dtype) in self.variables.items() if dtype != object]
        return {name: self.read(name) for name in names}

    def __repr__(self) -> str:
        return f"TF1Checkpoint({self.prefix!r}, {len(self)} variables, {self.num_shards} shards)"
