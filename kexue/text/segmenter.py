"""Maximum-probability word segmentation over a lexicon (unigram model).

Every lexicon word that matches the text is an edge of a directed acyclic
graph over unit positions, weighted by ``log(count / total)``; dynamic
programming picks the path with the largest total weight. Characters the
lexicon does not know become one-character words with ``unknown_score``.
Word lookup goes through a prefix table (a flat trie), so the scan from each
position stops as soon as no lexicon word continues.

``Tokenizer``, the name of :class:`WordSegmenter` in kexue 0.1, still works for one
release and warns (``FutureWarning``).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping

from kexue.text.units import SEPARATOR, split_units


class WordSegmenter:
    """Unigram maximum-probability word segmenter over a lexicon of ``word -> count``
    (``kexue.text.Tokenizer`` before 0.2; not the WordPiece ``kexue.tokenizers.Tokenizer``).

    Words are in unit form (see :mod:`kexue.text.units`): numbers and Latin
    runs are single placeholder characters, so a lexicon entry such as
    ``NUMBER + "年"`` matches "１９９８年".

    Args:
        words: mapping or iterable of ``(word, count)`` with positive counts.
        unknown_score: log-probability of a character the lexicon lacks.

    Example:
        >>> tok = WordSegmenter({"中国": 10, "人民": 8, "中": 2, "国": 1, "人": 3, "民": 1})
        >>> tok.tokenize("中国人民，你好")
        ['中国', '人民', '，', '你', '好']
    """

    def __init__(
        self,
        words: Mapping[str, int] | Iterable[tuple[str, int]] = (),
        unknown_score: float = -100.0,
    ) -> None:
        self.unknown_score = float(unknown_score)
        self.counts: dict[str, int] = {}
        self._prefixes: dict[str, int] = {}
        self.total = 0
        self.max_length = 1
        self._log_counts: dict[str, float] = {}
        items = words.items() if isinstance(words, Mapping) else words
        for word, count in items:
            self.add(word, count)

    def __len__(self) -> int:
        return len(self.counts)

    def __contains__(self, word: str) -> bool:
        return word in self.counts

    def __getitem__(self, word: str) -> int:
        return self.counts.get(word, 0)

    def add(self, word: str, count: int) -> None:
        """Add ``count`` occurrences of ``word`` (creating it if new)."""
        if not isinstance(word, str) or not word:
            raise ValueError(f"a lexicon word must be a non-empty string, got {word!r}")
        if SEPARATOR in word:
            raise ValueError(f"a lexicon word cannot contain a newline: {word!r}")
        if count <= 0:
            raise ValueError(f"word counts must be positive, got {count} for {word!r}")
        if word not in self.counts:
            self.counts[word] = 0
            for k in range(1, len(word) + 1):
                prefix = word[:k]
                self._prefixes[prefix] = self._prefixes.get(prefix, 0) + 1
            self.max_length = max(self.max_length, len(word))
        self.counts[word] += int(count)
        self.total += int(count)
        self._log_counts[word] = math.log(self.counts[word])

    def remove(self, word: str) -> int:
        """Delete ``word``; returns its count (0 when it was absent)."""
        count = self.counts.pop(word, 0)
        if count:
            self.total -= count
            del self._log_counts[word]
            for k in range(1, len(word) + 1):
                prefix = word[:k]
                left = self._prefixes[prefix] - 1
                if left:
                    self._prefixes[prefix] = left
                else:
                    del self._prefixes[prefix]
        return count

    def log_proba(self, word: str) -> float:
        """``log(count / total)``, or ``unknown_score`` for words not in the lexicon."""
        count = self.counts.get(word, 0)
        if not count:
            return self.unknown_score
        return math.log(count) - math.log(self.total)

    def segment_units(self, units: str) -> list[int]:
        """Best segmentation of a run of word units; returns the word end offsets.

        Example:
            >>> WordSegmenter({"ab": 5, "a": 1, "b": 1, "c": 1}).segment_units("abc")
            [2, 3]
        """
        table = self._log_counts
        prefixes = self._prefixes
        log_total = math.log(self.total) if self.total else 0.0
        unknown = self.unknown_score
        n = len(units)
        best = [0.0] + [-math.inf] * n
        back = [0] * (n + 1)
        for i in range(n):
            base = best[i]
            if (
                units[i] not in table and base + unknown > best[i + 1]
            ):  # unknown single unit
                best[i + 1] = base + unknown
                back[i + 1] = i
            stop = min(n, i + self.max_length)
            for j in range(i + 1, stop + 1):
                piece = units[i:j]
                if piece not in prefixes:
                    break
                score = table.get(piece)
                if score is not None and base + score - log_total > best[j]:
                    best[j] = base + score - log_total
                    back[j] = i
        ends = []
        j = n
        while j > 0:
            ends.append(j)
            j = back[j]
        return ends[::-1]

    def tokenize(self, line: str) -> list[str]:
        """Split a line of raw text into words (punctuation runs are their own words).

        Example:
            >>> WordSegmenter({"\\ue000年": 3, "增长": 2}).tokenize("１９９８年GDP增长")
            ['１９９８年', 'GDP', '增长']
        """
        units, pieces = split_units(line)
        words: list[str] = []
        start = 0
        n = len(units)
        while start < n:
            if units[start] == SEPARATOR:
                words.append(pieces[start])
                start += 1
                continue
            stop = units.find(SEPARATOR, start)
            stop = n if stop < 0 else stop
            begin = start
            for end in self.segment_units(units[start:stop]):
                words.append("".join(pieces[begin : start + end]))
                begin = start + end
            start = stop
        return words

    def words(self) -> list[tuple[str, int]]:
        """The lexicon as ``(word, count)``, most frequent first (ties by word)."""
        return sorted(self.counts.items(), key=lambda item: (-item[1], item[0]))


class Tokenizer(WordSegmenter):
    """Deprecated name of :class:`WordSegmenter` (kexue 0.1); it warns and goes in kexue 0.3."""

    def __init__(self, *args, **kwargs) -> None:
        warnings.warn("kexue.text.Tokenizer is now kexue.text.WordSegmenter (the old name goes "
                      "in kexue 0.3); kexue.tokenizers.Tokenizer is the WordPiece tokenizer.",
                      FutureWarning, stacklevel=2)
        super().__init__(*args, **kwargs)
