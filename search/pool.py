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

from index.protocols import DocFilter
from index.store import ClauseStore
from search.prepare import Prepared
from search.retrieval import Candidates, Retriever

UNKNOWN = "未知"


class CandidatePool:
    def __init__(self, retriever: Retriever, store: ClauseStore) -> None:
        self.retriever = retriever
        self.store = store
        by_jur: dict[str, list[str]] = defaultdict(list)
        for key, meta in zip(store.doc_ids, store.doc_meta):
            by_jur[meta.get("jurisdiction") or UNKNOWN].append(key)
        # one filter per jurisdiction, kept for the generation's life: each index caches its rows once
        self.filters = {j: DocFilter(keys) for j, keys in sorted(by_jur.items())}
        self.inferred = {
            j: all(store.doc_meta[store.doc_index(k)].get("jurisdiction_inferred") for k in keys)  # type: ignore[index]
            for j, keys in by_jur.items()
        }
        self._jur_of_doc = [m.get("jurisdiction") or UNKNOWN for m in store.doc_meta]

    def jurisdiction_of(self, clause_id: str) -> str:
        return self._jur_of_doc[self.store.clause_doc[clause_id]]

    def in_scope(self, where: DocFilter | None) -> list[str]:
        """The jurisdictions with at least one document the filters allow."""
        scope = where.keys if where is not None else None
        return [j for j, f in self.filters.items() if scope is None or f.keys & scope]

    def with_parts(self, ids: Sequence[str]) -> list[str]:
        """``ids`` and every other part of the split clauses among them (``x``, ``x~2``, ``x~3`` …)."""
        known = self.store.clause_doc
        out = dict.fromkeys(ids)
        for c in ids:
            base = c.split("~")[0]
            if base != c or f"{base}~2" in known:
                out.setdefault(base)
                k = 2
                while f"{base}~{k}" in known:
                    out.setdefault(f"{base}~{k}")
                    k += 1
        return list(out)

    def candidates(self, p: Prepared, depth: int) -> Candidates:
        """Every in-scope jurisdiction's ``depth`` best by BM25 and ``depth`` nearest, with their parts."""
        jurs = self.in_scope(p.where)
        lq = p.lexical
        return self.retriever.retrieve_groups(
            lq.terms,
            lq.weights,
            p.qvec,
            p.law_qvec,
            depth,
            [self.filters[j] for j in jurs],
            p.where,
            lq.law_weights,
            lq.concepts,
            expand=self.with_parts,
        )


__all__ = ["CandidatePool", "UNKNOWN"]
