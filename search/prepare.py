"""One request made ready for retrieval: the filters as read (regions resolved, dates checked), the
documents they allow, the notices they raise, the lexical query and the query vectors. Search and compare
both start here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from corpus.fold import to_simplified
from index.protocols import DocFilter
from search.adapter import QueryAdapter
from search.filters import doc_filter, undated_excluded
from search.jurisdictions import JurisdictionResolver
from search.lexical_query import LexicalQuery, LexicalQueryBuilder
from search.messages import notice
from search.models import Filters, QueryError, Question
from search.query_encoder import QueryEncoder
from search.query_place import NamedPlace, QueryPlaceReader
from search.validity_status import today


@dataclass
class Prepared:
    """The filters as read, the documents allowed, the lexical query and the query vectors."""

    q: str
    method: str
    filters: Filters
    where: DocFilter | None
    notices: list[str]
    excluded_undated: int = 0
    empty: str | None = None
    lexical: LexicalQuery = field(default_factory=LexicalQuery)
    qvec: np.ndarray | None = None
    law_qvec: np.ndarray | None = None
    place: NamedPlace | None = None  # the place the question names (a soft preference, search.query_place)
    asked: str | None = None  # what the lexical side reads: the question, less the place it names

    @property
    def words(self) -> str:
        """What the lexical side reads: the question less the place it names ("上海 限购" → "限购"); the whole
        question when nothing else is left ("Jilin")."""
        return self.q if self.asked is None else self.asked

    @property
    def matches_nothing(self) -> bool:
        """An empty date range, or filters that leave no document."""
        return bool(self.empty) or (self.where is not None and not self.where.keys)

    @property
    def tokens(self) -> list[str]:
        return self.lexical.tokens

    @property
    def weights(self) -> dict[str, float]:
        return self.lexical.weights

    @property
    def law_weights(self) -> dict[str, float]:
        return self.lexical.law_weights

    @property
    def concepts(self) -> list[list[str]]:
        return self.lexical.concepts

    @property
    def expansions(self) -> list[str]:
        return self.lexical.expansions

    @property
    def marked_terms(self) -> list[str]:
        """What highlights mark: the query's words (single characters only in a one- or two-word query)
        and the expansions."""
        tokens = self.lexical.tokens
        return [t for t in tokens if len(t) > 1 or len(tokens) <= 2] + self.lexical.expansions


class Preparer:
    def __init__(
        self,
        doc_ids: Sequence[str],
        doc_meta: Sequence[dict[str, Any]],
        resolver: JurisdictionResolver,
        lexical: LexicalQueryBuilder,
        encoder: QueryEncoder,
        adapter: QueryAdapter | None,
        options: Any,
    ) -> None:
        """``options``: the searcher's :class:`search.hybrid.RankingOptions` (fusion, query length limit,
        expansion scale, variant cap, concept max)."""
        self.doc_ids, self.doc_meta = doc_ids, doc_meta
        self._held_jurisdictions: set[str] | None = None
        self.resolver = resolver
        self.lexical = lexical
        self.encoder = encoder
        self.adapter = adapter
        self.options = options
        self.places = QueryPlaceReader()

    def _jurisdictions(self) -> set[str]:
        """The jurisdictions the index's documents have (read once per generation)."""
        if self._held_jurisdictions is None:
            self._held_jurisdictions = {j for m in self.doc_meta if (j := m.get("jurisdiction"))}
        return self._held_jurisdictions

    def prepare(self, request: Question, place: bool = True) -> Prepared:
        """``place``: read the place the question names as a preference (a search; a comparison, which
        lines every jurisdiction up, does not)."""
        opts = self.options
        q = to_simplified(request.q)  # the documents are simplified: both the lexical and relevance sides
        if len(q) > opts.max_query_chars:
            raise QueryError(
                notice("query_too_long", chars=len(q), limit=opts.max_query_chars), code="query_too_long"
            )
        filters = request.filters()
        if filters.as_of is None:  # statuses are read at a date: today unless the request names one
            filters = filters.model_copy(update={"as_of": today()})
        notices: list[str] = []
        if q != request.q:
            notices.append(notice("traditional_folded", q=q))
        if filters.jurisdiction:
            read = self.resolver.resolve(filters.jurisdiction)
            filters = filters.model_copy(update={"jurisdiction": read.prefixes})
            notices += read.notices
        if filters.province or filters.city or filters.county:
            filters = filters.model_copy(
                update={
                    "province": [self.resolver.province(p) for p in filters.province],
                    "city": [self.resolver.city(c) for c in filters.city],
                    "county": [self.resolver.county(c) for c in filters.county],
                }
            )
        empty = filters.empty_range()
        undated = undated_excluded(filters, self.doc_meta)
        if undated:
            notices.append(notice("undated_excluded", count=undated))
        prepared = Prepared(
            q=q,
            method=request.fusion or opts.fusion,
            filters=filters,
            where=None,
            notices=notices,
            excluded_undated=undated,
            empty=empty,
        )
        if empty:
            prepared.notices.insert(0, empty)
            return prepared
        prepared.where = doc_filter(filters, self.doc_ids, self.doc_meta)
        asked = q
        if place and getattr(opts, "place_preference", False) and not filters.jurisdiction:
            prepared.place = self.places.read(q)
            if prepared.place is not None:
                held = any(prepared.place.relation(j) == "within" for j in self._jurisdictions())
                code = "place_preferred" if held else "place_not_indexed"
                prepared.notices.append(notice(code, place=prepared.place.words))
                # the place is the preference's to weigh; the words read what the rest asks ("限购 调整"), so a
                # clause of 广州's own document is not short of the word 广州
                asked = prepared.place.without(q)
        prepared.asked = asked
        prepared.lexical = self.lexical.build(
            asked, opts.expansion_scale, opts.variant_idf_cap, opts.concept_max
        )
        if prepared.method != "lexical":
            prepared.qvec = self.encoder.encode(q)
            if self.adapter is not None:
                prepared.law_qvec = self.adapter.apply(prepared.qvec)
        return prepared

    def translated(self, p: Prepared, chosen: dict[str, list[str]]) -> Prepared:
        """``p`` with its lexical side built again, the Chinese words ``chosen`` for its English words
        (``search.translation``) read before the lexicons' (the filters, notices and vectors stay)."""
        opts = self.options
        lexical = self.lexical.build(
            p.words, opts.expansion_scale, opts.variant_idf_cap, opts.concept_max, chosen
        )
        return replace(p, lexical=lexical, notices=list(p.notices))


__all__ = ["Prepared", "Preparer"]
