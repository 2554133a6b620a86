"""Pseudo-relevance feedback from the dense side: the corpus's own words for what the question means.

A colloquial or English question shares few words with the clauses that answer it ("新房买了几年才能卖" →
限售, 不动产权证, 满2年, 上市交易; "provident fund withdrawal to pay rent" → 提取, 租赁, 房租). The embedding
finds such clauses without the words; their words then say it in the documents' own terms. The clauses the
question embeds closest to (the first ``docs`` by cosine among the candidates) give a term distribution
(RM1: each clause's term frequencies over its length, averaged), weighted by IDF; the best ``terms`` that
are not the question's own become a second BM25 query, whose score is added to the lexical side's score of
every candidate with weight ``weight`` (scaled to the first query's best). Relevance is not touched: it reads
the question's own words. Learned from nothing but the indexed text and the embedding.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from index.protocols import DocFilter, LexicalIndex
from index.tokenizer import ChineseTokenizer

_WORD = re.compile(r"^[\u4e00-\u9fff]{2,}$")


@dataclass(frozen=True)
class Feedback:
    terms: dict[str, float]  # term → weight in the feedback query
    scores: np.ndarray  # the feedback query's BM25 for each candidate, scaled


class DenseFeedback:
    def __init__(
        self,
        lexical: LexicalIndex,
        tokenizer: ChineseTokenizer,
        clause_text: Callable[[str], str],
        docs: int = 10,
        terms: int = 10,
        max_df_share: float = 0.05,
    ) -> None:
        """``max_df_share``: a term in more than this share of the clauses (通知, 住房) says nothing."""
        self.lexical = lexical
        self.tokenizer = tokenizer
        self.clause_text = clause_text
        self.docs, self.terms, self.max_df_share = docs, terms, max_df_share

    def expand(
        self,
        own: Sequence[str],
        ids: Sequence[str],
        dense: np.ndarray,
        lexical_scores: np.ndarray,
        where: DocFilter | None,
    ) -> Feedback | None:
        """The feedback query's terms and its score for each of ``ids`` (None when nothing to feed back)."""
        if not len(ids) or not np.any(dense > 0):
            return None
        top = _nearest(dense, self.docs)
        mass: Counter[str] = Counter()
        seen: set[str] = set()
        for i in top:
            text = self.clause_text(ids[int(i)])
            if text in seen:  # the same clause in several documents says it once
                continue
            seen.add(text)
            toks = [t for t in self.tokenizer.tokenize(text) if _WORD.match(t)]
            if not toks:
                continue
            for t, n in Counter(toks).items():
                mass[t] += n / len(toks)
        own_set = set(own)
        cands = [
            t for t in mass if t not in own_set and not any(t in o or o in t for o in own_set if len(o) > 1)
        ]
        if not cands:
            return None
        idf = self.lexical.idf(cands)
        size = max(self.lexical.size, 1)
        floor = np.log1p((size - self.max_df_share * size + 0.5) / (self.max_df_share * size + 0.5))
        scored = [(t, mass[t] * w) for t, w in zip(cands, idf.tolist()) if w >= floor]
        scored.sort(key=lambda x: -x[1])
        picked = scored[: self.terms]
        if not picked:
            return None
        best = picked[0][1]
        terms = {t: s / best for t, s in picked}
        # ``ids`` as given: a candidate list that carries its rows is scored without a look-up per id
        fb = self.lexical.query(list(terms), terms, where).scores_for(ids).astype(np.float64)
        top_lex = float(np.max(lexical_scores)) if len(lexical_scores) else 0.0
        top_fb = float(np.max(fb)) if fb.size else 0.0
        if top_fb <= 0:
            return None
        # on the first query's scale, so that the weight means the same for every question
        scale = (top_lex if top_lex > 0 else 1.0) / top_fb
        return Feedback(terms, fb * scale)


def _nearest(dense: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` highest cosines, highest first, ties by position (what a stable sort of all
    of them gives, without sorting tens of thousands of candidates)."""
    if len(dense) > k:
        kth = -np.partition(-dense, k - 1)[k - 1]  # the k-th highest: every tie with it is a candidate
        held = np.flatnonzero(dense >= kth)
        return held[np.argsort(-dense[held], kind="stable")][:k]
    return np.argsort(-dense, kind="stable")


__all__ = ["DenseFeedback", "Feedback"]
