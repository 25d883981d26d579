"""TF1 checkpoint reader: checked against the TensorFlow-written fixture and its HF twin."""

import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from kexue.checkpoints.tf1 import TF1Checkpoint, resolve_tf1_prefix


@pytest.fixture(scope="module")
def fixture_dir(shared_dir: Path) -> Path:
    path = shared_dir / "fixtures" / "tf_bert_tiny"
    if not path.is_dir():
        pytest.skip(f"needs the TF BERT fixture at {path}")
    return path


@pytest.fixture(scope="module")
def ckpt(fixture_dir: Path) -> TF1Checkpoint:
    return TF1Checkpoint(fixture_dir / "bert_model.ckpt")


@pytest.fixture(scope="module")
def hf_tensors(fixture_dir: Path) -> dict[str, np.ndarray]:
    from safetensors.numpy import load_file

    return load_file(fixture_dir / "hf" / "model.safetensors")


def tf_to_hf(name: str) -> tuple[str, bool]:
    """HF twin of a TF BERT variable name, and whether the TF tensor is its transpose."""
    special = {
        "cls/predictions/output_bias": ("cls.predictions.bias", False),
        "cls/seq_relationship/output_weights": ("cls.seq_relationship.weight", False),
        "cls/seq_relationship/output_bias": ("cls.seq_relationship.bias", False),
    }
    if name in special:
        return special[name]
    hf = re.sub(r"layer_(\d+)", r"layer.\1", name).replace("/", ".")
    if hf.endswith("_embeddings"):
        return hf + ".weight", False
    hf = re.sub(r"\.gamma$", ".weight", re.sub(r"\.beta$", ".bias", hf))
    if hf.endswith(".kernel"):
        return hf[: -len(".kernel")] + ".weight", True
    return hf, False


def test_lists_every_variable_with_shape_and_dtype(ckpt, hf_tensors):
    assert len(ckpt) == len(hf_tensors) + 1  # the TF side also has global_step
    assert ckpt.variables["global_step"] == ((), np.dtype(np.int64))
    for name, (shape, dtype) in ckpt.variables.items():
        if name == "global_step":
            continue
        twin, transposed = tf_to_hf(name)
        expected = hf_tensors[twin].shape
        assert shape == (expected[::-1] if transposed else expected), name
        assert dtype == np.float32, name
    assert sorted(ckpt.keys()) == ckpt.keys() and set(ckpt) == set(ckpt.variables)


def test_every_tensor_equals_its_hf_twin(ckpt, hf_tensors):
    tensors = ckpt.read_all()
    used = set()
    for name, value in tensors.items():
        if name == "global_step":
            assert value.dtype == np.int64 and value.shape == ()
            continue
        twin, transposed = tf_to_hf(name)
        np.testing.assert_array_equal(value.T if transposed else value, hf_tensors[twin])
        used.add(twin)
    assert used == set(hf_tensors)  # every HF tensor has a TF twin, so nothing was skipped


def test_read_single_and_missing(ckpt, hf_tensors):
    value = ckpt.read("bert/encoder/layer_1/attention/self/query/kernel")
    np.testing.assert_array_equal(
        value.T, hf_tensors["bert.encoder.layer.1.attention.self.query.weight"]
    )
    assert "bert/pooler/dense/bias" in ckpt and "bert/pooler/dense/nope" not in ckpt
    with pytest.raises(KeyError, match="not in checkpoint"):
        ckpt.read("bert/pooler/dense/nope")


def test_resolve_prefix_from_every_spelling(fixture_dir, tmp_path):
    prefix = str(fixture_dir / "bert_model.ckpt")
    for spelling in (
        fixture_dir,
        fixture_dir / "bert_model.ckpt",
        fixture_dir / "bert_model.ckpt.index",
        fixture_dir / "bert_model.ckpt.data-00000-of-00001",
        str(fixture_dir / "bert_model.ckpt"),
    ):
        assert resolve_tf1_prefix(spelling) == prefix, spelling
    # a directory without a 'checkpoint' file but with a single .index
    copy = _copy_fixture(fixture_dir, tmp_path / "nostate", with_state=False)
    assert resolve_tf1_prefix(copy) == str(copy / "bert_model.ckpt")
    # a 'checkpoint' file with an absolute path written elsewhere falls back to the local name
    stale = _copy_fixture(fixture_dir, tmp_path / "stale", with_state=False)
    (stale / "checkpoint").write_text('model_checkpoint_path: "/gone/elsewhere/bert_model.ckpt"\n')
    assert resolve_tf1_prefix(stale) == str(stale / "bert_model.ckpt")


