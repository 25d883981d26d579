"""Tag schemes: tags -> spans -> tags round trips (BIO, BIOES, BMES) on random spans, and
Viterbi paths that are always well formed when the transitions forbid the invalid moves
(NumPy decoder with start/end constraints, and the CRF layer's in-graph decoder)."""

import random

import keras
import numpy as np
import pytest

from kexue.layers import ConditionalRandomField
from kexue.tasks.crf_tagging import viterbi_tags
from kexue.tasks.tagging import (
    BMES,
    allowed_transitions,
    bmes_from_boundaries,
    constrained_transitions,
    entity_labels,
    spans_from_tags,
    tags_from_spans,
    valid_path,
    words_from_bmes,
)


def random_spans(rng: random.Random, length: int, types=("PER", "LOC", "ORG")):
    spans, at = [], 0
    while at < length:
        at += rng.randint(0, 3)
        size = rng.randint(1, 4)
        if at + size > length:
            break
        spans.append((at, at + size, rng.choice(types)))
        at += size
    return spans


@pytest.mark.parametrize("scheme", ["BIO", "BIOES"])
def test_spans_tags_spans_round_trip(scheme):
    rng = random.Random(0)
    for _ in range(300):
        length = rng.randint(0, 30)
        spans = random_spans(rng, length)
        tags = tags_from_spans(length, spans, scheme)
        assert valid_path(tags, scheme)
        assert spans_from_tags(tags, scheme) == sorted(spans)
        assert tags_from_spans(length, spans_from_tags(tags, scheme), scheme) == tags


def test_adjacent_entities_of_one_type_stay_apart():
    tags = tags_from_spans(4, [(0, 2, "PER"), (2, 4, "PER")], "BIO")
    assert tags == ["B-PER", "I-PER", "B-PER", "I-PER"]
    assert spans_from_tags(tags, "BIO") == [(0, 2, "PER"), (2, 4, "PER")]
    assert spans_from_tags(["O", "I-LOC", "I-LOC", "I-PER"], "BIO") == [(1, 3, "LOC"), (3, 4, "PER")]
    with pytest.raises(ValueError, match="overlaps"):
        tags_from_spans(5, [(0, 3, "PER"), (2, 4, "LOC")], "BIO")


def test_bmes_round_trip():
    rng = random.Random(1)
    for _ in range(300):
        cuts = sorted(rng.sample(range(1, 40), rng.randint(0, 15)))
        bounds = list(zip([0] + cuts, cuts + [40]))
        tags = bmes_from_boundaries(bounds)
        assert valid_path(tags, "BMES") and words_from_bmes(tags) == bounds


def test_allowed_transitions_by_hand():
    labels = entity_labels(["PER"], "BIO")  # O, B-PER, I-PER
    assert labels == ["O", "B-PER", "I-PER"]
    assert allowed_transitions(labels, "BIO").astype(int).tolist() == [[1, 1, 0], [1, 1, 1], [1, 1, 1]]
    labels = entity_labels(["X"], "BIOES")  # O, B, I, E, S
    assert allowed_transitions(labels, "BIOES").astype(int).tolist() == [
        [1, 1, 0, 0, 1], [0, 0, 1, 1, 0], [0, 0, 1, 1, 0], [1, 1, 0, 0, 1], [1, 1, 0, 0, 1]]
    assert not valid_path(["I-X"], "BIO") and not valid_path(["B-X"], "BIOES")


@pytest.mark.parametrize("scheme,labels", [("BMES", list(BMES)),
                                           ("BIO", entity_labels(["A", "B"], "BIO")),
                                           ("BIOES", entity_labels(["A", "B"], "BIOES"))])
def test_constrained_viterbi_paths_are_valid(scheme, labels):
    rng = np.random.default_rng(0)
    n = len(labels)
    for _ in range(200):
        nodes = rng.normal(0, 3, (rng.integers(1, 25), n))
        trans = rng.normal(0, 3, (n, n))  # learned transitions that favour invalid moves too
        path = [labels[i] for i in viterbi_tags(nodes, trans, labels, scheme)]
        assert valid_path(path, scheme), path
    # and the CRF layer's in-graph decoder, given the forbidding transitions
    crf = ConditionalRandomField()
    crf.build((None, None, n))
    crf.set_trans(constrained_transitions(rng.normal(0, 3, (n, n)), labels, scheme))
    nodes = rng.normal(0, 3, (16, 20, n)).astype("float32")
    mask = np.arange(20)[None] < rng.integers(1, 21, (16, 1))
    paths = keras.ops.convert_to_numpy(crf.decode(nodes, mask))
    allowed = allowed_transitions(labels, scheme)
    for path, keep in zip(paths, mask):
        path = path[keep]
        assert all(allowed[a, b] for a, b in zip(path, path[1:]))
