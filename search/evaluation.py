"""Retrieval metrics and relevance judging, independent of any index.

Judging is by text, not by ids, so any chunking can be scored: a seed judgment is (document, distinctive
phrase, grade); a STARD gold article is relevant to a passage when both share a 20-character run after NFKC
and whitespace removal.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from corpus.normalize import squash


@dataclass(frozen=True)
class Judgment:
    key: str  # which relevant unit (a seed clause, a gold article)
    grade: int


def ndcg_at(gains_by_rank: Sequence[int], ideal: Sequence[int], k: int = 10) -> float:
    dcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(gains_by_rank[:k]))
    idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(sorted(ideal, reverse=True)[:k]))
    return dcg / idcg if idcg > 0 else 0.0


def score_ranking(
    matches: Sequence[list[Judgment]], judgments: Sequence[Judgment], k: int = 10
) -> dict[str, float]:
    """``matches[i]``: the judgments that hit i satisfies. Each judgment counts once, at its first hit."""
    used: set[str] = set()
    gains: list[int] = []
    first_rel = None
    found_at: dict[str, int] = {}
    for rank, ms in enumerate(matches, 1):
        fresh = [m for m in ms if m.key not in used]
        if fresh:
            best = max(fresh, key=lambda m: m.grade)
            used.add(best.key)
            gains.append(best.grade)
            for m in fresh:
                found_at.setdefault(m.key, rank)
            if first_rel is None:
                first_rel = rank
        else:
            gains.append(0)
    keys = {j.key for j in judgments}
    out = {
        f"ndcg@{k}": ndcg_at(gains, [j.grade for j in judgments], k),
        f"mrr@{k}": (1.0 / first_rel) if first_rel and first_rel <= k else 0.0,
    }
    for cut in (10, 100):
        out[f"recall@{cut}"] = sum(1 for key in keys if found_at.get(key, 10**9) <= cut) / max(len(keys), 1)
    return out


def mean_metrics(rows: Sequence[dict[str, float]]) -> dict[str, float]:
    if not rows:
        return {}
    return {key: sum(r[key] for r in rows) / len(rows) for key in rows[0]}


class NgramJudge:
    """STARD rule: a passage is relevant to a gold article when they share an ``n``-character run."""

    def __init__(self, n: int = 20) -> None:
        self.n = n

    def grams(self, text: str) -> set[str]:
        s = squash(text)
        if len(s) < self.n:
            return {s} if s else set()
        return {s[i : i + self.n] for i in range(len(s) - self.n + 1)}

    def relevant(self, passage: str, gold_grams: set[str]) -> bool:
        s = squash(passage)
        if len(s) < self.n:
            return bool(s) and any(s in g for g in gold_grams)
        return any(s[i : i + self.n] in gold_grams for i in range(len(s) - self.n + 1))
