"""Precision, recall and F1 of predicted sets against gold sets (micro-averaged over the
examples): words of a segmentation, entities, triples. Optionally broken down by a key such
as the entity type.

Example:
    >>> scores = set_scores([{(0, 2, "PER"), (3, 5, "LOC")}], [{(0, 2, "PER"), (6, 8, "LOC")}],
    ...                     key=lambda span: span[2])
    >>> scores["precision"], scores["recall"], scores["f1"]
    (0.5, 0.5, 0.5)
    >>> scores["per_type"]["PER"]
    {'precision': 1.0, 'recall': 1.0, 'f1': 1.0, 'gold': 1}
"""

from __future__ import annotations

from collections import Counter
from typing import Callable, Hashable, Iterable

__all__ = ["prf", "set_scores"]


def prf(hits: int, predicted: int, gold: int) -> dict:
    """Precision, recall and F1 from counts (0 where undefined)."""
    precision = hits / predicted if predicted else 0.0
    recall = hits / gold if gold else 0.0
    f1 = 2 * hits / (predicted + gold) if predicted + gold else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def set_scores(predicted: Iterable[Iterable[Hashable]], gold: Iterable[Iterable[Hashable]],
               key: Callable[[Hashable], str] | None = None) -> dict:
    """Micro P/R/F1 over aligned examples; with ``key``, also ``per_type`` scores (and the
    number of gold items of each type)."""
    counts = Counter()
    by_type: dict[str, Counter] = {}
    examples = 0
    for ours, theirs in zip(predicted, gold, strict=True):
        ours, theirs = set(ours), set(theirs)
        examples += 1
        counts.update(hits=len(ours & theirs), predicted=len(ours), gold=len(theirs))
        if key is not None:
            for name, items in (("predicted", ours), ("gold", theirs), ("hits", ours & theirs)):
                for item in items:
                    by_type.setdefault(key(item), Counter())[name] += 1
    out = prf(counts["hits"], counts["predicted"], counts["gold"])
    out.update(gold=counts["gold"], predicted=counts["predicted"])
    if key is not None:
        out["per_type"] = {name: {**prf(c["hits"], c["predicted"], c["gold"]), "gold": c["gold"]}
                           for name, c in sorted(by_type.items())}
    return out
