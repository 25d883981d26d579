"""The data a zoo model trains on: a built-in set by name, or the user's own ``.npz``, ``.npy`` or
folder of PNG/JPEG images, checked, scaled and split the same way.

- ``FILE.npz``: array ``x``, images ``N×H×W`` or ``N×H×W×C`` (C = 1 or 3) or points ``N×2``,
  any integer or float range; optional ``y``, one integer label per example.
- ``FILE.npy``: the array ``x`` alone.
- ``FOLDER``: PNG/JPEG images, all of one size unless ``image_size`` resizes them; grey when
  every image is grey, else RGB. Sub-folders of images are classes (their names, sorted, are
  labels ``0..K-1``). Hidden files (``.DS_Store``) are ignored; anything else is an error.

Images are scaled to [0, 1]: integers by their range (``0..255`` → ``/255``, ``0..16`` →
``/16``), floats already in [0, 1] as they are, other floats from their minimum to their
maximum. Points are kept as given. ``levels`` is the number of grey levels of quantised images
(17 for the digits, 256 for photographs), which flows use to dequantise.

Example:
    >>> import tempfile, numpy as np
    >>> path = tempfile.mkdtemp() + "/tiny.npz"
    >>> rng = np.random.default_rng(0)
    >>> np.savez(path, x=rng.integers(0, 256, (50, 6, 6)).astype("uint8"), y=np.arange(50) % 2)
    >>> data = load_data(path)
    >>> data.x_train.shape, data.x_train.dtype.name, data.levels, data.n_classes
    ((40, 6, 6, 1), 'float32', 256, 2)
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kexue.generative.data import DATASETS, load_dataset, split

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg"}
MIN_EXAMPLES = 10


@dataclass
class Dataset:
    """Train and held-out arrays (``y_*`` ``None`` without labels) and what the models need."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray | None
    x_test: np.ndarray
    y_test: np.ndarray | None
    levels: int | None

    @property
    def is_image(self) -> bool:
        return self.x_train.ndim == 4

    @property
    def n_classes(self) -> int | None:
        return None if self.y_train is None else int(max(self.y_train.max(), self.y_test.max()) + 1)

    def fingerprint(self) -> str:
        """A digest of the arrays, so a resumed run can check it trains on the same data."""
        digest = hashlib.blake2b(digest_size=12)
        for array in (self.x_train, self.x_test, self.y_train, self.y_test):
            if array is not None:
                digest.update(str(array.shape).encode())
                digest.update(np.ascontiguousarray(array).tobytes())
        return digest.hexdigest()


def load_data(spec: str | os.PathLike, *, image_size: tuple[int, int] | None = None,
              test_fraction: float = 0.2, seed: int = 0) -> Dataset:
    """The dataset named ``spec`` (see :data:`kexue.generative.data.DATASETS`) or read from the
    file or folder ``spec``; ``test_fraction`` of it held out (the split depends on ``seed``)."""
    text = os.fspath(spec)
    if text in DATASETS and not Path(text).exists():
        if image_size is not None:
            raise ValueError(f"--image-size applies to folders of images, not to the built-in "
                             f"dataset {text!r}.")
        x_train, y_train, x_test, y_test = load_dataset(text, test_fraction, seed)
        return Dataset(text, x_train, y_train, x_test, y_test,
                       quantisation_levels(x_train) if x_train.ndim == 4 else None)
    path = Path(text)
    if not path.exists():
        raise FileNotFoundError(f"--data {text}: no such file or folder, and not a built-in "
                                f"dataset ({', '.join(DATASETS)}).")
    if path.is_dir():
        x, y = read_image_folder(path, image_size)
    else:
        if image_size is not None:
            raise ValueError(f"--image-size applies to folders of images; {path} is a file.")
        x, y = read_array_file(path)
    x, levels = prepare_x(x, str(path))
    y = prepare_y(y, len(x), str(path))
    if len(x) < MIN_EXAMPLES:
        raise ValueError(f"{path}: {len(x)} examples; at least {MIN_EXAMPLES} are needed to hold "
                         f"out a test split.")
    return Dataset(str(path), *split(x, y, test_fraction, seed), levels)


