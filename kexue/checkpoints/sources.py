"""Open a checkpoint of any supported kind as a read-only name -> tensor source.

Kinds: a Hugging Face folder (``model.safetensors`` or sharded ``model-0000x-of-0000y.safetensors``
with its index), a single ``.safetensors`` file, or an original TensorFlow 1 checkpoint (prefix,
``.index`` file, ``.data-*`` file or folder; read without TensorFlow). PyTorch ``.bin`` pickles
are refused: unpickling runs arbitrary code.

Example:
    >>> from kexue.checkpoints.sources import open_checkpoint
    >>> source = open_checkpoint("path/to/model.safetensors")  # doctest: +SKIP
    >>> source.shapes["embeddings.word_embeddings.weight"]      # doctest: +SKIP
    (30522, 384)
"""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path

import numpy as np

from kexue.checkpoints.tf1 import TF1Checkpoint, resolve_tf1_prefix
from kexue.files import read_json


class CheckpointError(ValueError):
    """A checkpoint that cannot be read or does not fit the model."""


class SafetensorsSource:
    """One or more ``.safetensors`` files, read lazily tensor by tensor."""

    format = "hf"

    def __init__(self, files: list[Path]):
        from safetensors import safe_open

        self.files = files
        self.shapes: dict[str, tuple[int, ...]] = {}
        self._file_of: dict[str, Path] = {}
        for path in files:
            header = _read_safetensors_header(path)
            for name, info in header.items():
                if name == "__metadata__":
                    continue
                if name in self._file_of:
                    raise CheckpointError(f"Tensor {name!r} appears in two shards: {path}.")
                self.shapes[name] = tuple(info["shape"])
                self._file_of[name] = path
        self._handles = {}
        for path in files:
            try:
                self._handles[path] = safe_open(str(path), framework="np")
            except Exception as error:  # SafetensorError has no public base class
                raise CheckpointError(f"{path} cannot be opened as safetensors: {error}. {_HINT}") from None

    def read(self, name: str) -> np.ndarray:
        path = self._file_of[name]
        try:
            return self._handles[path].get_tensor(name)
        except Exception as error:  # SafetensorError, or an unsupported dtype
            raise CheckpointError(f"{path}: cannot read tensor {name!r}: {error}.") from None

    def __repr__(self) -> str:
        return f"SafetensorsSource({[str(f) for f in self.files]})"


class TF1Source:
    """An original TensorFlow 1 checkpoint."""

    format = "tf1"

    def __init__(self, path: str | os.PathLike):
        self.checkpoint = TF1Checkpoint(path)
        self.shapes = {name: tuple(shape) for name, (shape, _) in self.checkpoint.variables.items()}

    def read(self, name: str) -> np.ndarray:
        return self.checkpoint.read(name)

    def __repr__(self) -> str:
        return f"TF1Source({self.checkpoint!r})"


_ITEM_SIZES = {
    "F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "U64": 8, "I32": 4, "U32": 4,
    "I16": 2, "U16": 2, "I8": 1, "U8": 1, "BOOL": 1, "C64": 8, "F8_E4M3": 1, "F8_E5M2": 1,
}
_MAGIC = (
    (b"PK\x03\x04", "a zip archive (PyTorch's .bin/.pt format): a pickle, which kexue never opens"),
    (b"\x80", "a Python pickle, which kexue never opens"),
    (b"\x89HDF", "an HDF5 file (Keras .h5 weights?)"),
)
_HINT = "Download or copy the file again (or convert it to .safetensors on a trusted machine)."


def _not_safetensors(path: Path, start: bytes, why: str) -> CheckpointError:
    for magic, kind in _MAGIC:
        if start.startswith(magic):
            return CheckpointError(f"{path} is not a safetensors file: it is {kind}. {_HINT}")
    return CheckpointError(f"{path} is not a valid safetensors file: {why}. {_HINT}")


def _check_entry(path: Path, name: str, info) -> tuple[int, int]:
    """One tensor's header entry is well formed and its bytes lie inside the file."""
    if not isinstance(info, dict):
        raise CheckpointError(f"{path}: the header entry of {name!r} is not an object. {_HINT}")
    missing = [key for key in ("dtype", "shape", "data_offsets") if key not in info]
    if missing:
        raise CheckpointError(f"{path}: the header entry of {name!r} lacks {', '.join(missing)}. {_HINT}")
    shape, offsets, dtype = info["shape"], info["data_offsets"], info["dtype"]
    if not (isinstance(shape, list) and all(isinstance(d, int) and d >= 0 for d in shape)):
        raise CheckpointError(f"{path}: tensor {name!r} has an invalid shape {shape!r}. {_HINT}")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(isinstance(o, int) for o in offsets)
            and 0 <= offsets[0] <= offsets[1]):
        raise CheckpointError(f"{path}: tensor {name!r} has invalid data_offsets {offsets!r}. {_HINT}")
    size = _ITEM_SIZES.get(dtype)
    if size is not None and (offsets[1] - offsets[0]) != size * int(np.prod(shape, dtype=np.int64)):
        raise CheckpointError(
            f"{path}: tensor {name!r} ({dtype}, shape {tuple(shape)}) needs "
            f"{size * int(np.prod(shape, dtype=np.int64))} bytes but its data_offsets span "
            f"{offsets[1] - offsets[0]}. {_HINT}"
        )
    return offsets[0], offsets[1]


