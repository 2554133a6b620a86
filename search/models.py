"""Request and response objects of the search API (also used without a server)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

MAX_TOP_K = 100


class QueryError(ValueError):
    """A request the searcher cannot answer as asked (empty query, bad range …): a 4xx, never a 500."""


class NotFound(LookupError):
    """An unknown document or clause id."""


class Filters(BaseModel):
    """Restrictions applied before the top-k cut.

    ``jurisdiction`` is a prefix: "辽宁省" matches the province and its cities, "全国" the national level.
    """

    jurisdiction: list[str] = Field(default_factory=list)
    province: list[str] = Field(default_factory=list)
    city: list[str] = Field(default_factory=list)
    level: list[str] = Field(default_factory=list, description="国家 / 省级 / 地市级")
    issuer: str | None = Field(default=None, description="substring of the issuing office")
    doc_type: list[str] = Field(default_factory=list, description="实施意见, 实施方案, 条例 …")
    law_level: list[str] = Field(
        default_factory=list, description="法律 / 行政法规 / 司法解释 / 部门规章 / 地方性法规"
    )
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    include_drafts: bool = True

    @field_validator("jurisdiction", "province", "city", "level", "doc_type", "law_level", mode="before")
    @classmethod
    def _split(cls, v: Any) -> Any:
        if v is None:
            return []
        if isinstance(v, str):
            v = [v]
        out: list[str] = []
        for item in v:
            out.extend(x.strip() for x in str(item).replace("，", ",").split(",") if x.strip())
        return out

    @model_validator(mode="after")
    def _range(self) -> Filters:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValueError(f"date_from {self.date_from} is after date_to {self.date_to}")
        return self

    def active(self) -> bool:
        return bool(
            self.jurisdiction
            or self.province
            or self.city
            or self.level
            or self.issuer
            or self.doc_type
            or self.law_level
            or self.date_from
            or self.date_to
            or not self.include_drafts
        )


class SearchRequest(Filters):
    q: str = Field(description="the question, in Chinese or English")
    top_k: int = Field(default=10, ge=1, le=MAX_TOP_K)
    group_by: Literal["jurisdiction"] | None = None
    per_group: int = Field(default=3, ge=1, le=20)
    fusion: Literal["weighted", "rrf", "lexical", "dense"] | None = None

    @field_validator("q")
    @classmethod
    def _q(cls, v: str) -> str:
        v = v.strip()
        if not v:
            raise ValueError("q must not be empty")
        return v

    def filters(self) -> Filters:
        return Filters(**self.model_dump(include=set(Filters.model_fields)))


class DocumentInfo(BaseModel):
    id: str
    title: str | None = None
    source: str | None = None
    jurisdiction: str | None = None
    province: str | None = None
    city: str | None = None
    level: str | None = None
    issuer: str | None = None
    doc_number: str | None = None
    date: str | None = None
    doc_type: str | None = None
    status: str | None = None
    law_level: str | None = None
    jurisdiction_inferred: bool = False


class Highlight(BaseModel):
    start: int
    end: int
    term: str


class Explanation(BaseModel):
    fusion: str
    lexical_rank: int | None
    lexical_score: float
    dense_rank: int | None
    dense_score: float
    fused_score: float
    matched_terms: list[str]
    expansions: list[str] = Field(default_factory=list)
    query_adapter: bool = False  # dense score from the query adapter (clauses of laws)


class SearchHit(BaseModel):
    clause_id: str
    text: str
    heading_path: list[str]
    kind: str
    part: int
    part_count: int
    responsible_units: list[str] = Field(default_factory=list)
    score: float
    highlights: list[Highlight]
    explanation: Explanation
    document: DocumentInfo


class Group(BaseModel):
    jurisdiction: str
    best_score: float
    hits: list[SearchHit]


class SearchResponse(BaseModel):
    query: str
    took_ms: float
    total: int
    hits: list[SearchHit]
    groups: list[Group] | None = None


class ClauseOut(BaseModel):
    clause_id: str
    ordinal: int
    heading_path: list[str]
    text: str
    start: int
    end: int
    kind: str
    part: int
    part_count: int
    responsible_units: list[str] = Field(default_factory=list)
    lead_unit: str | None = None


class DocumentView(BaseModel):
    document: DocumentInfo
    metadata: dict[str, Any]
    text: str
    clauses: list[ClauseOut]


class ClauseView(BaseModel):
    clause: ClauseOut
    document: DocumentInfo
    previous: ClauseOut | None
    next: ClauseOut | None