def test_resolve_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no TensorFlow checkpoint"):
        resolve_tf1_prefix(tmp_path / "model.ckpt")
    with pytest.raises(FileNotFoundError, match="no 'checkpoint' file and no"):
        resolve_tf1_prefix(tmp_path)
    (tmp_path / "a.index").write_bytes(b"")
    (tmp_path / "b.index").write_bytes(b"")
    with pytest.raises(FileNotFoundError, match="several"):
        resolve_tf1_prefix(tmp_path)
    (tmp_path / "checkpoint").write_text('all_model_checkpoint_paths: "a"\n')
    with pytest.raises(ValueError, match="model_checkpoint_path"):
        resolve_tf1_prefix(tmp_path)


def _copy_fixture(src: Path, dst: Path, with_state: bool = True) -> Path:
    dst.mkdir(parents=True)
    for name in ("bert_model.ckpt.index", "bert_model.ckpt.data-00000-of-00001"):
        shutil.copyfile(src / name, dst / name)
    if with_state:
        shutil.copyfile(src / "checkpoint", dst / "checkpoint")
    return dst


def test_truncated_data_file_names_tensors(fixture_dir, tmp_path):
    copy = _copy_fixture(fixture_dir, tmp_path / "ckpt")
    data = copy / "bert_model.ckpt.data-00000-of-00001"
    data.write_bytes(data.read_bytes()[:-100])
    with pytest.raises(ValueError, match="truncated") as info:
        TF1Checkpoint(copy)
    message = str(info.value)
    assert str(data) in message and "'global_step'" in message


def test_missing_shard_is_named(fixture_dir, tmp_path):
    copy = _copy_fixture(fixture_dir, tmp_path / "ckpt")
    (copy / "bert_model.ckpt.data-00000-of-00001").unlink()
    with pytest.raises(FileNotFoundError, match=r"bert_model\.ckpt\.data-00000-of-00001 .*missing"):
        TF1Checkpoint(copy)


def test_corrupt_or_short_index(fixture_dir, tmp_path):
    copy = _copy_fixture(fixture_dir, tmp_path / "ckpt")
    index = copy / "bert_model.ckpt.index"
    raw = bytearray(index.read_bytes())
    index.write_bytes(bytes(raw[:-10]))
    with pytest.raises(ValueError, match="magic number"):
        TF1Checkpoint(copy)
    index.write_bytes(bytes(raw[:20]))
    with pytest.raises(ValueError, match="shorter than the 48-byte table footer"):
        TF1Checkpoint(copy)
    flipped = bytearray(raw)
    flipped[40] ^= 0xFF  # inside the first data block: caught by the block checksum
    index.write_bytes(bytes(flipped))
    with pytest.raises(ValueError, match="checksum mismatch .* index file is corrupt"):
        TF1Checkpoint(copy)


def test_corrupt_tensor_bytes_fail_crc(fixture_dir, tmp_path):
    copy = _copy_fixture(fixture_dir, tmp_path / "ckpt")
    data = copy / "bert_model.ckpt.data-00000-of-00001"
    raw = bytearray(data.read_bytes())
    raw[0] ^= 0x01  # first byte of the first tensor in the data file
    data.write_bytes(bytes(raw))
    ckpt = TF1Checkpoint(copy)
    first = min(ckpt.keys(), key=lambda n: ckpt._entries[n].offset)
    with pytest.raises(ValueError, match=f"checksum mismatch for tensor '{first}'"):
        ckpt.read(first)
    assert TF1Checkpoint(copy, verify=False).read(first).shape == ckpt.variables[first][0]


# --------------------------------------------------------------------------- written by the
# test-only writer (helpers_tf1), for dtypes and layouts the TensorFlow fixture lacks


