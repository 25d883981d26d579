"""Writing output files without ever losing data: the one writer every kexue command and saver uses.

Three promises, each kept by one function here:

* **A file is old or new, never half-written.** :func:`atomic_path` hands out a temporary path in
  the target's own folder; only when the writer returns is the file flushed, fsynced and renamed
  over the target (``os.replace`` is atomic on POSIX and Windows). A kill, a full disk or a
  file-size limit leaves the previous file untouched and no temporary behind.
* **An output is never one of the inputs.** Every writer takes ``inputs=`` and refuses a target
  that is the same file as one of them (``kexue words discover c.txt --out c.txt``).
* **A folder of outputs is old or new as a whole.** :func:`commit_files` stages every file of a
  set in ``DIR/.kexue-staging/``, marks the stage complete, then moves the files into place;
  :func:`recover_folder` (called by every reader of such a folder) finishes an interrupted move or
  discards an incomplete stage. A kill at any point leaves the previous set or the new one.

Example:
    >>> import tempfile, json
    >>> from pathlib import Path
    >>> from kexue.files import commit_files, write_json, read_json
    >>> folder = Path(tempfile.mkdtemp())
    >>> write_json(folder / "metrics.json", {"accuracy": 0.9})
    >>> read_json(folder / "metrics.json")
    {'accuracy': 0.9}
    >>> commit_files(folder, {"a.txt": lambda p: p.write_text("new a"),
    ...                       "b.txt": lambda p: p.write_text("new b")})
    >>> sorted(p.name for p in folder.iterdir())
    ['a.txt', 'b.txt', 'metrics.json']
"""

from __future__ import annotations

import contextlib
import errno
import json
import math
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping

__all__ = [
    "OutputError",
    "atomic_path",
    "atomic_open",
    "write_text",
    "write_bytes",
    "write_json",
    "read_json",
    "save_model",
    "save_weights",
    "refuse_inputs",
    "prepare_output_dir",
    "prepare_output_file",
    "commit_files",
    "recover_folder",
]

PathLike = str | os.PathLike
STAGING = ".kexue-staging"
COMPLETE = ".complete.json"


class OutputError(ValueError):
    """An output path that cannot or must not be written (an input, a missing or read-only folder)."""


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory handles (Windows)
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - file systems that refuse fsync on a directory
        pass
    finally:
        os.close(fd)


def _fsync_path(path: Path) -> None:
    if path.is_dir():
        for child in path.rglob("*"):
            if child.is_file():
                _fsync_path(child)
        _fsync_dir(path)
        return
    fd = os.open(path, os.O_RDONLY)  # fsync needs no write access (a writer may chmod 0444)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _umask() -> int:
    try:  # Linux: read it without changing it (os.umask's set-and-restore races other threads)
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _give_mode(tmp: Path, target: Path) -> None:
    """``mkstemp`` creates files readable by their owner only; give the result the mode the
    target had, or the mode ``open`` would have given a new file (0666 less the umask)."""
    if tmp.is_dir():
        return
    try:
        mode = target.stat().st_mode & 0o7777
    except OSError:
        mode = 0o666 & ~_umask()
    os.chmod(tmp, mode)


def refuse_inputs(output: PathLike, inputs: Iterable[PathLike] = ()) -> None:
    """Raise :class:`OutputError` if ``output`` is the same file as one of ``inputs``.

    >>> refuse_inputs("lexicon.tsv", ["corpus.txt"])      # different files: fine
    """
    target = Path(output)
    for source in inputs:
        if source is None or str(source) == "-":
            continue
        source = Path(source)
        same = False
        if target.exists() and source.exists():
            same = os.path.samefile(target, source)
        else:
            same = target.resolve() == source.resolve()
        if same:
            raise OutputError(
                f"refusing to write {target}: it is also an input ({source}); "
                "choose another output path."
            )


def _suffixes(name: str) -> str:
    # keep every suffix ("model.weights.h5" -> ".weights.h5"): Keras checks them.
    stem = name.lstrip(".")
    return stem[stem.find(".") :] if "." in stem else ""


