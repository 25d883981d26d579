"""Hypothesis fuzzing of the checkpoint readers (item 7): TF1 bundles (index and data) and
safetensors files with bytes flipped, zeroed or cut, and safetensors headers edited. Every
variant either reads back exactly the original tensors or raises an error that names the file;
nothing else escapes (no KeyError, struct.error, UnicodeDecodeError...) and nothing differs
silently. Tensor *data* in safetensors has no checksum in the format, so flips there are out of
reach of any reader (a non-finite value is still refused when loading into a model, see
test_non_finite_tensor_is_refused); flips are made in the header.

The fast suite runs a few dozen variants per reader; ``-m slow`` runs 1,000."""

import json
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest
from helpers import backend
from helpers_tf1 import write_checkpoint
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kexue.checkpoints import CheckpointError, Ref, load_weights, open_checkpoint

pytestmark = pytest.mark.skipif(
    backend() != "jax", reason="backend-independent: runs once, in the JAX pass of the suite"
)

TENSORS = {f"layer_{i}/kernel": np.random.default_rng(i).normal(size=(3, 4)).astype("float32") for i in range(5)}
FAST = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
SLOW = settings(max_examples=1000, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def originals(tmp_path_factory):
    from safetensors.numpy import save_file

    folder = tmp_path_factory.mktemp("originals")
    write_checkpoint(folder / "tf" / "m.ckpt" if (folder / "tf").mkdir() is None else None, TENSORS, num_shards=2)
    save_file({k.replace("/", "."): v for k, v in TENSORS.items()}, str(folder / "m.safetensors"))
    return folder


def read_everything(path):
    source = open_checkpoint(path)
    return {name.replace(".", "/"): source.read(name) for name in source.shapes}


def mutate(data: bytes, edits, limit: int | None = None) -> bytes:
    out = bytearray(data)
    limit = limit or len(out)
    for kind, position, value in edits:
        if not out:
            break
        i = position % min(limit, len(out))
        if kind == "flip":
            out[i] ^= 1 << (value % 8)
        elif kind == "zero":
            out[i : i + 8] = bytes(len(out[i : i + 8]))
        else:
            del out[i:]
    return bytes(out)


edits = st.lists(st.tuples(st.sampled_from(["flip", "zero", "cut"]), st.integers(0, 10**6), st.integers(0, 7)),
                 min_size=1, max_size=3)


def reads_same_or_names_the_file(work, target, victim: Path, payload: bytes, renames_ok: bool = False):
    victim.write_bytes(payload)
    try:
        got = read_everything(target)
    except (CheckpointError, ValueError, OSError) as error:
        assert victim.name in str(error) or Path(target).name in str(error), str(error)
        return
    if renames_ok and set(got) != set(TENSORS):  # a flipped name: strict loading reports it
        assert sorted(v.tobytes() for v in got.values()) == sorted(v.tobytes() for v in TENSORS.values())
        return
    assert set(got) == set(TENSORS)
    for name, value in TENSORS.items():
        np.testing.assert_array_equal(got[name], value)


def tf1_variant(originals, tmp_path, part: str, change):
    work = tmp_path / "tf"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(originals / "tf", work)
    victim = work / ("m.ckpt.index" if part == "index" else "m.ckpt.data-00001-of-00002")
    reads_same_or_names_the_file(work, work / "m.ckpt", victim, mutate(victim.read_bytes(), change))


def safetensors_variant(originals, tmp_path, change, header_only: bool):
    data = (originals / "m.safetensors").read_bytes()
    header_end = 8 + struct.unpack("<Q", data[:8])[0]
    target = tmp_path / "m.safetensors"
    reads_same_or_names_the_file(tmp_path, target, target, mutate(data, change, header_end if header_only else None),
                                 renames_ok=True)


@FAST
@given(part=st.sampled_from(["index", "data"]), change=edits)
def test_tf1_variants(originals, tmp_path, part, change):
    tf1_variant(originals, tmp_path, part, change)


@FAST
@given(change=edits)
def test_safetensors_header_variants(originals, tmp_path, change):
    safetensors_variant(originals, tmp_path, change, header_only=True)


@FAST
@given(entry=st.fixed_dictionaries({}, optional={
    "dtype": st.one_of(st.sampled_from(["F32", "F16", "I64", "XX"]), st.integers()),
    "shape": st.one_of(st.lists(st.integers(-2, 5), max_size=3), st.text(max_size=2)),
    "data_offsets": st.one_of(st.lists(st.integers(-5, 60), max_size=3), st.none()),
}), name=st.text(min_size=1, max_size=4))
def test_safetensors_edited_headers(tmp_path, entry, name):
    """Headers written by hand: any entry either reads as declared or is refused naming the file."""
    raw = json.dumps({name: entry}).encode()
    path = tmp_path / "edited.safetensors"
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + bytes(48))
    try:
        source = open_checkpoint(path)
        for tensor in source.shapes:
            assert source.read(tensor).shape == tuple(entry["shape"])
    except (CheckpointError, ValueError) as error:
        assert "edited.safetensors" in str(error), str(error)


def test_non_finite_tensor_is_refused(tmp_path):
    """The one thing a reader can still notice in safetensors data: NaN or inf weights."""
    import keras
    from safetensors.numpy import save_file

    bad = np.ones((3, 4), "float32")
    bad[1, 2] = np.nan
    save_file({"dense.weight": bad}, str(tmp_path / "nan.safetensors"))
    layer = keras.layers.Dense(3, use_bias=False, name="dense")
    layer.build((None, 4))
    with pytest.raises(CheckpointError, match="NaN or inf"):
        load_weights(layer, open_checkpoint(tmp_path / "nan.safetensors"),
                     {"dense/kernel": Ref("dense.weight", transpose=True)})


@pytest.mark.slow
@SLOW
@given(part=st.sampled_from(["index", "data"]), change=edits)
def test_tf1_variants_long(originals, tmp_path, part, change):
    tf1_variant(originals, tmp_path, part, change)


@pytest.mark.slow
@SLOW
@given(change=edits)
def test_safetensors_header_variants_long(originals, tmp_path, change):
    safetensors_variant(originals, tmp_path, change, header_only=True)