def _sample_tensors() -> dict[str, np.ndarray]:
    import ml_dtypes

    rng = np.random.default_rng(0)
    return {
        "a/float16": rng.normal(size=(3, 5)).astype(np.float16),
        "a/float64": rng.normal(size=(2, 3, 4)),
        "a/bfloat16": rng.normal(size=(7,)).astype(ml_dtypes.bfloat16),
        "b/int8": rng.integers(-128, 128, size=(4, 4), dtype=np.int8),
        "b/uint8": rng.integers(0, 256, size=(9,), dtype=np.uint8),
        "b/int32": rng.integers(-(2**31), 2**31, size=(2, 2), dtype=np.int32),
        "b/int64": np.array(-(2**40), dtype=np.int64),
        "b/bool": rng.random((3, 2)) > 0.5,
        "c/empty": np.zeros((0, 3), np.float32),
        "c/scalar": np.array(2.5, np.float32),
    }


@pytest.mark.parametrize("num_shards, block_entries", [(1, 100), (3, 2)])
def test_written_dtypes_shards_and_blocks_round_trip(tmp_path, num_shards, block_entries):
    from helpers_tf1 import write_checkpoint

    tensors = _sample_tensors()
    write_checkpoint(
        tmp_path / "m.ckpt", tensors, num_shards=num_shards, block_entries=block_entries
    )
    ckpt = TF1Checkpoint(tmp_path / "m.ckpt.index")
    assert ckpt.num_shards == num_shards and ckpt.keys() == sorted(tensors)
    for name, expected in tensors.items():
        assert ckpt.variables[name] == (expected.shape, expected.dtype), name
        got = ckpt.read(name)
        assert got.dtype == expected.dtype and got.shape == expected.shape, name
        np.testing.assert_array_equal(got, expected)


def test_sliced_string_big_endian_and_compressed_are_rejected(tmp_path):
    from helpers_tf1 import write_checkpoint

    values = {"w": np.ones((2, 2), np.float32), "s": np.zeros(3, np.uint8)}
    write_checkpoint(tmp_path / "sl", values, sliced=("w",), strings=("s",))
    ckpt = TF1Checkpoint(tmp_path / "sl")
    assert ckpt.variables["w"] == ((2, 2), np.dtype(np.float32))  # listed, not readable
    with pytest.raises(ValueError, match="'w' .* sliced .* not supported"):
        ckpt.read("w")
    with pytest.raises(ValueError, match="'s' .* string tensor"):
        ckpt.read("s")
    with pytest.raises(ValueError, match="sliced"):
        ckpt.read_all()  # string tensors are skipped, the sliced one still raises
    write_checkpoint(tmp_path / "be", values, big_endian=True)
    with pytest.raises(ValueError, match="big-endian"):
        TF1Checkpoint(tmp_path / "be")
    write_checkpoint(tmp_path / "sn", values, compression=1)
    with pytest.raises(ValueError, match="snappy block compression.*Fix: re-save"):
        TF1Checkpoint(tmp_path / "sn")


def test_crc32c_reference_vectors_and_vectorised_path(monkeypatch):
    from kexue.checkpoints import sstable

    # RFC 3720 (iSCSI) appendix B.4 test vectors and the classic "123456789" check value
    assert sstable.crc32c(bytes(32)) == 0x8A9136AA
    assert sstable.crc32c(b"\xff" * 32) == 0x62A8AB43
    assert sstable.crc32c(bytes(range(32))) == 0x46DD794E
    assert sstable.crc32c(bytes(range(31, -1, -1))) == 0x113FDB5C
    assert sstable.crc32c(b"123456789") == 0xE3069283
    rng = np.random.default_rng(1)

    def reference(a: np.ndarray) -> int:  # byte-at-a-time table loop, checked just above
        return sstable._crc_python(0xFFFFFFFF, a.tobytes()) ^ 0xFFFFFFFF

    exact = rng.integers(0, 256, 4 * sstable._LANES, np.uint8)  # one row, no tail
    assert sstable.crc32c(exact) == reference(exact)
    monkeypatch.setattr(sstable, "_LANES", 256)  # many rows and a ragged tail, quickly
    for size in (1 << 16, 3 * (1 << 17) + 13, 200_003):
        data = rng.integers(0, 256, size, np.uint8)
        assert sstable.crc32c(data) == reference(data), size
    assert sstable.unmask_crc(sstable.mask_crc(0xDEADBEEF)) == 0xDEADBEEF
