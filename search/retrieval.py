"""First-stage retrieval: lexical and dense candidates, and both scores for every candidate.

Composes a lexical and a vector index (any implementations of ``index.protocols``) the way pyserini
composes a sparse and a dense searcher; fusion is ``search.fusion``'s job. Clauses of laws are searched
with the adapted query vector, everything else with the plain one (see ``search.adapter``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from index.protocols import DocFilter, LexicalIndex, LexicalScores, VectorIndex


@dataclass
class Candidates:
    ids: list[str]
    lexical: np.ndarray  # BM25 score of each candidate (0 where it has none of the terms)
    dense: np.ndarray  # cosine with the (adapted, for laws) query; 0 without a query vector
    adapted: np.ndarray  # True where the adapted query vector scored the candidate


def _and(a: DocFilter | None, b: DocFilter | None) -> DocFilter | None:
    if a is None or b is None:
        return a or b
    both = a.conditions + b.conditions if a.conditions is not None and b.conditions is not None else None
    return DocFilter(a.keys & b.keys, both)


class Retriever:
    def __init__(
        self,
        lexical: LexicalIndex,
        vectors: VectorIndex,
        laws: DocFilter | None = None,
        others: DocFilter | None = None,
        is_law: Callable[[str], bool] | None = None,
    ) -> None:
        """``laws``/``others``: the documents the adapter applies to and the rest (None: no split);
        ``is_law`` tells a law's clause by id."""
        self.lexical = lexical
        self.vectors = vectors
        self.laws = laws
        self.others = others
        self.is_law = is_law

    def retrieve_groups(
        self,
        tokens: list[str],
        weights: dict[str, float],
        qvec: np.ndarray | None,
        law_qvec: np.ndarray | None,
        k: int,
        groups: Sequence[DocFilter],
        where: DocFilter | None,
    ) -> Candidates:
        """Candidates from within each group (a jurisdiction's documents): its ``k`` best by BM25 and its ``k``
        nearest, so that one group's weaker wording is never cut off by another's stronger one."""
        lex = self.lexical.query(tokens, weights, where)
        found: dict[str, None] = {}
        for ids in lex.top_groups(k, groups):
            found.update(dict.fromkeys(ids))
        if qvec is not None:
            parts = (
                ((qvec, None),)
                if law_qvec is None or self.laws is None
                else ((law_qvec, self.laws), (qvec, self.others))
            )
            for vec, part in parts:
                scope = _and(part, where)
                if scope is None or scope.keys:
                    for ids in self.vectors.search_groups(vec, k, groups, scope):
                        found.update(dict.fromkeys(ids))
        return self._score(sorted(found), lex, qvec, law_qvec)

    def retrieve(
        self,
        tokens: list[str],
        weights: dict[str, float],
        qvec: np.ndarray | None,
        law_qvec: np.ndarray | None,
        depth: int,
        where: DocFilter | None,
    ) -> Candidates:
        lex = self.lexical.query(tokens, weights, where)
        ids, _ = lex.top(depth)
        found = dict.fromkeys(ids)
        if qvec is not None:
            if law_qvec is None or self.laws is None:
                found.update(dict.fromkeys(self.vectors.search(qvec, depth, where)[0]))
            else:
                for vec, part in ((law_qvec, self.laws), (qvec, self.others)):
                    scope = _and(part, where)
                    if scope is None or scope.keys:
                        found.update(dict.fromkeys(self.vectors.search(vec, depth, scope)[0]))
        return self._score(sorted(found), lex, qvec, law_qvec)  # a fixed order, whatever order they came in

    def _score(
        self, cands: list[str], lex: LexicalScores, qvec: np.ndarray | None, law_qvec: np.ndarray | None
    ) -> Candidates:
        adapted = np.zeros(len(cands), dtype=bool)
        dense = np.zeros(len(cands), np.float32)
        if qvec is not None and cands:
            dense = self.vectors.scores_for(qvec, cands)
            if law_qvec is not None and self.laws is not None and self.is_law is not None:
                adapted = np.fromiter((self.is_law(c) for c in cands), dtype=bool, count=len(cands))
                if adapted.any():
                    law_ids = [c for c, a in zip(cands, adapted) if a]
                    dense[adapted] = self.vectors.scores_for(law_qvec, law_ids)
        return Candidates(cands, lex.scores_for(cands) if cands else np.zeros(0, np.float32), dense, adapted)
