"""Make JAX kexue's real default Keras backend, before Keras is first imported.

Keras' own default is TensorFlow, which kexue does not install; its first import even writes
``~/.keras/keras.json`` saying ``"tensorflow"``. So ``import kexue`` (which every kexue module
triggers) chooses a backend when the user has not: no ``KERAS_BACKEND`` in the environment, and
no Keras config file naming a backend that is installed. It then sets ``KERAS_BACKEND`` (JAX, or
PyTorch when JAX is missing) and says so once on standard error. An explicit choice is never
overridden. Keras is not imported here.

Example:
    >>> choose_backend({"KERAS_BACKEND": "torch"}, config_backend=None, installed={"torch"})
    >>> choose_backend({}, config_backend="tensorflow", installed={"jax", "torch"})
    'jax'
    >>> choose_backend({}, config_backend="torch", installed={"jax", "torch"})
    >>> choose_backend({"KERAS_BACKEND": "tensorflow"}, config_backend=None, installed={"jax"})
    Traceback (most recent call last):
    ...
    ImportError: KERAS_BACKEND=tensorflow but tensorflow is not installed; install it or set KERAS_BACKEND=jax (installed: jax).
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path
from typing import Mapping

PREFERRED = ("jax", "torch")
SUPPORTED = ("jax", "torch", "tensorflow")


def _config_backend(environ: Mapping[str, str]) -> str | None:
    home = environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    path = Path(home) / "keras.json"
    try:
        value = json.loads(path.read_text(encoding="utf-8")).get("backend")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def _installed() -> set[str]:
    return {name for name in SUPPORTED if importlib.util.find_spec(name) is not None}


def choose_backend(environ: Mapping[str, str], *, config_backend: str | None,
                   installed: set[str]) -> str | None:
    """The backend to select, or ``None`` when the user's own choice stands.

    Raises ``ImportError`` when ``KERAS_BACKEND`` names a backend kexue runs on that is not
    installed (Keras would fail deep inside its own import).
    """
    chosen = environ.get("KERAS_BACKEND")
    if chosen:
        if chosen in SUPPORTED and chosen not in installed:
            usable = [n for n in PREFERRED if n in installed] or ["jax"]
            raise ImportError(
                f"KERAS_BACKEND={chosen} but {chosen} is not installed; install it or set "
                f"KERAS_BACKEND={usable[0]} (installed: {', '.join(usable)})."
            )
        return None
    if config_backend and config_backend in installed:
        return None
    for name in PREFERRED:
        if name in installed:
            return name
    return None  # nothing usable installed: Keras' own import error says what is missing


def select_default_backend() -> None:
    """Called once by ``import kexue``: set ``KERAS_BACKEND`` if the user chose none."""
    keras = sys.modules.get("keras")
    if keras is not None:
        backend = getattr(getattr(keras, "backend", None), "backend", None)
        name = backend() if callable(backend) else None
        if name is not None and name not in SUPPORTED:
            raise ImportError(
                f"Keras was imported with the {name!r} backend, which kexue does not support; "
                "set KERAS_BACKEND=jax (or torch) before Keras is first imported (or import "
                "kexue first: it selects JAX when no backend is configured)."
            )
        return
    choice = choose_backend(os.environ, config_backend=_config_backend(os.environ),
                            installed=_installed())
    if choice is not None:
        os.environ["KERAS_BACKEND"] = choice
        print(f"kexue: no Keras backend configured; using {choice} "
              "(set KERAS_BACKEND to choose another)", file=sys.stderr)
