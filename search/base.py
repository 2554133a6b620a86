"""The searcher interface. The HTTP layer and the CLI talk to this; a second backend (Milvus, say)
implements the same methods."""

from __future__ import annotations

from typing import Any, Protocol

from search.compare_models import CompareRequest, CompareResponse
from search.models import ClauseView, DocumentPage, DocumentView, SearchRequest, SearchResponse
from search.timeline_models import TimelineRequest, TimelineResponse


class Searcher(Protocol):
    def search(self, request: SearchRequest) -> SearchResponse: ...

    def compare(self, request: CompareRequest) -> CompareResponse: ...

    def timeline(self, request: TimelineRequest) -> TimelineResponse: ...

    def document(self, doc_id: str, page: DocumentPage | None = None) -> DocumentView: ...

    def clause(self, clause_id: str) -> ClauseView: ...

    def stats(self) -> dict[str, Any]: ...

    def close(self) -> None: ...
