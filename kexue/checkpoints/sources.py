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
        self._handles = {path: safe_open(str(path), framework="np") for path in files}

    def read(self, name: str) -> np.ndarray:
        return self._handles[self._file_of[name]].get_tensor(name)

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


def _read_safetensors_header(path: Path) -> dict:
    """Parse the JSON header and check that every tensor's bytes lie inside the file."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        raw = f.read(8)
        if len(raw) < 8:
            raise CheckpointError(f"{path} is not a safetensors file (shorter than 8 bytes).")
        (header_len,) = struct.unpack("<Q", raw)
        if 8 + header_len > size:
            raise CheckpointError(f"{path} is truncated: its header alone needs {header_len} bytes.")
        try:
            header = json.loads(f.read(header_len))
        except ValueError as error:
            raise CheckpointError(f"{path} has a corrupt safetensors header: {error}") from None
    data_size = size - 8 - header_len
    cut = sorted(
        name
        for name, info in header.items()
        if name != "__metadata__" and info["data_offsets"][1] > data_size
    )
    if cut:
        raise CheckpointError(
            f"{path} is truncated ({size} bytes): these tensors lie past its end: {', '.join(cut)}. "
            "Download or copy the file again."
        )
    return header


def _safetensors_files(folder: Path) -> list[Path]:
    index = folder / "model.safetensors.index.json"
    if index.exists():
        weight_map = json.loads(index.read_text())["weight_map"]
        return [folder / name for name in sorted(set(weight_map.values()))]
    single = folder / "model.safetensors"
    if single.exists():
        return [single]
    found = sorted(folder.glob("*.safetensors"))
    if found:
        return found
    return []


def open_checkpoint(path: str | os.PathLike):
    """Open ``path`` as a :class:`SafetensorsSource` or :class:`TF1Source`."""
    path = Path(path)
    if path.suffix == ".safetensors":
        if not path.exists():
            raise CheckpointError(f"No such checkpoint file: {path}.")
        return SafetensorsSource([path])
    if path.suffix in (".bin", ".pt", ".pth", ".pkl"):
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
