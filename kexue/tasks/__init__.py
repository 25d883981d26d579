"""Task recipes on one shared runner: ``kexue task NAME train|predict|eval``.

The runner (:mod:`kexue.tasks.runner`, :mod:`kexue.tasks.loop`, :mod:`kexue.tasks.trained`)
reads data, builds or loads the backbone, trains with best-on-dev evaluation and resumption,
saves and predicts; each recipe in :mod:`kexue.tasks.recipes` holds only its head, loss,
encoding, decoding and metric (the contract: :mod:`kexue.tasks.recipe`; how to write one:
``docs/tasks/runner.md``).

    >>> from kexue.tasks import recipe_names
    >>> "classify" in recipe_names()
    True
"""

from kexue.tasks.registry import get_recipe, recipe_names

__all__ = ["get_recipe", "load_task", "recipe_names", "train"]


def __getattr__(name: str):
    # the runner imports Keras lazily; these are looked up on first use
    if name == "train":
        from kexue.tasks.runner import train

        return train
    if name == "load_task":
        from kexue.tasks.trained import load_task

        return load_task
    raise AttributeError(f"module 'kexue.tasks' has no attribute {name!r}")
