"""Item 8: JAX is the real default backend, and unusable set-ups get one clear error.

Each case runs a fresh interpreter (a Keras backend is fixed per process) with HOME pointing
at an empty folder, as on a machine where Keras has never run (Keras' own default is TensorFlow,
which kexue does not install)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import backend

pytestmark = pytest.mark.skipif(
    backend() != "jax", reason="backend-independent: runs once, in the JAX pass of the suite"
)
ROOT = Path(__file__).resolve().parents[2]


def python(code: str, tmp_path: Path, **env_changes) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("KERAS_BACKEND", "KERAS_HOME")}
    env.update(HOME=str(tmp_path), PYTHONPATH=str(ROOT), **env_changes)
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=300, cwd=tmp_path)


def test_fresh_install_builds_a_model_on_jax_and_says_so_once(tmp_path):
    run = python(
        "from kexue.models import build_transformer_model\n"
        "import kexue.data, kexue.tokenizers, keras\n"
        "m = build_transformer_model(dict(vocab_size=20, hidden_size=8, num_hidden_layers=1,"
        " num_attention_heads=2, intermediate_size=16))\n"
        "print(keras.backend.backend(), m.output.shape)\n",
        tmp_path,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.split()[0] == "jax"
    assert run.stderr.count("using jax") == 1, run.stderr


def test_keras_config_naming_a_missing_backend_is_overridden(tmp_path):
    (tmp_path / ".keras").mkdir()
    (tmp_path / ".keras" / "keras.json").write_text('{"backend": "tensorflow"}')
    run = python("import kexue, os; print(os.environ['KERAS_BACKEND'])", tmp_path)  # no Keras import: cheap
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip() == "jax" and "using jax" in run.stderr


def test_explicit_choice_is_kept_and_silent(tmp_path):
    run = python("import kexue, os; print(os.environ['KERAS_BACKEND'])", tmp_path, KERAS_BACKEND="torch")
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip() == "torch" and "kexue:" not in run.stderr


def test_keras_already_imported_with_an_unusable_backend_is_one_clear_error(tmp_path):
    run = python("import keras\nimport kexue.models\n", tmp_path, KERAS_BACKEND="numpy")
    assert run.returncode == 1
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: Keras was imported with the 'numpy' backend")
    assert "KERAS_BACKEND=jax" in last


@pytest.mark.skipif(__import__("importlib").util.find_spec("tensorflow") is not None,
                    reason="TensorFlow is installed here")
def test_keras_backend_naming_an_uninstalled_backend_is_one_clear_error(tmp_path):
    run = python("import kexue.models\n", tmp_path, KERAS_BACKEND="tensorflow")
    assert run.returncode == 1
    last = run.stderr.strip().splitlines()[-1]
    assert "KERAS_BACKEND=tensorflow but tensorflow is not installed" in last


def test_examples_need_no_environment_lines():
    """README and docs examples rely on the default: no os.environ.setdefault lines remain."""
    texts = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    offenders = [str(p.relative_to(ROOT)) for p in texts if 'os.environ.setdefault("KERAS_BACKEND"' in p.read_text()]
    assert not offenders, offenders
