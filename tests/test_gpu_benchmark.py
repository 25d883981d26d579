"""benchmarks/gpu.py imports without a GPU (nor torch, nor Keras) and builds the issue's table
from its JSON records; its --quick mode runs the whole pipeline on CPU (slow test)."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_import_needs_no_gpu_nor_frameworks():
    probe = "import sys, benchmarks.gpu; print(sorted({'torch', 'keras', 'jax'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_markdown_table_ratios():
    from benchmarks.gpu import markdown_table

    records = [
        dict(task="train", precision="bf16", contender="transformers", tokens_per_s=400_000.0),
        dict(task="train", precision="bf16", contender="kexue JAX", tokens_per_s=440_000.0),
    ]
    table = markdown_table(records, "Test GPU")
    assert "Device: Test GPU" in table
    assert "| train, bf16 | 400,000 | 440,000 (1.10×) | — |" in table


@pytest.mark.slow  # three processes with tiny shapes: ~1 minute on 2 cores
def test_quick_mode_runs_on_cpu(tmp_path):
    import json

    jsonl = tmp_path / "gpu.jsonl"
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "gpu.py"), "--quick", "--jsonl", str(jsonl)],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    records = [json.loads(line) for line in jsonl.read_text().splitlines()]
    assert {r["contender"] for r in records} == {"transformers", "kexue JAX", "kexue torch"}
    assert len(records) == 3 * 7 and all(r["tokens_per_s"] > 0 for r in records)
    assert "| generate 8x4, fp32 |" in out.stdout
