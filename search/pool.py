"""The candidates a question is judged on, the same for every view.

Each jurisdiction in scope gives its own best ``depth`` clauses by BM25 and its ``depth`` nearest by
embedding (``Retriever.retrieve_groups``), and every part of a split clause comes with any one of them.
Because one jurisdiction's list is never cut by another's, the pool of a search filtered to one
jurisdiction (the drill-down) is exactly that jurisdiction's share of the unfiltered pool, and the union
holds the global top ``depth`` of both retrievers too. So a region's count in a grouped search, the total
of its drill-down and its count in a comparison are one number, read from one set of clauses.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from index.protocols import DocFilter, FieldCondition
from index.store import ClauseStore
from search.prepare import Prepared
from search.retrieval import Candidates, Retriever

UNKNOWN = "未知"


def clause_key(clause_id: str) -> str:
    """A clause's id without its part suffix: "x.txt:五/(十九)~2" → "x.txt:五/(十九)"."""
    return clause_id.partition("~")[0]


MIN_DEPTH = 10  # a large index's least candidates per jurisdiction: a region's best few are always read


class CandidatePool:
    def __init__(self, retriever: Retriever, store: ClauseStore, budget: int = 0) -> None:
        """``budget``: candidates per retriever past which a large index reads fewer per jurisdiction
        (:meth:`depth_for`; 0: never)."""
        self.retriever = retriever
        self.store = store
        self.budget = budget
        by_jur: dict[str, list[str]] = defaultdict(list)
        values: dict[str, set[str]] = defaultdict(set)  # the field's values a jurisdiction's documents hold
        for key, meta in zip(store.doc_ids, store.doc_meta):
            value = meta.get("jurisdiction") or ""
            by_jur[value or UNKNOWN].append(key)
            values[value or UNKNOWN].add(value)
        # one filter per jurisdiction, kept for the generation's life: each index caches its rows once; also
        # as the field's value, for an engine that filters on its own fields (Milvus: one short condition,
        # not a list of every document's key)
        self.filters = {
            j: DocFilter(
                keys,
                [FieldCondition("jurisdiction", "in", tuple(values[j]))] if len(values[j]) == 1 else None,
            )
            for j, keys in sorted(by_jur.items())
        }
        self.inferred = {
            j: all(store.doc_meta[store.doc_index(k)].get("jurisdiction_inferred") for k in keys)  # type: ignore[index]
            for j, keys in by_jur.items()
        }
        self._jur_of_doc = [m.get("jurisdiction") or UNKNOWN for m in store.doc_meta]
        self._split: tuple[dict[str, list[str]], set[str]] | None = None  # by id: :meth:`_split_by_id`

    def _split_by_id(self) -> tuple[dict[str, list[str]], set[str]]:
        """The clauses split into parts (x, x~2, x~3 …), by their first part's id, and every id among
        them; made on first use, for a lexical index that does not keep them by row (10⁶ ids read)."""
        if self._split is None:
            clause_doc = self.store.clause_doc
            parts: dict[str, list[str]] = {}
            for c in clause_doc:
                if "~" in c:
                    parts.setdefault(c.split("~")[0], []).append(c)
            for base, some in parts.items():  # x, then x~2, x~3 … in order, up to the first one missing
                numbers = sorted(int(p.rsplit("~", 1)[1]) for p in some if p.rsplit("~", 1)[1].isdigit())
                run = [n for i, n in enumerate(numbers) if n == i + 2]
                first = [base] if base in clause_doc else []  # a part whose first is gone brings none
                parts[base] = first + [f"{base}~{n}" for n in run]
            self._split = parts, set(parts).union(*parts.values())
        return self._split

    def jurisdiction_of(self, clause_id: str) -> str:
        return self._jur_of_doc[self.store.clause_doc[clause_id]]

    def in_scope(self, where: DocFilter | None) -> list[str]:
        """The jurisdictions with at least one document the filters allow."""
        scope = where.keys if where is not None else None
        return [j for j, f in self.filters.items() if scope is None or f.keys & scope]

    def with_parts(self, ids: Sequence[str]) -> list[str]:
        """``ids`` and every other part of the split clauses among them (``x``, ``x~2``, ``x~3`` …), each
        once, in the retriever's fixed order: from the lexical index where it keeps the split clauses by
        row (no look-up per id: a search at 10⁶ clauses holds thousands of split clauses), else by id."""
        by_index = getattr(self.retriever.lexical, "with_parts", None)
        if by_index is not None:
            return by_index(ids)
        parts, members = self._split_by_id()
        have = members.intersection(ids)
        more = set().union(*(parts[clause_key(c)] for c in have)) - have
        return self.retriever.ordered([ids, list(more)]) if more else list(ids)

    def depth_for(self, depth: int, budget: int) -> tuple[int, int | None]:
        """(candidates per jurisdiction and retriever, candidates of the whole scope or None). Up to the
        budget, each jurisdiction gives ``depth``; in an index of more clauses than the budget whose
        jurisdictions would give more, each gives ``budget ÷ jurisdictions`` (not under
        ``MIN_DEPTH``) and the whole scope its best ``depth``, so the hits stay those of the whole index."""
        jurisdictions = len(self.filters)
        if budget <= 0 or len(self.store) <= budget or jurisdictions * depth <= budget:
            return depth, None
        return max(MIN_DEPTH, budget // jurisdictions), depth

    def candidates(self, p: Prepared, depth: int) -> Candidates:
        """Every in-scope jurisdiction's ``depth`` best by BM25 and ``depth`` nearest, with their parts
        (in a large index, fewer per jurisdiction and the scope's best: :meth:`depth_for`)."""
        jurs = self.in_scope(p.where)
        lq = p.lexical
        per, whole = self.depth_for(depth, self.budget)
        return self.retriever.retrieve_groups(
            lq.terms,
            lq.weights,
            p.qvec,
            p.law_qvec,
            per,
            [self.filters[j] for j in jurs],
            p.where,
            lq.law_weights,
            lq.concepts,
            expand=self.with_parts,
            whole=whole,
        )


__all__ = ["CandidatePool", "UNKNOWN"]