def _read_safetensors_header(path: Path) -> dict:
    """Parse the JSON header and check every entry: known keys, sizes that match the dtype and
    shape, non-overlapping bytes inside the file. Errors name the file."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        raw = f.read(8)
        if len(raw) < 8:
            raise _not_safetensors(path, raw, f"it has only {len(raw)} bytes")
        (header_len,) = struct.unpack("<Q", raw)
        if 8 + header_len > size:
            why = f"its first 8 bytes announce a {header_len}-byte header, more than the {size}-byte file"
            raise _not_safetensors(path, raw, why + " (truncated, or another kind of file)")
        try:
            header = json.loads(f.read(header_len).decode("utf-8"))
        except ValueError as error:  # JSONDecodeError and UnicodeDecodeError
            raise _not_safetensors(path, raw, f"its header is not UTF-8 JSON ({error})") from None
    if not isinstance(header, dict):
        raise _not_safetensors(path, raw, "its header is not a JSON object")
    data_size = size - 8 - header_len
    spans, cut = [], []
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = _check_entry(path, name, info)
        if end > data_size:
            cut.append(name)
        spans.append((begin, end, name))
    if cut:
        raise CheckpointError(
            f"{path} is truncated ({size} bytes): these tensors lie past its end: {', '.join(sorted(cut))}. "
            "Download or copy the file again."
        )
    spans.sort()
    for (_, end, first), (begin, _, second) in zip(spans, spans[1:]):
        if begin < end:
            raise CheckpointError(f"{path}: tensors {first!r} and {second!r} overlap. {_HINT}")
    return header


def _safetensors_files(folder: Path) -> list[Path]:
    index = folder / "model.safetensors.index.json"
    if index.exists():
        return _shards_of(index)
    single = folder / "model.safetensors"
    if single.exists():
        return [single]
    found = sorted(folder.glob("*.safetensors"))
    if found:
        return found
    return []


def _shards_of(index: Path) -> list[Path]:
    """The shard files a ``model.safetensors.index.json`` names, all inside its folder."""
    content = read_json(index)
    weight_map = content.get("weight_map") if isinstance(content, dict) else None
    if not isinstance(weight_map, dict) or not weight_map:
        raise CheckpointError(f"{index} has no \"weight_map\" object (tensor name -> shard file).")
    shards = []
    for name in sorted({str(v) for v in weight_map.values()}):
        shard = index.parent / name
        # by name, not by resolved path: hub caches link shards to blobs elsewhere
        if Path(name).name != name or name in (".", ".."):
            raise CheckpointError(
                f"{index} names the shard {name!r}, which is not a file of the checkpoint folder "
                f"{index.parent}; kexue reads only files inside it."
            )
        if not shard.is_file():
            raise CheckpointError(f"{index} names the shard {name}, but {shard} does not exist.")
        shards.append(index.parent / name)
    return shards


def open_checkpoint(path: str | os.PathLike):
    """Open ``path`` as a :class:`SafetensorsSource` or :class:`TF1Source`."""
    path = Path(path)
    if path.suffix == ".safetensors" and not path.is_dir():
        if not path.exists():
            raise CheckpointError(f"No such checkpoint file: {path}.")
        return SafetensorsSource([path])
    if path.suffix in (".bin", ".pt", ".pth", ".pkl") and path.is_file():
        raise CheckpointError(
            f"{path} is a pickle; kexue never unpickles files (it can run arbitrary code). "
            "Convert it to .safetensors first (safetensors.torch.save_file on a trusted machine)."
        )
    if path.is_dir():
        files = _safetensors_files(path)
        if files:
            return SafetensorsSource(files)
        if any(path.glob("*.index")) or (path / "checkpoint").exists():
            return TF1Source(path)
        bins = sorted(p.name for p in path.glob("*.bin"))
        hint = f" It holds {', '.join(bins)}: convert to .safetensors." if bins else ""
        raise CheckpointError(f"No .safetensors or TensorFlow checkpoint found in {path}.{hint}")
    try:
        resolve_tf1_prefix(path)
    except (ValueError, OSError) as error:
        raise CheckpointError(
            f"Cannot open checkpoint {path}: not a .safetensors file, a Hugging Face folder or a "
            f"TensorFlow 1 checkpoint ({error})."
        ) from None
    return TF1Source(path)