def read_array_file(path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    """``x`` (and ``y``) from a ``.npz`` or ``.npy`` file (pickled objects are refused)."""
    suffix = path.suffix.lower()
    if suffix not in (".npz", ".npy"):
        raise ValueError(f"--data {path}: expected a .npz or .npy file or a folder of images.")
    try:
        loaded = np.load(path, allow_pickle=False)
    except ValueError as error:
        raise ValueError(f"{path}: not a NumPy array file without Python objects ({error}).") from None
    except (OSError, EOFError) as error:
        raise ValueError(f"{path}: cannot read it as NumPy data ({error}); is it complete?") from None
    if suffix == ".npy":
        return loaded, None
    with loaded:
        if "x" not in loaded.files:
            raise ValueError(f"{path} has no array named 'x' (it holds {', '.join(loaded.files) or 'nothing'}); "
                             "save the images as np.savez(path, x=images, y=labels).")
        return loaded["x"], (loaded["y"] if "y" in loaded.files else None)


def _image_files(folder: Path) -> list[Path]:
    entries = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    others = [p for p in entries if p.is_file() and p.suffix.lower() not in IMAGE_SUFFIXES]
    if others:
        shown = ", ".join(p.name for p in others[:3]) + (" ..." if len(others) > 3 else "")
        raise ValueError(f"{folder}: {len(others)} file(s) that are not PNG or JPEG images "
                         f"({shown}); remove them or give a folder of images only.")
    return [p for p in entries if p.is_file()]


def read_image_folder(folder: Path, image_size: tuple[int, int] | None = None):
    """Images (``N×H×W×C`` ``uint8``) and labels (``None`` without class sub-folders)."""
    entries = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    classes = [p for p in entries if p.is_dir()]
    files = _image_files(folder)
    if classes and files:
        raise ValueError(f"{folder} holds both images and sub-folders; put every image in a class "
                         "sub-folder, or use a folder of images only.")
    if classes:
        groups = [(label, _image_files(sub)) for label, sub in enumerate(classes)]
        empty = [classes[label].name for label, paths in groups if not paths]
        if empty:
            raise ValueError(f"{folder}: class folder(s) without images: {', '.join(empty)}.")
        paths = [p for _, group in groups for p in group]
        labels = np.array([label for label, group in groups for _ in group], dtype="int64")
    else:
        paths, labels = files, None
    if not paths:
        raise ValueError(f"{folder} has no PNG or JPEG images.")
    return _decode(paths, image_size), labels


def _decode(paths: list[Path], image_size: tuple[int, int] | None) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    images, grey = [], True
    for path in paths:
        try:
            with Image.open(path) as image:
                image.load()
                grey &= image.mode in ("1", "L", "LA", "I", "I;16", "F")
                images.append(image.copy())
        except (UnidentifiedImageError, OSError) as error:
            raise ValueError(f"{path}: not a readable PNG or JPEG image ({error}).") from None
    mode = "L" if grey else "RGB"
    arrays = []
    for path, image in zip(paths, images):
        image = image.convert(mode)
        if image_size is not None:
            image = image.resize((image_size[1], image_size[0]), Image.Resampling.BILINEAR)
        arrays.append(np.asarray(image, dtype="uint8"))
    sizes = {a.shape[:2] for a in arrays}
    if len(sizes) > 1:
        first = arrays[0].shape[:2]
        other = next(i for i, a in enumerate(arrays) if a.shape[:2] != first)
        raise ValueError(f"images of different sizes: {paths[0].name} is {first[0]}x{first[1]}, "
                         f"{paths[other].name} is {arrays[other].shape[0]}x{arrays[other].shape[1]}; "
                         "pass --image-size HxW to resize them all.")
    x = np.stack(arrays)
    return x[..., None] if x.ndim == 3 else x


def prepare_x(x: np.ndarray, name: str) -> tuple[np.ndarray, int | None]:
    """Check the shape and values of ``x``; images scaled to [0, 1] as ``float32``."""
    x = np.asarray(x)
    if x.dtype == bool:
        x = x.astype("uint8")
    if not (np.issubdtype(x.dtype, np.integer) or np.issubdtype(x.dtype, np.floating)):
        raise ValueError(f"{name}: x holds {x.dtype} values; expected numbers.")
    if x.ndim == 3:
        x = x[..., None]
    if x.ndim == 2:
        if x.shape[1] != 2:
            raise ValueError(f"{name}: x has shape {x.shape}; points must be N×2 (images N×H×W or "
                             "N×H×W×C).")
    elif x.ndim != 4 or x.shape[-1] not in (1, 3):
        raise ValueError(f"{name}: x has shape {x.shape}; expected images N×H×W or N×H×W×C with "
                         "C = 1 or 3, or points N×2.")
    if x.size and not np.all(np.isfinite(x)):
        raise ValueError(f"{name}: x holds NaN or infinite values.")
    if x.ndim == 2:
        return x.astype("float32"), None
    low, high = float(x.min()), float(x.max())
    if np.issubdtype(x.dtype, np.integer):
        low = min(low, 0.0)
    elif low >= 0.0 and high <= 1.0:
        low, high = 0.0, 1.0
    scaled = ((x - low) / (high - low if high > low else 1.0)).astype("float32")
    return scaled, quantisation_levels(scaled)


def quantisation_levels(x: np.ndarray, most: int = 256) -> int:
    """The fewest evenly spaced grey levels (2 to ``most``) that hold every value of ``x`` (in
    [0, 1]); ``most`` when none does (continuous data).

    >>> quantisation_levels(np.array([0.0, 0.25, 1.0]))
    5
    """
    values, _ = np.unique(np.asarray(x, dtype="float64"), return_counts=True)
    if len(values) > most:
        return most
    for steps in range(1, most):
        if np.all(np.abs(values * steps - np.round(values * steps)) < 1e-4):
            return steps + 1
    return most


def prepare_y(y, n: int, name: str) -> np.ndarray | None:
    """Labels as ``0..K-1`` integers, one per example."""
    if y is None:
        return None
    y = np.asarray(y)
    if y.ndim != 1 or len(y) != n:
        raise ValueError(f"{name}: y has shape {y.shape}; expected one label per example ({n},).")
    if np.issubdtype(y.dtype, np.floating):
        if not np.all(np.isfinite(y)) or np.any(y != np.round(y)):
            raise ValueError(f"{name}: y holds non-integer values; labels must be integers.")
    elif not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"{name}: y holds {y.dtype} values; labels must be integers.")
    _, codes = np.unique(y, return_inverse=True)
    return codes.reshape(-1).astype("int64")


def parse_image_size(text: str) -> tuple[int, int]:
    """``"32"`` → (32, 32), ``"24x32"`` → (24, 32) (height x width).

    >>> parse_image_size("24x32")
    (24, 32)
    """
    parts = text.lower().split("x")
    try:
        size = tuple(int(p) for p in parts)
    except ValueError:
        size = ()
    if len(size) == 1:
        size = size * 2
    if len(size) != 2 or not all(1 <= s <= 4096 for s in size):
        raise ValueError(f"--image-size {text!r}: expected N or HxW with sizes 1 to 4096.")
    return size
