"""The recipes' scores against SciPy, scikit-learn and brute force."""

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import f1_score

from kexue.tasks.metrics import accuracy, macro_f1, pearson, rank, spearman, top1_retrieval
from kexue.tasks.recipes.similarity import paraphrase_groups


def test_correlations_and_f1_match_scipy_and_sklearn():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 6, size=200).astype(float)  # many ties, as STS-B scores
    y = x + rng.normal(size=200)
    assert spearman(x, y) == pytest.approx(stats.spearmanr(x, y).statistic, abs=1e-12)
    assert pearson(x, y) == pytest.approx(stats.pearsonr(x, y).statistic, abs=1e-12)
    np.testing.assert_allclose(rank(x), stats.rankdata(x))
    assert np.isnan(pearson([1, 1, 1], [1, 2, 3]))
    gold, predicted = rng.integers(0, 5, size=300), rng.integers(0, 5, size=300)
    assert macro_f1(predicted, gold) == pytest.approx(f1_score(gold, predicted, average="macro"))
    assert accuracy(predicted, gold) == pytest.approx(np.mean(predicted == gold))


def test_top1_retrieval_by_brute_force():
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(60, 5))
    groups = rng.integers(0, 25, size=60)
    hits = queries = 0
    for i in range(60):
        if np.sum(groups == groups[i]) < 2:
            continue
        cos = [vectors[i] @ vectors[j] / np.linalg.norm(vectors[i]) / np.linalg.norm(vectors[j])
               if j != i else -np.inf for j in range(60)]
        hits += groups[int(np.argmax(cos))] == groups[i]
        queries += 1
    assert top1_retrieval(vectors, groups) == pytest.approx(hits / queries)


def test_paraphrase_groups_are_connected_components():
    rng = np.random.default_rng(2)
    pairs = [(f"s{a}", f"s{b}", str(rng.integers(0, 6))) for a, b in rng.integers(0, 40, size=(50, 2))]
    groups = paraphrase_groups(pairs, threshold=4)
    edges = {}
    for a, b, score in pairs:
        if int(score) >= 4:
            edges.setdefault(a, set()).add(b)
            edges.setdefault(b, set()).add(a)
    components, seen = [], set()
    for start in sorted(edges):  # breadth-first search
        if start in seen:
            continue
        component, frontier = {start}, [start]
        while frontier:
            for nxt in edges[frontier.pop()]:
                if nxt not in component:
                    component.add(nxt)
                    frontier.append(nxt)
        seen |= component
        if len(component) > 1:
            components.append(sorted(component))
    assert sorted(groups) == sorted(components)
