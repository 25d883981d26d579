"""Low-level pieces of TensorFlow's checkpoint index: an SSTable reader, a protobuf
wire-format decoder and CRC-32C, all in pure Python/NumPy (no TensorFlow, no protobuf).

A TensorFlow checkpoint ``.index`` file is a table in LevelDB's format (TensorFlow vendors
it as ``tensorflow/core/lib/io/table``)::

    [data block 0][trailer] ... [data block n][trailer]
    [metaindex block][trailer] [index block][trailer]
    [footer: metaindex handle, index handle (varints), zero padding to 40 bytes,
             magic 0xdb4775248b80fb57 as little-endian uint64]          (48 bytes)

A *block handle* is two varints, ``offset`` and ``size`` (size excludes the trailer). A
block's trailer is 5 bytes: the compression type (0 = none, 1 = snappy) and the *masked*
CRC-32C of the block bytes plus the type byte. A block holds prefix-compressed entries
``varint shared, varint non_shared, varint value_len, key[shared:], value`` followed by an
array of ``uint32`` restart offsets and their count. The index block maps the last key of
each data block to that block's handle.

Example:
    >>> crc32c(b"123456789") == 0xE3069283
    True
    >>> decode_fields(bytes([0x08, 0x96, 0x01]))
    [(1, 0, 150)]
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Iterator, Sequence

import numpy as np

TABLE_MAGIC = 0xDB4775248B80FB57
FOOTER_SIZE = 48
BLOCK_TRAILER_SIZE = 5
_COMPRESSION_NAMES = {1: "snappy", 2: "zlib", 3: "bzip2", 4: "lz4", 5: "zstd"}

# ----------------------------------------------------------------------------- CRC-32C

_POLY = 0x82F63B78  # Castagnoli, reflected


def _make_table() -> list[int]:
    table = []
    for b in range(256):
        c = b
        for _ in range(8):
            c = (c >> 1) ^ _POLY if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _make_table()
_SMALL = 1 << 16  # below this many bytes a plain Python loop is fast enough
_LANES = 16384  # 32-bit words processed side by side by the vectorised path


def _crc_python(reg: int, data: bytes | memoryview) -> int:
    table = _TABLE
    for b in bytes(data):
        reg = (reg >> 8) ^ table[(reg ^ b) & 0xFF]
    return reg


def _op_apply(op: Sequence[int], x: int) -> int:
    """Apply a GF(2)-linear map on 32-bit registers, given as the images of the 32 bits."""
    out, i = 0, 0
    while x:
        if x & 1:
            out ^= op[i]
        x >>= 1
        i += 1
    return out


def _op_compose(a: Sequence[int], b: Sequence[int]) -> list[int]:
    """The map ``x -> a(b(x))``."""
    return [_op_apply(a, v) for v in b]


_ONE_ZERO_BYTE = [_crc_python(1 << i, b"\0") for i in range(32)]


@functools.lru_cache(maxsize=256)
def _zeros_op(n: int) -> tuple[int, ...]:
    """Z_n, the register update of feeding ``n`` zero bytes (linear, as the table is)."""
    result = [1 << i for i in range(32)]
    power = _ONE_ZERO_BYTE
    while n:
        if n & 1:
            result = _op_compose(power, result)
        n >>= 1
        if n:
            power = _op_compose(power, power)
    return tuple(result)


_BYTE_BITS = ((np.arange(256)[:, None] >> np.arange(8)[None, :]) & 1).astype(bool)


def _byte_tables(op: Sequence[int]) -> list[np.ndarray]:
    """``op`` as four 256-entry tables, one per byte of the register."""
    return [
        np.bitwise_xor.reduce(
            np.where(_BYTE_BITS, np.array(op[8 * k : 8 * k + 8], np.uint32), np.uint32(0)), axis=1
        )
        for k in range(4)
    ]


def _op_apply_array(op: Sequence[int], x: np.ndarray) -> np.ndarray:
    """Vectorised ``_op_apply`` over a uint32 array."""
    out = np.zeros_like(x)
    for k, table in enumerate(_byte_tables(op)):
        out ^= table[(x >> np.uint32(8 * k)) & np.uint32(0xFF)]
    return out


@functools.lru_cache(maxsize=4)
def _half_tables(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Z_n as two 65536-entry tables, indexed by the low and the high 16 bits."""
    t0, t1, t2, t3 = _byte_tables(_zeros_op(n))
    return (t1[:, None] ^ t0[None, :]).ravel(), (t3[:, None] ^ t2[None, :]).ravel()


