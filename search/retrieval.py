"""First-stage retrieval: lexical and dense candidates, and both scores for every candidate.

Composes a lexical and a vector index (any implementations of ``index.protocols``) the way pyserini
composes a sparse and a dense searcher; fusion is ``search.fusion``'s job. Clauses of laws are searched
with the adapted query vector, everything else with the plain one (see ``search.adapter``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from index.protocols import DocFilter, LexicalIndex, LexicalScores, VectorIndex


@dataclass
class Candidates:
    ids: list[str]
    lexical: np.ndarray  # BM25 score of each candidate (0 where it has none of the terms)
    dense: np.ndarray  # cosine with the (adapted, for laws) query; 0 without a query vector
    adapted: np.ndarray  # True where the adapted query vector scored the candidate


def law_mask(is_law: Callable[[str], bool], ids: Sequence[str]) -> np.ndarray:
    """``is_law`` of every id as one boolean array (through its ``many`` when it has one: a search asks it
    of tens of thousands of candidates in a large index)."""
    many = getattr(is_law, "many", None)
    if many is not None:
        return many(ids)
    return np.fromiter((is_law(c) for c in ids), dtype=bool, count=len(ids))


def _best_per_group(
    lists: list[list[str]], scores_for: Callable[[Sequence[str]], np.ndarray], k: int
) -> list[list[str]]:
    """Candidates pooled from several queries, re-scored as one and cut to the best ``k``, for each list,
    with one ``scores_for`` call for all of them (a clause's score does not
    depend on the others asked with it; a search of hundreds of jurisdictions made a call per jurisdiction)."""
    union = list(dict.fromkeys(c for ids in lists for c in ids))
    if not union:
        return [[] for _ in lists]
    score = dict(zip(union, scores_for(union)))
    out = []
    for ids in lists:
        s = np.array([score[c] for c in ids], dtype=np.float32)
        out.append([ids[i] for i in np.argsort(-s, kind="stable")[:k]])
    return out


class SplitScores:
    """Lexical scores where law clauses and policy clauses were scored by different queries: the STARD term
    model (过错, 配偶 …) reads questions the way statutes are written, so its terms score law clauses only
    and a policy question keeps its own words (用地 does not pull in 过错)."""

    def __init__(self, policy: LexicalScores, law: LexicalScores, is_law: Callable[[str], bool]) -> None:
        self.policy, self.law, self.is_law = policy, law, is_law

    def top(self, k: int) -> tuple[list[str], np.ndarray]:
        pairs = [
            (s, c)
            for part, want_law in ((self.policy, False), (self.law, True))
            for c, s in zip(*part.top(k))
            if self.is_law(c) == want_law
        ]
        pairs.sort(key=lambda x: -x[0])
        return [c for _, c in pairs[:k]], np.asarray([s for s, _ in pairs[:k]], np.float32)

    def scores_for(self, ids: Sequence[str]) -> np.ndarray:
        law = law_mask(self.is_law, ids)
        return np.where(law, self.law.scores_for(ids), self.policy.scores_for(ids)).astype(np.float32)

    def top_groups(self, k: int, groups: Sequence[DocFilter]) -> list[list[str]]:
        pols, laws = self.policy.top_groups(k, groups), self.law.top_groups(k, groups)
        union = list(dict.fromkeys(c for part in (pols, laws) for ids in part for c in ids))
        law = dict(zip(union, law_mask(self.is_law, union).tolist()))
        lists = [[c for c in pol if not law[c]] + [c for c in lw if law[c]] for pol, lw in zip(pols, laws)]
        return _best_per_group(lists, self.scores_for, k)


class ConceptScores:
    """Lexical scores where each rewritten concept counts once: a clause scores the best of a concept's
    forms (民营医院, 民营, 社会办医, 社会办医疗机构 …), not their sum, as Lucene's SynonymQuery does; the
    other words add up as usual. Without it a clause that names the concept three ways outranks one
    that names it once and also says 用地."""

    def __init__(self, plain: LexicalScores, concepts: list[list[LexicalScores]]) -> None:
        self.plain, self.concepts = plain, concepts

    def _parts(self) -> list[LexicalScores]:
        return [self.plain, *(p for c in self.concepts for p in c)]

    def scores_for(self, ids: Sequence[str]) -> np.ndarray:
        out = self.plain.scores_for(ids).astype(np.float32)
        for forms in self.concepts:
            out += np.max(np.vstack([f.scores_for(ids) for f in forms]), axis=0)
        return out

    def top(self, k: int) -> tuple[list[str], np.ndarray]:
        ids = list(dict.fromkeys(c for part in self._parts() for c in part.top(k)[0]))
        scores = self.scores_for(ids)
        best = np.argsort(-scores, kind="stable")[:k]
        return [ids[i] for i in best], scores[best]

    def top_groups(self, k: int, groups: Sequence[DocFilter]) -> list[list[str]]:
        per = [part.top_groups(k, groups) for part in self._parts()]
        lists = [list(dict.fromkeys(c for p in per for c in p[g])) for g in range(len(groups))]
        return _best_per_group(lists, self.scores_for, k)


def _per_group(source: object, method: str, *args: object) -> list[Sequence[str]]:
    """Each group's best as lists to merge: one list where ``source`` merges them itself (``…_merged``:
    no per-jurisdiction list of ids is made, ~15 ms a search at 10⁶ clauses), else one per group."""
    merged = getattr(source, f"{method}_merged", None)
    return [merged(*args)] if merged is not None else list(getattr(source, method)(*args))


def _take(ids: Sequence[str], mask: np.ndarray) -> Sequence[str]:
    """The ids where ``mask`` is true, still carrying their rows when they came with them."""
    take = getattr(ids, "take", None)
    return take(mask) if take is not None else [c for c, m in zip(ids, mask) if m]


def _row_wise(first: LexicalScores, *others: LexicalScores) -> bool:
    """Whether the scores can be combined as whole arrays by their index (``BM25Scores``): at 10⁶
    clauses, combining per candidate id cost ~200 ms a search, as arrays ~10 ms."""
    composes = getattr(first, "composes_with", None)
    return composes is not None and all(composes(o) for o in others)


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
        law_docs: DocFilter | None = None,
        parallel: bool = False,
    ) -> None:
        """``laws``/``others``: the documents the adapter applies to and the rest (None: no split);
        ``is_law`` tells a law's clause by id, ``law_docs`` names the laws' documents (with it, scores
        that compose row by row are split by row, not per candidate id); ``parallel``: the vector side
        of a search on a second thread while BM25 scores (FAISS and NumPy's sums let go of the GIL)."""
        self.lexical = lexical
        self.vectors = vectors
        self.laws = laws
        self.others = others
        self.is_law = is_law
        self.law_docs = law_docs
        self.parallel = parallel
        self._thread: ThreadPoolExecutor | None = None  # made at the first search that uses it

    def close(self) -> None:
        if self._thread is not None:
            self._thread.shutdown(wait=False)
            self._thread = None

    def _on_the_side(self, work: Callable[[], list[Sequence[str]]]) -> Callable[[], list[Sequence[str]]]:
        """``work`` started on the second thread (when ``parallel``); call the result to wait for it."""
        if not self.parallel:
            return work
        if self._thread is None:
            self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vector-side")
        return self._thread.submit(work).result

    def lexical_scores(
        self,
        tokens: list[str],
        weights: dict[str, float],
        where: DocFilter | None,
        law_weights: dict[str, float] | None = None,
        concepts: list[list[str]] | None = None,
    ) -> LexicalScores:
        """``law_weights``: terms that score law clauses only (see :class:`SplitScores`); ``concepts``:
        groups of tokens that count once, at their best (see :class:`ConceptScores`)."""
        if concepts:
            grouped = {t for c in concepts for t in c}
            plain = self.lexical_scores([t for t in tokens if t not in grouped], weights, where, law_weights)
            forms = [[self.lexical.query([t], {t: weights.get(t, 1.0)}, where) for t in c] for c in concepts]
            if _row_wise(plain, *(f for c in forms for f in c)):
                return plain.plus_best_of(forms)  # type: ignore[attr-defined]
            return ConceptScores(plain, forms)
        if not law_weights:
            return self.lexical.query(tokens, weights, where)
        law = self.lexical.query(tokens + list(law_weights), {**weights, **law_weights}, where)
        if self.is_law is None:
            return law
        policy = self.lexical.query(tokens, weights, where)
        if self.law_docs is not None and _row_wise(policy, law):
            return policy.split(law, self.law_docs)  # type: ignore[attr-defined]
        return SplitScores(policy, law, self.is_law)

    def retrieve_groups(
        self,
        tokens: list[str],
        weights: dict[str, float],
        qvec: np.ndarray | None,
        law_qvec: np.ndarray | None,
        k: int,
        groups: Sequence[DocFilter],
        where: DocFilter | None,
        law_weights: dict[str, float] | None = None,
        concepts: list[list[str]] | None = None,
        expand: Callable[[Sequence[str]], list[str]] | None = None,
        whole: int | None = None,
    ) -> Candidates:
        """Candidates from within each group (a jurisdiction's documents): its ``k`` best by BM25 and its ``k``
        nearest, so that one group's weaker wording is never cut off by another's stronger one; with
        ``whole``, also the ``whole`` best and nearest of everything ``where`` allows. ``expand`` adds
        candidates that belong with those found (the other parts of a split clause), keeping one fixed
        order (:meth:`ordered`)."""

        def nearest() -> list[Sequence[str]]:
            if qvec is None:
                return []
            parts = (
                ((qvec, None),)
                if law_qvec is None or self.laws is None
                else ((law_qvec, self.laws), (qvec, self.others))
            )
            prepare = getattr(self.vectors, "prepare", None)
            if prepare is not None and len(parts) > 1:
                prepare([vec for vec, _ in parts])
            out: list[Sequence[str]] = []
            for vec, part in parts:
                scope = _and(part, where)
                if scope is None or scope.keys:
                    out.extend(_per_group(self.vectors, "search_groups", vec, k, groups, scope))
                    if whole:
                        out.append(self.vectors.search(vec, whole, scope)[0])
            return out

        vector_side = self._on_the_side(nearest) if qvec is not None else nearest
        lex = self.lexical_scores(tokens, weights, where, law_weights, concepts)
        found = _per_group(lex, "top_groups", k, groups)
        if whole:
            found.append(lex.top(whole)[0])
        found.extend(vector_side())
        return self._score(self._with_parts(found, expand), lex, qvec, law_qvec)

    def ordered(self, lists: Sequence[Sequence[str]]) -> list[str]:
        """Every id of ``lists`` once, in one fixed order whatever order they came in: the lexical index's
        own where it has one (the ids it and an index sharing its rows found are merged without a look-up
        each), else sorted."""
        ordered = getattr(self.lexical, "ordered", None)
        if ordered is not None:
            return ordered(lists)
        return sorted(dict.fromkeys(c for ids in lists for c in ids))

    def _with_parts(
        self, found: list[Sequence[str]], expand: Callable[[Sequence[str]], list[str]] | None
    ) -> list[str]:
        ids = self.ordered(found)
        return expand(ids) if expand is not None else ids

    def _score(
        self, cands: list[str], lex: LexicalScores, qvec: np.ndarray | None, law_qvec: np.ndarray | None
    ) -> Candidates:
        adapted = np.zeros(len(cands), dtype=bool)
        dense = np.zeros(len(cands), np.float32)
        if qvec is not None and cands:
            if law_qvec is not None and self.laws is not None and self.is_law is not None:
                adapted = law_mask(self.is_law, cands)
            if not adapted.any():
                dense = self.vectors.scores_for(qvec, cands)
            else:  # each clause scored by its own query only (a law's vector is read once)
                for mask, vec in ((~adapted, qvec), (adapted, law_qvec)):
                    if mask.any():
                        dense[mask] = self.vectors.scores_for(vec, _take(cands, mask))
        return Candidates(cands, lex.scores_for(cands) if cands else np.zeros(0, np.float32), dense, adapted)
