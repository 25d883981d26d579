"""``kexue task``: train, evaluate and use the task recipes.

    kexue task classify train --train train.tsv --dev dev.tsv --out runs/c --scratch tiny
    kexue task classify predict --model runs/c texts.txt
    kexue task classify eval --model runs/c test.tsv
    kexue task pretrain mlm --corpus novel.txt --out runs/mlm --scratch tiny

The recipe is found by name and imported only when it runs (see :mod:`kexue.tasks.registry`);
Keras is never imported here.
"""

from __future__ import annotations

import argparse

__all__ = ["register", "run"]


def register(subparsers) -> None:
    from kexue.tasks.registry import describe_recipes

    listing = "\n".join(f"  {name:<12} {text}" for name, text in describe_recipes().items())
    parser = subparsers.add_parser(
        "task", help="train, evaluate and use task recipes (classify, similarity, pretrain, ...)",
        description="Train, evaluate and use a task recipe: kexue task NAME ACTION [options]; "
                    "`kexue task NAME --help` lists its actions.",
        epilog=f"tasks:\n{listing}", formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name", metavar="NAME", help="the task (listed below)")
    parser.add_argument("arguments", nargs=argparse.REMAINDER, metavar="ACTION ...",
                        help="train | predict | eval (pretrain: mlm | lm) and its options")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from kexue.cli import UsageError
    from kexue.tasks.registry import get_recipe, recipe_names

    if args.name not in recipe_names():
        raise UsageError(f"unknown task {args.name!r}; the tasks are: {', '.join(recipe_names())}.")
    recipe = get_recipe(args.name)
    parser = argparse.ArgumentParser(prog=f"kexue task {recipe.name}", description=recipe.description)
    recipe.command_line(parser.add_subparsers(dest="action", metavar="ACTION"))
    options = parser.parse_args(args.arguments)
    if not getattr(options, "func", None):
        parser.print_help()
        return 2
    return options.func(recipe, options)
