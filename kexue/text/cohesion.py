"""The corpus's own scale for the de-redundancy margin: how tightly its words hold together.

A candidate word must beat its best split into shorter words by a margin per extra character
(:mod:`kexue.text.dedup`). A fixed number of nats does not transfer between genres: modern news
binds its characters into two-character words far more tightly than vernacular narrative, in
which single characters are words much more often, so every gain, that of a true name
("林黛玉" over "林" + "黛玉") as well as that of a compound, is smaller there.

:func:`cohesion` measures that scale on the candidates themselves: the pointwise mutual
information of each two-character candidate over its two characters (both candidates too),
``log c(ab) N / (c(a) c(b))`` in nats, and its count-weighted lower quartile (a quarter of the
two-character tokens hold together less tightly). People's Daily 1998-01 scores about 5.8,
the novels 红楼梦 and 水浒传 about 3.9 and 4.9. The default margin is ``margin_scale`` (0.69)
times it; see ``docs/text/new_words.md`` for how the scale was chosen and what was tried.

Example:
    >>> round(cohesion({"中国": 40, "中": 50, "国": 45, "人民": 30, "人": 60, "民": 35}), 2)
    1.31
    >>> cohesion({"中": 5}) is None                 # no two-character candidate to measure
    True
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from kexue.text.candidates import Candidates

QUANTILE = 0.25
MIN_PAIRS = 20  # fewer two-character candidates than this: too few to measure; use the default


def cohesion(candidates: Candidates | Mapping[str, int], quantile: float = QUANTILE,
             min_pairs: int = 1) -> float | None:
    """Count-weighted ``quantile`` of the PMI (nats) of two-character candidates over their
    characters; ``None`` when fewer than ``min_pairs`` two-character candidates have both
    characters among the candidates."""
    if not 0.0 <= quantile <= 1.0:
        raise ValueError(f"quantile must lie in [0, 1], got {quantile}")
    if not isinstance(candidates, Candidates):
        candidates = Candidates.from_dict(dict(candidates))
    pairs = candidates.groups.get(2)
    if pairs is None:
        return None
    alive = pairs.counts > 0
    rows, counts = pairs.rows[alive], pairs.counts[alive].astype(np.float64)
    first = candidates.count_of(np.ascontiguousarray(rows[:, :1]))
    second = candidates.count_of(np.ascontiguousarray(rows[:, 1:]))
    both = (first > 0) & (second > 0)
    if both.sum() < max(1, min_pairs):
        return None
    counts, first, second = counts[both], first[both], second[both]
    pmi = np.log(counts) + math.log(candidates.total()) - np.log(first) - np.log(second)
    order = np.argsort(pmi, kind="stable")
    cumulative = np.cumsum(counts[order])
    index = int(np.searchsorted(cumulative, quantile * cumulative[-1]))
    return float(pmi[order][min(index, len(order) - 1)])