def _crc_raw_vectorised(words: np.ndarray) -> int:
    """Register (from 0) after feeding ``words`` (uint32 of shape ``(rows, _LANES)``).

    Word ``p`` of a message of ``m`` words adds ``Z_4^(m - p)(word)`` to the final register.
    Lane ``i`` takes the words ``i, i + L, i + 2L, ...`` (one contiguous row per step) and
    runs ``reg = Z_{4L}(reg) ^ word``; lane ``i`` then lacks ``Z_4^(L - i)``, supplied by a
    pairwise fold of the lanes.
    """
    low_table, high_table = _half_tables(4 * _LANES)
    mask = np.uint32(0xFFFF)
    reg, low, high, part = (np.zeros(_LANES, dtype=np.uint32) for _ in range(4))
    for row in words:  # in-place ufuncs and np.take(out=...) avoid temporaries
        np.bitwise_and(reg, mask, out=low)
        np.right_shift(reg, 16, out=high)
        np.take(low_table, low, out=reg)
        np.take(high_table, high, out=part)
        reg ^= part
        reg ^= row
    spacing = 4
    while reg.size > 1:  # sum_i Z_s^(n-1-i) v_i, pairing neighbours: Z_s(v_2m) ^ v_2m+1
        reg = _op_apply_array(_zeros_op(spacing), reg[0::2]) ^ reg[1::2]
        spacing *= 2
    return _op_apply(_zeros_op(4), int(reg[0]))


def crc32c(data: bytes | bytearray | memoryview | np.ndarray) -> int:
    """CRC-32C (Castagnoli) of ``data``, as used by LevelDB tables and TensorFlow.

    Inputs of 64 KiB and more use a vectorised NumPy path (16384 interleaved lanes of
    32-bit words, combined with GF(2) "append zeros" operators), about 0.4-0.5 s per 100 MB
    on one core; smaller ones use a table-driven Python loop.

    Example:
        >>> hex(crc32c(b"a"))
        '0xc1d04330'
    """
    buf = np.frombuffer(memoryview(data).cast("B"), dtype=np.uint8)
    reg = 0xFFFFFFFF
    if buf.size < _SMALL:
        return _crc_python(reg, buf.tobytes()) ^ 0xFFFFFFFF
    main = buf.size - buf.size % (4 * _LANES)
    words = buf[:main].view("<u4").reshape(-1, _LANES)
    reg = _op_apply(_zeros_op(main), reg) ^ _crc_raw_vectorised(words)
    reg = _crc_python(reg, buf[main:].tobytes())
    return reg ^ 0xFFFFFFFF


def unmask_crc(masked: int) -> int:
    """Undo LevelDB's CRC masking (``rot15(crc) + 0xa282ead8``).

    Example:
        >>> unmask_crc(mask_crc(12345)) == 12345
        True
    """
    rot = (masked - 0xA282EAD8) & 0xFFFFFFFF
    return ((rot >> 17) | (rot << 15)) & 0xFFFFFFFF


def mask_crc(crc: int) -> int:
    """LevelDB's CRC masking: rotate right by 15 bits and add a constant.

    Example:
        >>> mask_crc(0) == 0xA282EAD8
        True
    """
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


# ----------------------------------------------------------------------------- protobuf


def read_varint(buf: bytes, pos: int) -> tuple[int, int]:
    """Decode a base-128 varint at ``pos``; returns ``(value, next_pos)``.

    Example:
        >>> read_varint(bytes([0xAC, 0x02]), 0)
        (300, 2)
    """
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise ValueError("truncated varint (the data ends in the middle of a number)")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ValueError("malformed varint (longer than 10 bytes)")


def decode_fields(buf: bytes) -> list[tuple[int, int, int | bytes]]:
    """Decode a protobuf message into ``(field_number, wire_type, value)`` triples.

    Varints (wire type 0), fixed64 (1) and fixed32 (5) give ints; length-delimited
    fields (2) give bytes (nested messages, strings, packed arrays). Groups are rejected.

    Example:
        >>> decode_fields(bytes([0x12, 0x02, 0x08, 0x05, 0x35, 1, 0, 0, 0]))
        [(2, 2, b'\\x08\\x05'), (6, 5, 1)]
    """
    fields: list[tuple[int, int, int | bytes]] = []
    pos = 0
    while pos < len(buf):
        key, pos = read_varint(buf, pos)
        number, wire = key >> 3, key & 7
        value: int | bytes
        if wire == 0:
            value, pos = read_varint(buf, pos)
        elif wire == 1:
            if pos + 8 > len(buf):
                raise ValueError("truncated fixed64 protobuf field")
            (value,) = struct.unpack_from("<Q", buf, pos)
            pos += 8
        elif wire == 2:
            length, pos = read_varint(buf, pos)
            if pos + length > len(buf):
                raise ValueError("truncated length-delimited protobuf field")
            value = bytes(buf[pos : pos + length])
            pos += length
        elif wire == 5:
            if pos + 4 > len(buf):
                raise ValueError("truncated fixed32 protobuf field")
            (value,) = struct.unpack_from("<I", buf, pos)
            pos += 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire} (field {number})")
        if number == 0:
            raise ValueError("malformed protobuf message (field number 0)")
        fields.append((number, wire, value))
    return fields


