"""What the service shows besides hits: document and clause views, document info, index statistics."""

from __future__ import annotations

from collections import Counter
from typing import Any

from corpus.models import Clause
from index.manifest import Manifest
from index.store import ClauseStore
from search.citations import LazyGraph
from search.models import ClauseOut, ClauseView, DocumentInfo, DocumentView, NotFound, RelatedLink


def clause_out(c: Clause, related: tuple[list[RelatedLink], list[RelatedLink]] = ([], [])) -> ClauseOut:
    return ClauseOut(
        clause_id=c.id,
        ordinal=c.ordinal,
        heading_path=c.heading_path,
        text=c.text,
        start=c.start,
        end=c.end,
        kind=c.kind,
        part=c.part,
        part_count=c.part_count,
        responsible_units=c.responsible_units,
        lead_unit=c.lead_unit,
        cites=related[0],
        cited_by=related[1],
    )


class Views:
    def __init__(self, store: ClauseStore, manifest: Manifest) -> None:
        self.store = store
        self.manifest = manifest
        self.doc_info = [self._info(i) for i in range(len(store.doc_ids))]
        self._stats: dict[str, Any] | None = None
        self.citations = LazyGraph(store)

    def related(self, clause_id: str, wait: bool = True) -> tuple[list[RelatedLink], list[RelatedLink]]:
        """What a clause cites and what cites it, as links with the target document's title. With
        ``wait`` false (a search), nothing until the graph is built rather than holding the answer."""
        graph = self.citations.get() if wait else self.citations.ready()
        if graph is None:
            return [], []
        cites, cited_by = graph.related(clause_id)
        return [self._link(x) for x in cites], [self._link(x) for x in cited_by]

    def _link(self, x: Any) -> RelatedLink:
        idx = self.store.doc_index(x.doc_id)
        title = self.doc_info[idx].title if idx is not None else None
        return RelatedLink(clause_id=x.clause_id, doc_id=x.doc_id, title=title, label=x.label)

    def _info(self, doc_idx: int) -> DocumentInfo:
        m = self.store.doc_meta[doc_idx]
        return DocumentInfo(
            id=self.store.doc_ids[doc_idx],
            source=self.store.doc_sources[doc_idx],
            **{k: m.get(k) for k in DocumentInfo.model_fields if k not in ("id", "source")},
        )

    def info_of_clause(self, clause_id: str) -> DocumentInfo:
        return self.doc_info[self.store.clause_doc[clause_id]]

    def document(self, doc_id: str) -> DocumentView:
        idx = self.store.doc_index(doc_id)
        if idx is None:
            raise NotFound(f"no document with id {doc_id!r}")
        return DocumentView(
            document=self.doc_info[idx],
            metadata=self.store.doc_meta[idx],
            text=self.store.document_text(idx),
            clauses=[clause_out(c, self.related(c.id)) for c in self.store.document_clauses(idx)],
        )

    def clause(self, clause_id: str) -> ClauseView:
        c = self.store.clause(clause_id)
        if c is None:
            raise NotFound(f"no clause with id {clause_id!r}")
        prev, nxt = self.store.neighbour(c, -1), self.store.neighbour(c, +1)
        return ClauseView(
            clause=clause_out(c, self.related(c.id)),
            document=self.info_of_clause(c.id),
            previous=clause_out(prev) if prev else None,
            next=clause_out(nxt) if nxt else None,
        )

    def stats(self) -> dict[str, Any]:
        """Counts per jurisdiction and type; computed once (a generation never changes)."""
        if self._stats is None:
            self._stats = self._count()
        return dict(self._stats)

    def _count(self) -> dict[str, Any]:
        meta = self.store.doc_meta
        docs = Counter(m.get("jurisdiction") or "未知" for m in meta)
        clauses = Counter(meta[d].get("jurisdiction") or "未知" for d in self.store.clause_doc.values())
        types = Counter(m.get("doc_type") or "未知" for m in meta)
        subjects = Counter(m["subject"] for m in meta if m.get("subject"))
        return {
            "generation": self.manifest.generation,
            "documents": len(self.store.doc_ids),
            "clauses": len(self.store),
            "jurisdictions": [
                {"jurisdiction": j, "documents": n, "clauses": clauses[j]} for j, n in sorted(docs.items())
            ],
            "doc_types": dict(types),
            "subjects": dict(subjects),  # 主题分类 of the documents that have one
            "citations": self.citations.summary(),
            "manifest": {k: v for k, v in self.manifest.__dict__.items() if k != "files"},
        }
