"""Run by test_kill_writers.py in a subprocess: one kexue writer, writing version after version.

    python kill_worker.py KIND FOLDER kill     # write version 0, print "go", then 1, 2, ... forever
    python kill_worker.py KIND FOLDER fsize N  # write version 0, print "go", then version 1
                                               # under a file-size limit of N bytes (exit 3 on EFBIG)

KIND is one of ``WRITERS``; ``check(kind, folder)`` (used by the test) returns the version the
folder holds, or raises if its output is not a complete version.
"""

from __future__ import annotations

import os
import resource
import sys
from pathlib import Path

import numpy as np

WRITERS = ("state", "keras", "vocab", "plot")


def _model(k: int):
    """A small compiled model whose every float variable holds ``k``."""
    import keras

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(64), keras.layers.Dense(2)])
    model.compile("adam", "mse")
    model.optimizer.build(model.trainable_variables)
    _set_values(model, k)
    return model


def _vocab(k: int) -> dict[str, int]:
    return {f"v{k}_{i}_" + "中" * 20: i for i in range(3000)}


def write(kind: str, folder: Path, k: int, model=None) -> None:
    if kind == "state":
        from kexue.training import save_training_state

        save_training_state(folder, model, {"k": k})
    elif kind == "keras":
        from kexue.files import save_model, save_weights

        save_model(model, folder / "model.keras")
        save_weights(model, folder / "model.weights.h5")
    elif kind == "vocab":
        from kexue.tokenizers import save_vocab

        save_vocab(folder / "vocab.txt", _vocab(k))
    elif kind == "plot":
        from kexue.sim import gene_expression, plot_simulation, simulate

        result = simulate(gene_expression(), {"m": k % 5}, t_max=2, n_trajectories=5, record_every=0.01, seed=k)
        plot_simulation(result, folder / "ssa.png", n_trajectories=5)


def _set_values(model, k: int) -> None:
    for variable in model.variables + model.optimizer.variables[1:]:
        if variable.dtype.startswith("float"):
            variable.assign(np.full(variable.shape, float(k), variable.dtype))


def check(kind: str, folder: Path) -> int | None:
    """The complete version in ``folder`` (``None`` when nothing was written yet)."""
    if kind == "state":
        from kexue.training import load_training_state

        model = _model(-1)
        counters = load_training_state(folder, model)
        if counters is None:
            return None
        values = {float(np.asarray(v)) for v in model.get_weights()[0].ravel()}
        assert values == {float(counters["k"])}, (values, counters)
        return counters["k"]
    if kind == "keras":
        import keras

        if not (folder / "model.keras").exists():
            return None
        loaded = keras.saving.load_model(folder / "model.keras")
        versions = {float(np.asarray(w).ravel()[0]) for w in loaded.get_weights()}
        assert len(versions) == 1, versions
        if (folder / "model.weights.h5").exists():
            other = _model(-1)
            other.load_weights(folder / "model.weights.h5")
            assert len({float(np.asarray(w).ravel()[0]) for w in other.get_weights()}) == 1
        return int(versions.pop())
    if kind == "vocab":
        from kexue.tokenizers import load_vocab

        if not (folder / "vocab.txt").exists():
            return None
        tokens = list(load_vocab(folder / "vocab.txt"))
        k = int(tokens[0].split("_")[0][1:])
        assert tokens == list(_vocab(k)), "a vocabulary that is not one complete version"
        return k
    if kind == "plot":
        path = folder / "ssa.png"
        if not path.exists():
            return None
        data = path.read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and data[-12:-4] == b"\x00\x00\x00\x00IEND", "incomplete PNG"
        import matplotlib.image

        assert matplotlib.image.imread(str(path)).ndim == 3
        return 0
    raise ValueError(kind)


def main() -> int:
    kind, folder, mode = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    model = _model(0) if kind in ("state", "keras") else None
    write(kind, folder, 0, model)
    print("go", flush=True)
    if mode == "fsize":
        limit = int(sys.argv[4])
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        if model is not None:
            _set_values(model, 1)
        try:
            write(kind, folder, 1, model)
        except OSError as error:
            print(f"refused: {error}", flush=True)
            return 3
        return 0
    k = 0
    while True:
        k += 1
        if model is not None:
            _set_values(model, k)
        write(kind, folder, k, model)


if __name__ == "__main__":
    sys.exit(main())
