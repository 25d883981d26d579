"""The ``kexue`` command line.

Each command group lives in its own module, which exposes
``register(subparsers) -> None`` and sets ``func`` on its parsers. Modules are
imported only to register their parsers, so they must not import Keras at
module level (import it inside the command functions instead).

Example::

    kexue demo
    kexue words discover corpus.txt --out lexicon.tsv
"""

from __future__ import annotations

import argparse
import importlib
import sys

# command group -> module that registers it
COMMAND_MODULES: dict[str, str] = {
    "demo": "kexue.demo",
    "words": "kexue.text.cli",
    "gen": "kexue.generative.cli",
    "sim": "kexue.sim.cli",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kexue", description=__doc__.splitlines()[0])
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module_name in COMMAND_MODULES.items():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name != module_name:
                raise
            continue  # that command group is not part of this build yet
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    # The command line is an application: default to the JAX backend when the user chose none.
    # (Library imports never touch the environment.)
    import os

    os.environ.setdefault("KERAS_BACKEND", "jax")
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    result = args.func(args)
    return int(result or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
