"""What the service shows besides hits: document and clause views, document info, index statistics."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from corpus.models import Clause
from index.manifest import Manifest
from index.store import ClauseStore
from search.citations import LazyGraph
from search.messages import notice
from search.models import (
    MAX_PAGE_TEXT_CHARS,
    ClauseOut,
    ClauseView,
    DocumentInfo,
    DocumentPage,
    DocumentView,
    NotFound,
    RelatedLink,
)
from search.validity_status import status_of, today


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

    def info_of_clause(self, clause_id: str, as_of: dt.date | None = None) -> DocumentInfo:
        """The clause's document; with ``as_of``, with its ``validity_status`` at that date."""
        idx = self.store.clause_doc[clause_id]
        return self.info_at(idx, as_of) if as_of is not None else self.doc_info[idx]

    def info_at(self, doc_idx: int, as_of: dt.date) -> DocumentInfo:
        """The document's info with its status at ``as_of`` (computed now: a status is never stored)."""
        status = status_of(self.store.doc_meta[doc_idx], as_of)
        return self.doc_info[doc_idx].model_copy(update={"validity_status": status})

    def document(self, doc_id: str, page: DocumentPage | None = None) -> DocumentView:
        """One page of the document (``page``: offset and limit; default the first 200 clauses): the cost
        of an answer is bounded by the page, not by the document (a 40 MB file is read page by page)."""
        page = page or DocumentPage()
        idx = self.store.doc_index(doc_id)
        if idx is None:
            raise NotFound(notice("document_not_found", id=doc_id))
        total = self.store.clause_count(idx)
        # one clause more than the page: the text of consecutive pages tiles the document (a heading line
        # between the last clause of one page and the first of the next belongs to the earlier page)
        rows = self.store.document_clauses(idx, page.offset, page.limit + 1)
        clauses, following = rows[: page.limit], rows[page.limit :]
        length = self.store.text_length(idx)
        if not clauses:  # past the end: no clause, no text (a document without clauses: its whole text)
            start, end = (0, length) if page.offset == 0 else (length, length)
        else:
            start = clauses[0].start if page.offset > 0 else 0
            end = following[0].start if following else length
        start = min(start, length)
        cut = end - start > MAX_PAGE_TEXT_CHARS
        end = start + MAX_PAGE_TEXT_CHARS if cut else max(start, end)
        return DocumentView(
            document=self.info_at(idx, page.as_of or today()),
            metadata=self.store.doc_meta[idx],
            text=self.store.text_slice(idx, start, end),
            text_start=start,
            text_length=length,
            text_truncated=cut,
            clauses=[clause_out(c, self.related(c.id)) for c in clauses],
            total=total,
            offset=page.offset,
            limit=page.limit,
        )

    def clause(self, clause_id: str) -> ClauseView:
        c = self.store.clause(clause_id)
        if c is None:
            raise NotFound(notice("clause_not_found", id=clause_id))
        prev, nxt = self.store.neighbour(c, -1), self.store.neighbour(c, +1)
        return ClauseView(
            clause=clause_out(c, self.related(c.id)),
            document=self.info_of_clause(c.id, today()),
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
