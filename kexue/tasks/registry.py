"""Finding recipes by name without importing them.

Every module of :mod:`kexue.tasks.recipes` is a recipe named after its file
(``recipes/classify.py`` is ``kexue task classify``) and holds its :class:`~kexue.tasks.recipe.Recipe`
instance as ``RECIPE``. Listing them reads only the first line of each module's docstring, so
``kexue --help`` never imports Keras; a recipe module may import Keras at its top, as the
bert4keras examples do.

Example:
    >>> "classify" in recipe_names()
    True
    >>> describe_recipes()["classify"]  # doctest: +ELLIPSIS
    'Sentence classification...'
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

__all__ = ["recipe_names", "describe_recipes", "get_recipe"]

PACKAGE = "kexue.tasks.recipes"


def _folder() -> Path:
    return Path(__file__).with_name("recipes")


def recipe_names() -> list[str]:
    """The recipes there are, sorted."""
    return sorted(m.name for m in pkgutil.iter_modules([str(_folder())]) if not m.name.startswith("_"))


def describe_recipes() -> dict[str, str]:
    """``{name: first line of the module docstring}``, read without importing the modules."""
    out = {}
    for name in recipe_names():
        source = (_folder() / f"{name}.py").read_text(encoding="utf-8")
        docstring = ast.get_docstring(ast.parse(source)) or ""
        out[name] = docstring.strip().splitlines()[0] if docstring.strip() else ""
    return out


def get_recipe(name: str):
    """The recipe called ``name`` (its module's ``RECIPE``)."""
    names = recipe_names()
    if name not in names:
        raise ValueError(f"unknown task {name!r}; the tasks are: {', '.join(names)}.")
    module = importlib.import_module(f"{PACKAGE}.{name}")
    recipe = getattr(module, "RECIPE", None)
    if recipe is None:
        raise ValueError(f"{module.__name__} defines no RECIPE; a recipe module must hold its "
                         "Recipe instance as RECIPE.")
    return recipe
