"""Request and response objects of a timeline: how one topic moved across the years, per jurisdiction
(``search.timeline``; issue 30)."""

from __future__ import annotations

from pydantic import BaseModel, Field, model_validator

from search.models import Count, DocumentInfo, Question, _notice_codes


class TimelineRequest(Question):
    per_jurisdiction: Count = Field(
        default=20, ge=1, le=100, description="matching clauses listed per jurisdiction, at most"
    )


class TimelineFigure(BaseModel):
    """A figure of the clause (search.figures): 最高贷款额度 ≤ 60 万元."""

    value: float
    value_text: str
    unit: str
    bound: str
    measure: str


class TimelineEntry(BaseModel):
    date: str | None = Field(description="the document's date (成文, else 发布, else 施行); None: undated")
    document: DocumentInfo = Field(description="id, title, doc_number … with validity_status at as_of")
    clause_id: str
    heading_path: list[str]
    text: str
    relevance: float
    figures: list[TimelineFigure]
    validity_status: str = Field(description="现行有效 / 已失效 / 已废止 / 尚未施行 / 未知 at as_of")
    in_force_from: str | None = Field(None, description="施行, else the document's date")
    in_force_until: str | None = Field(
        None, description="its last day in force: expires_on, or the day before the repeal takes hold"
    )


class SeriesPoint(BaseModel):
    date: str
    value: float
    value_text: str
    bound: str
    clause_id: str
    validity_status: str


class TimelineSeries(BaseModel):
    """One figure's values over time in a jurisdiction (like measures and one unit, as compare lines them
    up): 最高贷款额度 40 万元 → 50 万元 → 60 万元."""

    measure: str
    unit: str
    points: list[SeriesPoint]


class TimelineJurisdiction(BaseModel):
    jurisdiction: str
    entries: list[TimelineEntry] = Field(description="its matching clauses, by document date (undated last)")
    series: list[TimelineSeries] = Field(description="figures with two or more dated values first")


class TimelineResponse(BaseModel):
    query: str
    took_ms: float
    as_of: str = Field(description="the date the statuses are read at")
    floor: float
    jurisdictions: list[TimelineJurisdiction]
    excluded_undated: int = 0
    notices: list[str] = Field(default_factory=list)
    notice_codes: list[str] = Field(default_factory=list)

    _codes = model_validator(mode="before")(_notice_codes)


__all__ = [
    "SeriesPoint",
    "TimelineEntry",
    "TimelineFigure",
    "TimelineJurisdiction",
    "TimelineRequest",
    "TimelineResponse",
    "TimelineSeries",
]
