"""Test-only writer of TF1 tensor-bundle checkpoints, to cover dtypes, shards and layouts
that the TensorFlow-written fixture does not have. It follows the same on-disk format as
``docs/checkpoints-tf1.md``; the reader is anchored to real TensorFlow by the fixture tests.
"""

import struct
from pathlib import Path

import ml_dtypes
import numpy as np

from kexue.checkpoints.sstable import TABLE_MAGIC, crc32c, mask_crc

DTYPE_CODES = {
    np.dtype("float32"): 1,
    np.dtype("float64"): 2,
    np.dtype("int32"): 3,
    np.dtype("uint8"): 4,
    np.dtype("int16"): 5,
    np.dtype("int8"): 6,
    np.dtype("int64"): 9,
    np.dtype("bool"): 10,
    np.dtype(ml_dtypes.bfloat16): 14,
    np.dtype("float16"): 19,
}


def varint(value: int) -> bytes:
    out = bytearray()
    value &= (1 << 64) - 1
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def field(number: int, value: int | bytes, wire: int | None = None) -> bytes:
    if isinstance(value, bytes):
        return varint(number << 3 | 2) + varint(len(value)) + value
    if wire == 5:
        return varint(number << 3 | 5) + struct.pack("<I", value)
    return varint(number << 3) + varint(value)


def entry_proto(dtype_code, shape, shard, offset, size, crc, sliced=False) -> bytes:
    dims = b"".join(field(2, field(1, d)) for d in shape)
    msg = field(1, dtype_code) + field(2, dims) + field(3, shard) + field(4, offset)
    msg += field(5, size) + field(6, crc, wire=5)
    if sliced:  # a TensorSliceProto with one full extent
        msg += field(7, field(1, b""))
    return msg


def _block(items: list[tuple[bytes, bytes]], restart_interval: int) -> bytes:
    out, restarts, last = bytearray(), [], b""
    for i, (key, value) in enumerate(items):
        shared = 0
        if i % restart_interval == 0:
            restarts.append(len(out))
        else:
            while shared < min(len(key), len(last)) and key[shared] == last[shared]:
                shared += 1
        out += varint(shared) + varint(len(key) - shared) + varint(len(value))
        out += key[shared:] + value
        last = key
    out += b"".join(struct.pack("<I", r) for r in restarts) + struct.pack("<I", len(restarts))
    return bytes(out)


def write_table(path: Path, items, block_entries=4, restart_interval=3, compression=0) -> None:
    """A LevelDB-format table of the sorted ``items``, ``block_entries`` per data block."""
    out = bytearray()

    def put(block: bytes) -> bytes:
        handle = varint(len(out)) + varint(len(block))
        trailer = bytes([compression])
        out.extend(block + trailer + struct.pack("<I", mask_crc(crc32c(block + trailer))))
        return handle

    index = []
    for start in range(0, len(items), block_entries):
        chunk = items[start : start + block_entries]
        index.append((chunk[-1][0], put(_block(chunk, restart_interval))))
    meta = put(_block([], restart_interval))
    index_handle = put(_block(index, 1))
    footer = (meta + index_handle).ljust(40, b"\0") + struct.pack("<Q", TABLE_MAGIC)
    path.write_bytes(bytes(out + footer))


def write_checkpoint(
    prefix: Path,
    tensors: dict,
    num_shards: int = 1,
    big_endian=False,
    sliced=(),
    strings=(),
    **table_options,
) -> None:
    """Write ``tensors`` round-robin over ``num_shards`` data files next to ``prefix.index``."""
    shards = [bytearray() for _ in range(num_shards)]
    items = []
    for i, name in enumerate(sorted(tensors)):
        array = np.asarray(tensors[name])
        data = array.tobytes()
        shard = i % num_shards
        code = 7 if name in strings else DTYPE_CODES[array.dtype]
        proto = entry_proto(
            code,
            array.shape,
            shard,
            len(shards[shard]),
            len(data),
            mask_crc(crc32c(data)),
            sliced=name in sliced,
        )
        shards[shard] += data
        items.append((name.encode(), proto))
    header = field(1, num_shards) + field(2, int(big_endian)) + field(3, field(1, 1))
    write_table(Path(f"{prefix}.index"), [(b"", header)] + items, **table_options)
    for k, data in enumerate(shards):
        Path(f"{prefix}.data-{k:05d}-of-{num_shards:05d}").write_bytes(bytes(data))