# ----------------------------------------------------------------------------- SSTable


def _read_handle(buf: bytes, pos: int) -> tuple[tuple[int, int], int]:
    offset, pos = read_varint(buf, pos)
    size, pos = read_varint(buf, pos)
    return (offset, size), pos


def _block_entries(block: bytes) -> Iterator[tuple[bytes, bytes]]:
    """Entries ``(key, value)`` of one uncompressed block, keys rebuilt from prefixes."""
    if len(block) < 4:
        raise ValueError("block shorter than its restart count")
    (num_restarts,) = struct.unpack_from("<I", block, len(block) - 4)
    end = len(block) - 4 - 4 * num_restarts
    if end < 0:
        raise ValueError(f"block restart count {num_restarts} does not fit in the block")
    pos, key = 0, b""
    while pos < end:
        shared, pos = read_varint(block, pos)
        non_shared, pos = read_varint(block, pos)
        value_len, pos = read_varint(block, pos)
        if shared > len(key) or pos + non_shared + value_len > end:
            raise ValueError("block entry runs past the end of the block")
        key = key[:shared] + block[pos : pos + non_shared]
        pos += non_shared
        yield key, block[pos : pos + value_len]
        pos += value_len


class SSTableReader:
    """Read every ``(key, value)`` of a small LevelDB-format table held in memory.

    Example:
        >>> from pathlib import Path
        >>> p = Path("../shared/fixtures/tf_bert_tiny/bert_model.ckpt.index")
        >>> if p.exists():
        ...     entries = SSTableReader(p.read_bytes(), name=str(p)).entries()
        ...     assert b"" in entries and b"global_step" in entries
    """

    def __init__(self, data: bytes, name: str = "<table>", verify: bool = True) -> None:
        self.data = data
        self.name = name
        self.verify = verify
        if len(data) < FOOTER_SIZE:
            raise ValueError(
                f"{name} is {len(data)} bytes, shorter than the {FOOTER_SIZE}-byte table footer: "
                "the index file is truncated or not a TensorFlow checkpoint index"
            )
        footer = data[-FOOTER_SIZE:]
        (magic,) = struct.unpack_from("<Q", footer, FOOTER_SIZE - 8)
        if magic != TABLE_MAGIC:
            raise ValueError(
                f"{name} does not end with the table magic number 0x{TABLE_MAGIC:x} "
                f"(found 0x{magic:x}): the index file is truncated or corrupt"
            )
        try:
            self.metaindex_handle, pos = _read_handle(footer, 0)
            self.index_handle, _ = _read_handle(footer, pos)
        except ValueError as err:
            raise ValueError(f"{name}: corrupt table footer ({err})") from None

    def block(self, handle: tuple[int, int]) -> bytes:
        """The uncompressed contents of the block at ``handle = (offset, size)``."""
        offset, size = handle
        if offset + size + BLOCK_TRAILER_SIZE > len(self.data) - FOOTER_SIZE:
            raise ValueError(
                f"{self.name}: block at offset {offset} (size {size}) runs past the end of the "
                "index file: the index is truncated or corrupt"
            )
        raw = self.data[offset : offset + size]
        ctype = self.data[offset + size]
        if self.verify:
            (stored,) = struct.unpack_from("<I", self.data, offset + size + 1)
            actual = crc32c(self.data[offset : offset + size + 1])
            if unmask_crc(stored) != actual:
                raise ValueError(
                    f"{self.name}: checksum mismatch in the block at offset {offset}: "
                    "the index file is corrupt"
                )
        if ctype == 0:
            return raw
        kind = _COMPRESSION_NAMES.get(ctype, f"unknown type {ctype}")
        raise ValueError(
            f"{self.name} uses {kind} block compression, which this reader does not support. "
            "Fix: re-save the checkpoint without compression (TensorFlow's default), e.g. load "
            "it with tf.train.load_checkpoint and write it again with tf.compat.v1.train.Saver."
        )

    def entries(self) -> dict[bytes, bytes]:
        """All entries of the table, walking the index block then each data block."""
        out: dict[bytes, bytes] = {}
        try:
            for _, handle_bytes in _block_entries(self.block(self.index_handle)):
                handle, _ = _read_handle(handle_bytes, 0)
                for key, value in _block_entries(self.block(handle)):
                    out[key] = value
        except (ValueError, struct.error) as err:
            msg = str(err)
            raise ValueError(msg if msg.startswith(self.name) else f"{self.name}: {msg}") from None
        return out