@contextlib.contextmanager
def atomic_path(path: PathLike, *, inputs: Iterable[PathLike] = ()) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` atomically.

    The temporary keeps the target's suffixes (``.keras``, ``.weights.h5``) so writers that check
    them accept it. On any exception (a kill leaves only a stray dot-file, never a wrong target)
    the temporary is removed and the previous ``path`` is untouched.

    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "x.txt"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("hello")
    >>> target.read_text()
    'hello'
    """
    target = Path(path)
    refuse_inputs(target, inputs)
    if target.is_symlink():  # write the file the link points to, keep the link
        target = Path(os.path.realpath(target))
    folder = target.parent
    if not folder.is_dir():
        raise OutputError(f"cannot write {target}: the folder {folder} does not exist; create it first.")
    if target.is_dir():
        raise OutputError(f"cannot write {target}: it is a folder; give a file name.")
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp" + _suffixes(target.name),
                                dir=folder)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        if tmp.exists():
            _give_mode(tmp, target)
            _fsync_path(tmp)
        os.replace(tmp, target)
        _fsync_dir(folder)
    except BaseException:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        raise


@contextlib.contextmanager
def atomic_open(path: PathLike, mode: str = "w", *, encoding: str | None = "utf-8",
                inputs: Iterable[PathLike] = ()) -> Iterator[Any]:
    """``open`` for writing, atomically: the target appears only when the block ends cleanly.

    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "words.tsv"
    >>> with atomic_open(target) as handle:
    ...     _ = handle.write("词\\t3\\n")
    >>> target.read_text(encoding="utf-8")
    '词\\t3\\n'
    """
    if not any(flag in mode for flag in "wx") or "+" in mode:
        raise ValueError(f"atomic_open writes new files only: mode must be 'w' or 'wb', got {mode!r}.")
    if "x" in mode and Path(path).exists():
        raise FileExistsError(errno.EEXIST, "refusing to replace an existing file (mode 'x')", str(path))
    binary = "b" in mode
    with atomic_path(path, inputs=inputs) as tmp:
        with open(tmp, "wb" if binary else "w", encoding=None if binary else encoding,
                  newline=None if binary else "") as handle:
            yield handle
        # closed here; atomic_path fsyncs the file once before renaming it


def write_bytes(path: PathLike, data: bytes, *, inputs: Iterable[PathLike] = ()) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_open(path, "wb", inputs=inputs) as handle:
        handle.write(data)


def write_text(path: PathLike, text: str, *, encoding: str = "utf-8",
               inputs: Iterable[PathLike] = ()) -> None:
    """Write ``text`` to ``path`` atomically (no newline translation)."""
    write_bytes(path, text.encode(encoding), inputs=inputs)


def write_json(path: PathLike, obj: Any, *, inputs: Iterable[PathLike] = ()) -> None:
    """Write ``obj`` as indented UTF-8 JSON, atomically."""
    write_text(path, json.dumps(obj, indent=2, ensure_ascii=False) + "\n", inputs=inputs)


def read_json(path: PathLike) -> Any:
    """Read a JSON file, with an error that names the file and the position when it is not JSON."""
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as error:
        raise ValueError(f"{path}: not UTF-8 text (byte {error.start}); is it the right file?") from None
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: invalid JSON at line {error.lineno}, column {error.colno}: "
                         f"{error.msg}.") from None


def _check_room(model, path: PathLike) -> None:
    """Refuse before writing when the weights cannot fit: the file-size limit (``ulimit -f``)
    or the free space of the folder is below their size. h5py crashes the process (SIGSEGV)
    when a ``.weights.h5`` write fails half-way, so a clean error must come first."""
    import resource

    needed = sum(math.prod(v.shape) * 8 for v in model.weights) + (1 << 16)  # float64 bound
    soft = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
    if soft != resource.RLIM_INFINITY and soft < needed:
        raise OSError(errno.EFBIG, f"the file-size limit ({soft} bytes, ulimit -f) is below the "
                      f"about {needed} bytes these weights need", str(path))
    folder = Path(path).parent
    free = shutil.disk_usage(folder).free if folder.is_dir() else needed  # no folder: atomic_path says so
    if free < needed:
        raise OSError(errno.ENOSPC, f"only {free} bytes free, the weights need about {needed}", str(path))


def save_model(model, path: PathLike, *, inputs: Iterable[PathLike] = ()) -> None:
    """``model.save(path)`` atomically (``path`` ends in ``.keras``)."""
    _check_room(model, path)
    with atomic_path(path, inputs=inputs) as tmp:
        model.save(tmp)


def save_weights(model, path: PathLike, *, inputs: Iterable[PathLike] = ()) -> None:
    """``model.save_weights(path)`` atomically (``path`` ends in ``.weights.h5``); refused
    up front when the file-size limit or the free space cannot hold the weights."""
    _check_room(model, path)
    with atomic_path(path, inputs=inputs) as tmp:
        model.save_weights(tmp)


def prepare_output_dir(path: PathLike, *, inputs: Iterable[PathLike] = ()) -> Path:
    """Create ``path`` if needed and check, before any work starts, that files can be written there.

    >>> import tempfile
    >>> prepare_output_dir(Path(tempfile.mkdtemp()) / "run").is_dir()
    True
    """
    folder = Path(path)
    for source in inputs:
        if source is not None and str(source) != "-" and Path(source).exists() and folder.exists() \
                and os.path.samefile(folder, source):
            raise OutputError(f"refusing to write into {folder}: it is also an input; choose another.")
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"cannot use {folder} as an output folder: it is a file.")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"cannot write into {folder}: {error.strerror or error}; "
                          "choose a writable folder.") from None
    _check_writable(folder, f"into {folder}")
    recover_folder(folder)
    return folder


def _check_writable(folder: Path, what: str) -> None:
    """Create and delete a probe file in ``folder``; ``OutputError`` saying ``cannot write
    {what}`` when that fails."""
    try:
        fd, probe = tempfile.mkstemp(prefix=".kexue-write-check.", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as error:
        raise OutputError(f"cannot write {what}: {error.strerror or error}; "
                          "choose a writable folder.") from None


def prepare_output_file(path: PathLike, *, inputs: Iterable[PathLike] = ()) -> Path:
    """Check, before any work starts, that the file ``path`` can be written and is not an input.

    The folder must exist and be writable and ``path`` must not be a folder; the file itself is
    written later by :func:`atomic_open` and friends (so nothing is created here).

    >>> import tempfile
    >>> prepare_output_file(Path(tempfile.mkdtemp()) / "lexicon.tsv").name
    'lexicon.tsv'
    """
    target = Path(path)
    refuse_inputs(target, inputs)
    if target.is_dir():
        raise OutputError(f"cannot write {target}: it is a folder; give a file name.")
    folder = target.parent
    if not folder.is_dir():
        raise OutputError(f"cannot write {target}: the folder {folder} does not exist; create it first.")
    _check_writable(folder, f"{target} (in {folder})")
    return target


def recover_folder(path: PathLike) -> None:
    """Finish or discard an interrupted :func:`commit_files` in ``path`` (idempotent).

    A complete stage is moved into place; an incomplete one is deleted. Readers of folders
    written by :func:`commit_files` call this first.
    """
    folder = Path(path)
    staging = folder / STAGING
    if not staging.is_dir():
        return
    marker = staging / COMPLETE
    if marker.exists():
        for name in json.loads(marker.read_text(encoding="utf-8")):
            source = staging / name
            if source.exists():
                os.replace(source, folder / name)
        _fsync_dir(folder)
    shutil.rmtree(staging, ignore_errors=True)


def commit_files(path: PathLike, writers: Mapping[str, Callable[[Path], Any]], *,
                 inputs: Iterable[PathLike] = ()) -> None:
    """Replace a set of files in folder ``path`` so that they change together.

    ``writers`` maps a plain file name to a function that writes that file at the path it is
    given (``lambda p: model.save(p)``; the path keeps the name's suffixes). Files of the folder
    not named in ``writers`` are left as they are.
    """
    folder = Path(path)
    for name in writers:
        if not name or Path(name).name != name or name in (STAGING, ".", ".."):
            raise ValueError(f"commit_files takes plain file names; got {name!r}.")
        refuse_inputs(folder / name, inputs)
    recover_folder(folder)
    staging = folder / STAGING
    staging.mkdir()
    try:
        for name, write in writers.items():
            target = staging / name
            write(target)
            if not target.exists():
                raise OutputError(f"the writer for {name} did not create a file.")
            _fsync_path(target)
        _fsync_dir(staging)
        write_json(staging / COMPLETE, list(writers))
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    recover_folder(folder)
