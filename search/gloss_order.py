"""An English question's first page re-ordered by its words read in the clauses' CC-CEDICT glosses.

Why: the lexical side reads an English question through the few Chinese words chosen for each of its words
(``search.english``: 2 per key), and a word with no good rendering among them ("home" → 家居 家园) finds
little. Reading the other way round, every Chinese word of a clause stands for the English words of its first
CC-CEDICT senses (``search/data/chinese_glosses.tsv.gz``: 住房 → housing, 首付 → down payment, 公积金 →
accumulated fund official reserve), so a clause can be scored against the question's English words as they are,
with no choice of translation (document translation; each English word counts once per clause word whose
gloss holds it, as in a structured query).

For an English question (half its letters Latin or more) ranked by the weighted fusion, the first
``english_gloss_order`` hits are re-ordered by reciprocal rank fusion (k 60, equal weights) of their place and
their rank by BM25 over the glosses (``index.bm25.BM25Index.grouped_scores``: k1 1.5, b 0.75, a clause's length
in gloss words), within their tier and place class, as the head order keeps them: a weak match never stands above
a strong one, nor another city's clause above the named city's. The words read are the question's without the
place it names. Off by default: about +0.04 nDCG@10 on every English set, but above zero in neither of its two
registered tests (BENCHMARKS.md, "English questions, sixth round"). A search and a drill-down use it; a grouped
search, compare and the timeline keep their order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from search.english import content_words, read_keyed
from search.tiers import reorder_within

GLOSSES = Path(__file__).parent / "data" / "chinese_glosses.tsv.gz"
RRF_K = 60
# CC-CEDICT's abbreviations in its senses ("to help sb", "fig. …", "lit. …"), not English a question asks in
NOT_WORDS = frozenset("sb sth fig lit esp etc abbr cl".split())

T = TypeVar("T")


@dataclass(frozen=True)
class ChineseGlosses:
    """Chinese word → the English words of its first CC-CEDICT senses, and the other way round."""

    by_word: Mapping[str, tuple[str, ...]]  # 住房 → (housing,)
    by_english: Mapping[str, tuple[str, ...]]  # housing → (住房, 住宅区, …)
    lengths: Mapping[str, float]  # 住房 → 1.0: a clause word's length in gloss words

    @classmethod
    def of(cls, by_word: Mapping[str, Sequence[str]]) -> ChineseGlosses:
        english: dict[str, list[str]] = defaultdict(list)
        for zh, words in by_word.items():
            for w in words:
                english[w].append(zh)
        return cls(
            {k: tuple(v) for k, v in by_word.items()},
            {k: tuple(v) for k, v in english.items()},
            {k: float(len(v)) for k, v in by_word.items()},
        )

    @classmethod
    def read(cls, path: Path = GLOSSES) -> ChineseGlosses:
        """Raises OSError when the file cannot be read."""
        return cls.of(read_keyed(path))

    @staticmethod
    @cache
    def bundled() -> ChineseGlosses:
        """The bundled file, read once per process (~75 k words, ~0.5 s)."""
        return ChineseGlosses.read()

    def groups(self, question: str) -> list[tuple[str, ...]]:
        """One group of Chinese words per distinct English content word of ``question`` that some gloss
        holds: "down payment for a home" → (首付, 定金, …), (首付, 付款, …), (家, 家居, …). A single letter,
        a word with an apostrophe ("can't": CC-CEDICT's idioms) and CC-CEDICT's own markers (sb, sth, fig,
        lit) are no words to read."""
        out = []
        for w in dict.fromkeys(content_words(question)):
            if len(w) < 2 or "'" in w or w in NOT_WORDS:
                continue
            zh = self.by_english.get(w)
            if zh:
                out.append(zh)
        return out


def fused_within_tiers(
    first: Sequence[T], scores: np.ndarray, tier: Callable[[T], Any]
) -> tuple[list[T], list[int]]:
    """``first`` (already in tier order) re-ordered by reciprocal rank fusion of each item's place and its
    rank by ``scores`` (ties by place), keeping each item within its tier (``tier(item)``: items of one tier
    stay in the places that tier held); also each item's 1-based rank by ``scores``, in the new order."""
    n = len(first)
    if n < 2:
        return list(first), [1] * n
    by_score = np.argsort(-np.asarray(scores, np.float64), kind="stable")
    score_rank = np.empty(n, np.int64)
    score_rank[by_score] = np.arange(n)
    fused = 1.0 / (RRF_K + np.arange(n)) + 1.0 / (RRF_K + score_rank)
    order = reorder_within(
        [tier(item) for item in first],
        lambda members: sorted(range(len(members)), key=lambda j: (-fused[members[j]], j)),
    )
    return [first[i] for i in order], [int(score_rank[i]) + 1 for i in order]
