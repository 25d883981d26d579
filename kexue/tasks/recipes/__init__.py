"""The recipes, one module each (see :mod:`kexue.tasks.registry`)."""
