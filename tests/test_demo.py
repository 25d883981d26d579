"""The demo: its pieces (fast) and a whole run (slow)."""

import numpy as np
import pytest

from kexue.cli import main


def test_cli_lists_demo(capsys):
    assert main([]) == 2
    assert "demo" in capsys.readouterr().out


def test_stored_reference_matches_transformers():
    """kexue/assets/minilm_reference.npz (used by the demo's check) is what transformers gives."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from pathlib import Path

    import kexue
    from kexue.resources import minilm_dir

    reference = np.load(Path(kexue.__file__).parent / "assets" / "minilm_reference.npz")
    folder = minilm_dir()
    tokenizer = transformers.BertTokenizerFast.from_pretrained(str(folder))
    batch = tokenizer(list(reference["sentences"]), padding=True, return_tensors="np")
    np.testing.assert_array_equal(batch["input_ids"], reference["input_ids"])
    model = transformers.BertModel.from_pretrained(folder).eval()
    with torch.no_grad():
        hidden = model(**{k: torch.tensor(v).long() for k, v in batch.items()}).last_hidden_state.numpy()
    mask = batch["attention_mask"][..., None]
    emb = (hidden * mask).sum(1) / mask.sum(1)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    np.testing.assert_allclose(emb, reference["embeddings"], atol=1e-6)


def test_topic_data_split_keeps_conversations_apart():
    from kexue.demo import TOPICS, load_topic_lines, split_by_group

    lines, labels, groups = load_topic_lines(per_topic=40, seed=0)
    assert set(labels) == set(range(len(TOPICS))) and len(lines) == len(labels) == len(groups)
    train, test = split_by_group(groups, 0.25, seed=0)
    assert not set(groups[train]) & set(groups[test]) and test.any() and train.any()


@pytest.mark.slow
def test_demo_runs_end_to_end(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), "--per-topic", "60", "--epochs", "30"]) == 0
    out = capsys.readouterr().out
    accuracy = float(out.split("held-out accuracy ")[1].split()[0])
    assert accuracy > 0.5
    assert (tmp_path / "minilm_topics.keras").exists()
