"""The ``kexue`` command line.

Each command group lives in its own module, which exposes
``register(subparsers) -> None`` and sets ``func`` on its parsers. Modules are
imported only to register their parsers, so they must not import Keras at
module level (import it inside the command functions instead).

Errors are one line on standard error, ``kexue: error: ...``, with exit code 2
for usage errors (bad options, see :class:`UsageError`) and 1 for failures; the
traceback is shown only with ``--debug`` or ``KEXUE_DEBUG=1``. A closed output
pipe (``kexue words segment ... | head -1``) ends the command quietly.

Example::

    kexue demo
    kexue words discover corpus.txt --out lexicon.tsv
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import NoReturn

__all__ = ["CommandError", "UsageError", "build_parser", "main", "run"]

# command group -> module that registers it
COMMAND_MODULES: dict[str, str] = {
    "demo": "kexue.demo",
    "words": "kexue.text.cli",
    "gen": "kexue.generative.cli",
    "sim": "kexue.sim.cli",
    "task": "kexue.tasks.cli",
}


# Command groups that do no linear algebra: they start without a BLAS thread pool (OpenBLAS
# spawns one thread per core at `import numpy`, a large share of a short run's start-up).
NO_BLAS_THREADS = {"words"}

# Command groups whose process ends with ``os._exit`` once its output is flushed (see
# :func:`run`): they hold no open files, child processes or exit handlers at that point.
FAST_EXIT = {"words"}


class CommandError(Exception):
    """A failure a command reports as one line (exit code 1): name the file, line or option."""

    exit_code = 1


class UsageError(CommandError):
    """A bad option or option value (exit code 2, like argparse's own errors)."""

    exit_code = 2


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The ``kexue`` parser; ``only``: register just that command group (the others are not
    imported, so ``kexue words`` starts without loading the simulator or the generative zoo)."""
    parser = argparse.ArgumentParser(prog="kexue", description=__doc__.splitlines()[0])
    parser.add_argument("--debug", action="store_true",
                        help="show the full traceback on errors (also KEXUE_DEBUG=1); "
                        "may stand anywhere on the line")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module_name in COMMAND_MODULES.items():
        if only is not None and name != only:
            continue
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name != module_name:
                raise
            continue  # that command group is not part of this build yet
        module.register(subparsers)
    return parser


def _message(error: BaseException) -> str:
    if isinstance(error, CommandError):
        return str(error)
    if isinstance(error, UnicodeDecodeError):
        return f"cannot decode input as {error.encoding} at byte {error.start}: {error.reason}"
    if isinstance(error, OSError) and error.filename is not None:
        return f"{error.filename}: {error.strerror or error}"
    if isinstance(error, (ValueError, OSError, ImportError)):
        return str(error)
    return f"unexpected {type(error).__name__}: {error} (run with --debug for the traceback)"


def _quiet_broken_pipe() -> int:
    # Further writes to the closed pipe (at interpreter exit) would raise again.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # pragma: no cover - stdout without a file descriptor
        pass
    return 0


def _split_debug(argv: list[str]) -> tuple[list[str], bool]:
    """Take ``--debug`` wherever it stands before a ``--`` (``kexue sim gillespie --debug``)."""
    end = argv.index("--") if "--" in argv else len(argv)
    kept = [a for a in argv[:end] if a != "--debug"] + argv[end:]
    return kept, len(kept) != len(argv)


def _command(argv: list[str]) -> str | None:
    """The command group named on the command line, when it is a known one."""
    first = next((token for token in argv if not token.startswith("-")), None)
    return first if first in COMMAND_MODULES else None


def main(argv: list[str] | None = None) -> int:
    """Run ``kexue ARGS``; returns the exit code."""
    argv, debug = _split_debug(list(sys.argv[1:] if argv is None else argv))
    debug = debug or os.environ.get("KEXUE_DEBUG", "") not in ("", "0")
    command = _command(argv)
    if command in NO_BLAS_THREADS:
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    try:
        parser = build_parser(only=command)
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return 2
        result = args.func(args)
        sys.stdout.flush()
    except BrokenPipeError:
        return _quiet_broken_pipe()
    except KeyboardInterrupt:
        print("kexue: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # noqa: BLE001 - the one place that turns errors into one line
        if debug:
            import traceback  # here only: a short command does not pay for it at start-up

            traceback.print_exc()
        print(f"kexue: error: {_message(error)}", file=sys.stderr)
        return getattr(error, "exit_code", 1)
    return int(result or 0)


def run() -> NoReturn:
    """The ``kexue`` program: :func:`main` on ``sys.argv``, then exit with its code.

    A :data:`FAST_EXIT` command (``kexue words``) ends with ``os._exit`` after flushing
    standard output and error, skipping the interpreter's teardown of NumPy and the modules,
    about 10 ms: a sixth of a short word-discovery run. Its commands write their files
    atomically and close them (and remove a spooled standard input) before returning. Call
    :func:`main` to run a command inside a Python process.
    """
    code = main()
    if _command(sys.argv[1:]) in FAST_EXIT:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):  # a closed pipe: nothing more can be said there
                pass
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    # ``python -m kexue.cli``: run the imported module's run(), so that the error classes the
    # commands raise (kexue.cli.UsageError) are the ones main() recognises.
    from kexue.cli import run as _run

    _run()
