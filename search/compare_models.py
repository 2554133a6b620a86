"""Request and response objects of a comparison across jurisdictions (``search.compare``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, model_validator

from search.models import Count, DocumentInfo, Highlight, Question, _notice_codes


class CompareRequest(Question):
    per_jurisdiction: Count = Field(default=3, ge=1, le=10, description="clauses listed per jurisdiction")


class ComparedClause(BaseModel):
    clause_id: str
    text: str
    heading_path: list[str]
    part: int
    part_count: int
    score: float
    relevance: float
    strong: bool
    highlights: list[Highlight]
    document: DocumentInfo


class JurisdictionResult(BaseModel):
    jurisdiction: str
    level: Literal["national", "province", "city", "unknown"]
    inferred: bool = Field(description="the region was inferred from the text (the document never names it)")
    best_relevance: float
    count: int = Field(description="strong matches of this jurisdiction among its candidates")
    clauses: list[ComparedClause] = Field(description="its best matches (empty when it has nothing on it)")
    nearest_miss: ComparedClause | None = Field(
        None, description="when nothing is on the topic: its closest clause, under the floor"
    )


class DiffOp(BaseModel):
    op: Literal["equal", "insert", "delete", "replace"]
    text: str = Field(description="this member's text (for delete: empty)")
    common: str = Field("", description="the common form's text it stands against (insert: empty)")


class WordingMember(BaseModel):
    jurisdiction: str
    clause_id: str
    document_title: str | None
    sentence: str
    similarity: float = Field(description="to the common form, 0–1 (character level)")
    diff: list[DiffOp]


class WordingGroup(BaseModel):
    common: str = Field(description="the group's most common form")
    jurisdictions: int
    members: list[WordingMember]


class FigureCell(BaseModel):
    jurisdiction: str
    clause_id: str
    value: float
    value_text: str
    unit: str
    bound: str
    measure: str
    context: str


class FigureRow(BaseModel):
    measure: str = Field(description="what the row's figures measure (the most common wording)")
    unit: str
    figures: list[FigureCell]


class CompareResponse(BaseModel):
    query: str
    took_ms: float
    floor: float
    jurisdictions: list[JurisdictionResult] = Field(
        description="with something on the topic: national, province, city"
    )
    without: list[JurisdictionResult] = Field(
        description="with nothing over the floor, each with its nearest miss"
    )
    groups: list[WordingGroup] = Field(description="near-identical sentences across jurisdictions")
    figures: list[FigureRow]
    excluded_undated: int = 0
    notices: list[str] = Field(default_factory=list, description="what the caller should know (Chinese)")
    notice_codes: list[str] = Field(default_factory=list, description="each notice's machine code")

    _codes = model_validator(mode="before")(_notice_codes)
