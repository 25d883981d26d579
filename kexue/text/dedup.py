"""De-redundancy of candidate words (step 4 of :mod:`kexue.text.discovery`).

Candidates are visited longest first. Each is segmented by the unigram
lexicon of all *other* current words; it survives when
``log p(w) - Σ log p(part)`` reaches ``split_margin * (len(w) - 1)`` (and it is
not longer than ``max_length``), otherwise it is deleted and its count is added
to its parts. Short words are segmented by enumerating their compositions
(all ways to cut 2-4 units), longer ones by dynamic programming; words are
deleted from a log-count table only, so no trie has to be rebuilt.
"""

from __future__ import annotations

import itertools
import math

UNKNOWN = -100.0


def _compositions(length: int) -> list[list[tuple[int, int]]]:
    """All ways to cut ``length`` units into contiguous parts, as (start, end) lists."""
    result = []
    for cuts in itertools.product((False, True), repeat=length - 1):
        bounds = [0] + [i + 1 for i, cut in enumerate(cuts) if cut] + [length]
        result.append(list(itertools.pairwise(bounds)))
    return result


_SHORT = {n: _compositions(n) for n in range(2, 6)}


class _Deduplicator:
    def __init__(
        self, words: dict[str, int], split_margin: float, max_length: int | None
    ) -> None:
        for word, count in words.items():
            if not word or count <= 0:
                raise ValueError(
                    f"candidate words need a positive count, got {word!r}: {count}"
                )
        self.counts = dict(words)
        self.log_counts = {w: math.log(c) for w, c in words.items()}
        self.total = sum(words.values())
        self.prefixes = {w[:k] for w in words for k in range(1, len(w) + 1)}
        self.longest = max(map(len, words), default=1)
        self.split_margin = split_margin
        self.max_length = max_length if max_length is not None else math.inf

    def split(self, word: str) -> tuple[list[str], float]:
        """Best segmentation of ``word`` without ``word`` itself, and its log-probability."""
        log_counts, log_total = self.log_counts, math.log(self.total)
        n = len(word)
        if n in _SHORT:
            best, best_score = None, -math.inf
            for parts in (
                _SHORT[n][1:] if n > 1 else _SHORT[n]
            ):  # [0] is the word itself
                score = 0.0
                for a, b in parts:
                    log_count = log_counts.get(word[a:b])
                    if log_count is None:
                        if b - a > 1:
                            break
                        score += UNKNOWN
                    else:
                        score += log_count - log_total
                else:
                    if score > best_score:
                        best, best_score = parts, score
            return [word[a:b] for a, b in best], best_score
        return self._viterbi(word, log_total)

    def _viterbi(self, word: str, log_total: float) -> tuple[list[str], float]:
        n = len(word)
        best = [0.0] + [-math.inf] * n
        back = [0] * (n + 1)
        for i in range(n):
            base = best[i]
            for j in range(i + 1, min(n, i + self.longest) + 1):
                piece = word[i:j]
                if piece not in self.prefixes:
                    if j == i + 1 and base + UNKNOWN > best[j]:
                        best[j], back[j] = base + UNKNOWN, i
                    break
                if j - i == n:
                    continue  # the word itself is excluded
                log_count = self.log_counts.get(piece)
                score = (
                    (log_count - log_total)
                    if log_count is not None
                    else (UNKNOWN if j == i + 1 else None)
                )
                if score is not None and base + score > best[j]:
                    best[j], back[j] = base + score, i
        parts, j = [], n
        while j > 0:
            parts.append(word[back[j] : j])
            j = back[j]
        return parts[::-1], best[n]

    def run(self) -> dict[str, int]:
        for word in sorted(
            self.counts, key=lambda w: (-len(w), w)
        ):  # deterministic order
            if len(word) < 2:
                break
            count = self.counts[word]
            parts, split_score = self.split(word)
            gain = self.log_counts[word] - math.log(self.total) - split_score
            if len(word) <= self.max_length and gain >= self.split_margin * (
                len(word) - 1
            ):
                continue
            del self.counts[word], self.log_counts[word]
            self.total += count * (len(parts) - 1)
            for part in parts:
                new = self.counts.get(part, 0) + count
                self.counts[part] = new
                self.log_counts[part] = math.log(new)
                self.prefixes.add(part)
        return self.counts
