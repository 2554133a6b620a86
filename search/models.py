"""Request and response objects of the search API (also used without a server)."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from typing import Annotated, Any, Literal

from annotated_types import Ge, Le
from pydantic import (
    BaseModel,
    BeforeValidator,
    Field,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from corpus.normalize import normalize_text
from search.messages import code_of, notice

MAX_TOP_K = 100


def _integral(v: Any) -> Any:
    """JSON has one number type: 3.0 is the integer 3 (JSON Schema agrees); 3.5 and "3" stay errors."""
    return int(v) if isinstance(v, float) and v.is_integer() else v


Count = Annotated[int, BeforeValidator(_integral)]


# pydantic's error types in Chinese ({…} from the error's context); anything else keeps its type as the code
_ERROR_TEXT = {
    "missing": "缺少这一项",
    "extra_forbidden": "不是可用的参数",
    "greater_than_equal": "应大于或等于 {ge}",
    "greater_than": "应大于 {gt}",
    "less_than_equal": "应小于或等于 {le}",
    "less_than": "应小于 {lt}",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
    "string_type": "应为字符串",
    "string_too_short": "不能为空",
    "string_too_long": "过长（上限 {max_length} 个字符）",
    "string_pattern_mismatch": "不能只有空白",
    "list_type": "应为列表",
    "dict_type": "应为 JSON 对象",
    "model_type": "应为 JSON 对象",
    "model_attributes_type": "应为 JSON 对象",
    "literal_error": "应为以下之一：{expected}",
    "date_parsing": "应为日期（YYYY-MM-DD）",
    "date_from_datetime_parsing": "应为日期（YYYY-MM-DD）",
    "date_from_datetime_inexact": "应为日期（YYYY-MM-DD）",
    "date_type": "应为日期（YYYY-MM-DD）",
    "string_unicode": "不是有效的 Unicode 文本",
    "json_type": "应为 JSON",
    "int_parsing_size": "数字位数过多",  # a 5,000-digit integer (issue 32)
    "finite_number": "应为有限的数字",  # 1e999
}


def describe_error(e: Any) -> str:
    """One validation error in Chinese, with where it is: "top_k：应大于或等于 1"."""
    kind = e.get("type", "")
    ctx = e.get("ctx") or {}
    if kind == "json_invalid":
        pos = next((x for x in e.get("loc", []) if isinstance(x, int)), "?")
        return f"body：请求体不是有效的 JSON（第 {pos} 个字符处：{ctx.get('error', 'invalid JSON')}）"
    if kind == "value_error":
        text = str(ctx.get("error") or e.get("msg", ""))  # our validators' own (Chinese) messages
    elif kind in _ERROR_TEXT:
        if "expected" in ctx:  # "'weighted', 'rrf', 'lexical' or 'dense'" → weighted、rrf、lexical、dense
            ctx = {
                **ctx,
                "expected": "、".join(re.findall(r"'([^']*)'", str(ctx["expected"]))) or ctx["expected"],
            }
        try:
            text = _ERROR_TEXT[kind].format(**ctx)
        except (KeyError, IndexError):
            text = _ERROR_TEXT[kind].split("{")[0].rstrip("（ ")
    else:
        text = f"取值无效（{kind or 'invalid'}）"
    where = ".".join(str(x) for x in e.get("loc", []) if x not in ("query", "body"))
    return f"{where}：{text}" if where else text


def describe_errors(errors: list[Any]) -> str:
    """Validation errors as one Chinese line, each with where it is: "top_k：应大于或等于 1；q：不能为空"."""
    return "；".join(describe_error(e) for e in errors)


_OWN_CODE = re.compile(r"[（(](bad_date)[）)]")  # codes our validators write into their messages


def error_code(errors: list[Any]) -> str:
    """The machine code of a validation failure: the code our own validators name in their message
    ("无法识别的日期“2023-13”（bad_date）；…" → ``bad_date``), else ``invalid_json`` for a body that is not
    JSON, else ``invalid_request``."""
    if not errors:
        return "invalid_request"
    if errors[0].get("type") == "json_invalid":
        return "invalid_json"
    own = _OWN_CODE.search(str(errors[0].get("msg", "")).strip())
    return own.group(1) if own else "invalid_request"


class ErrorBody(BaseModel):
    """Every 4xx/5xx answer of the API: what is wrong in Chinese (``detail``) and a machine code."""

    detail: str
    code: str = Field(description="machine-readable: query_too_long, not_found, index_unreadable …")


class QueryError(ValueError):
    """A request the searcher cannot answer as asked (empty query, bad range …): a 4xx, never a 500.
    ``code`` names it for programs; the message is Chinese."""

    def __init__(self, message: str, code: str = "bad_query") -> None:
        super().__init__(message)
        self.code = code


class NotFound(LookupError):
    """An unknown document or clause id."""

    code = "not_found"


def _notice_codes(data: Any) -> Any:
    """``notice_codes`` beside ``notices``: each notice's machine code (``search.messages.Notice``)."""
    if isinstance(data, dict) and "notices" in data and "notice_codes" not in data:
        data = {**data, "notice_codes": [code_of(n) for n in data["notices"]]}
    return data


def _filter(kind: str, default: Any = None, description: str | None = None, **kw: Any) -> Any:
    """A filter field; ``kind`` says how it matches a document's metadata (see search.filters)."""
    extra = {"match": kind}
    if isinstance(default, list):
        return Field(default_factory=list, description=description, json_schema_extra=extra, **kw)
    return Field(default=default, description=description, json_schema_extra=extra, **kw)


# What a JSON body may give for a date filter, as the schema says it: a day, a year-month or a year. GET
# parameters and the CLI also take 2023年5月 and 2023/5 (read_date).
_YEAR_MONTH = r"^[1-9]\d{3}(-(0[1-9]|1[0-2]))?$"
_JSON_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$|" + _YEAR_MONTH)  # format "date", or the pattern
DateFilter = Annotated[
    dt.date | None,
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "format": "date"},
                {"type": "string", "pattern": _YEAR_MONTH},
                {"type": "null"},
            ]
        }
    ),
]


class Filters(BaseModel):
    """Restrictions applied before the top-k cut. Each filter is defined here once: its type, how it matches
    (``search.filters``), the GET parameters and the POST fields all come from this model.

    ``jurisdiction`` is a region: "辽宁省" or "辽宁" matches the province and its cities and counties,
    "杭州" the city and its counties (淳安县), "淳安" or "杭州市淳安" the county, "全国" the national level
    (``search.jurisdictions`` reads the names). ``date_from`` / ``date_to`` take a day, a month or a year:
    "2023" is 2023-01-01 as a start and 2023-12-31 as an end, "2023-05" (or 2023年5月) the month's first or
    last day.
    """

    model_config = {"extra": "forbid"}

    jurisdiction: list[str] = _filter(
        "prefix",
        [],
        "province, city, county or short name: 辽宁, 吉林市, 舟山, 浙江杭州, 淳安, 辽宁省/沈阳市, 全国",
    )
    province: list[str] = _filter("one_of", [])
    city: list[str] = _filter("one_of", [])
    county: list[str] = _filter("one_of", [], "county-level division: 淳安县, 房山区, 义乌市")
    level: list[str] = _filter("one_of", [], "国家 / 省级 / 地市级 / 县级")
    issuer: str | None = _filter("substring", None, "substring of the issuing office")
    doc_type: list[str] = _filter("one_of", [], "实施意见, 实施方案, 条例 …")
    law_level: list[str] = _filter("one_of", [], "法律 / 行政法规 / 司法解释 / 部门规章 / 地方性法规")
    subject: list[str] = _filter("one_of", [], "主题分类（政府信息公开表中的原值）：卫生、体育\\卫生")
    date_from: DateFilter = _filter(
        "date_from",
        None,
        "documents dated on or after: 2023-05-18, 2023-05 or 2023 (undated ones only with include_undated)",
    )
    date_to: DateFilter = _filter(
        "date_to", None, "documents dated on or before: 2023-05-18, 2023-05 or 2023"
    )
    include_undated: bool = _filter(
        "undated",
        False,
        "with date_from/date_to, keep documents that carry no date (how many were left out is a notice)",
    )
    include_drafts: bool = _filter("drafts", True, "include drafts for comments (征求意见稿)")
    # validity (issue 30): statuses are computed at as_of; in_force_only keeps documents 现行有效 then
    in_force_only: bool = _filter(
        "in_force", False, "only clauses of documents in force (现行有效) at as_of (search.validity_status)"
    )
    as_of: DateFilter = _filter(
        "as_of", None, "the date validity_status is read at: 2024-06-01, 2024-06 or 2024 (default: today)"
    )

    @field_validator("date_from", "date_to", "as_of", mode="before")
    @classmethod
    def _date(cls, v: Any, info: ValidationInfo) -> Any:
        if info.mode == "json" and isinstance(v, str) and not _JSON_DATE.match(v):
            raise ValueError(f"无法识别的日期“{v}”（bad_date）；可用的写法：2023、2023-05、2023-05-18")
        return read_date(v, end=info.field_name == "date_to")

    @field_validator(
        "jurisdiction",
        "province",
        "city",
        "county",
        "level",
        "doc_type",
        "law_level",
        "subject",
        mode="before",
    )
    @classmethod
    def _split(cls, v: Any, info: ValidationInfo) -> Any:
        if info.mode == "json":
            if isinstance(v, str):
                return v  # a JSON body says what it means: a string where a list belongs is an error
        elif v is None:
            return []
        if isinstance(v, str):
            v = [v]
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            return v  # let the type check reject it with its own message
        out: list[str] = []
        for item in v:
            if not item.isprintable() and any(0xD800 <= ord(ch) <= 0xDFFF for ch in item):
                raise ValueError("含有孤立的代理字符，不是有效的 Unicode 文本")
            item = normalize_text(item)
            out.extend(x.strip() for x in item.replace("，", ",").split(",") if x.strip())
        return out

    @field_validator("issuer", mode="before")
    @classmethod
    def _blank(cls, v: Any) -> Any:
        return None if v == "" else v

    def empty_range(self) -> str | None:
        """Why no document can match the dates asked for, if so (a reversed range is a valid request)."""
        if self.date_from and self.date_to and self.date_from > self.date_to:
            return notice("date_range_reversed", date_from=self.date_from, date_to=self.date_to)
        return None

    def active(self) -> bool:
        return any(
            getattr(self, name) != (f.default_factory() if f.default_factory else f.default)  # type: ignore[call-arg]
            for name, f in Filters.model_fields.items()
        )


_DATE_FORMS = re.compile(
    r"^\s*(\d{4})\s*(?:[-/.年]\s*(\d{1,2})\s*(?:月)?\s*(?:[-/.]?\s*(\d{1,2})\s*日?)?)?\s*年?\s*$"
)


def read_date(v: Any, end: bool = False) -> Any:  # noqa: ANN401 - whatever the request held
    """A date filter as people type it: "2023-05-18", "2023-05", "2023", "2023年5月" (a month or a year
    stands for its first day, or its last as an ``end``). Anything else that is a string is refused with a
    message saying what is accepted; other types are left to pydantic."""
    if not isinstance(v, str) or not v.strip():
        return None if isinstance(v, str) else v
    m = _DATE_FORMS.match(v)
    if not m:
        raise ValueError(
            f"无法识别的日期“{v}”（bad_date）；可用的写法：2023、2023-05、2023-05-18（也可写 2023年5月18日）"
        )
    year, month, day = int(m.group(1)), m.group(2), m.group(3)
    try:
        if month is None:
            return dt.date(year, 12, 31) if end else dt.date(year, 1, 1)
        mo = int(month)
        if day is None:
            return dt.date(year, mo, calendar.monthrange(year, mo)[1] if end else 1)
        return dt.date(year, mo, int(day))
    except (ValueError, calendar.IllegalMonthError):
        # Python's own reason ("month must be in 1..12") is English: the message says it in Chinese
        raise ValueError(f"日期“{v}”不存在（bad_date）：没有这一月或这一天") from None


class Question(Filters):
    """What a search and a comparison both take: the question, the filters and the ranking asked for."""

    q: str = Field(min_length=1, pattern=r"\S", description="the question, in Chinese or English")
    fusion: Literal["weighted", "rrf", "lexical", "dense"] | None = None

    @field_validator("q")
    @classmethod
    def _q(cls, v: str) -> str:
        # the normalisation documents get (zero-width and control characters out, full-width letters and
        # digits half-width): "医师\u200b多点执业" finds what "医师多点执业" finds
        v = normalize_text(v).strip()
        if not v:
            raise ValueError(notice("query_empty"))
        return v

    def filters(self) -> Filters:
        return Filters(**self.model_dump(include=set(Filters.model_fields)))


class SearchRequest(Question):
    top_k: Count = Field(default=10, ge=1, le=MAX_TOP_K)
    rerank: bool | None = Field(
        default=None, description="re-order the first stage's best clauses with the cross-encoder"
    )
    rerank_depth: Annotated[int, Ge(1), Le(200), BeforeValidator(_integral)] | None = Field(
        default=None, description="how many clauses it reads"
    )
    group_by: Literal["jurisdiction"] | None = None
    per_group: Count = Field(default=3, ge=1, le=20)


class RepealLink(BaseModel):
    """The indexed document that repeals this one (index.repeals): its id, title, 文号, date and 施行."""

    id: str
    title: str | None = None
    doc_number: str | None = None
    date: str | None = None
    effective_date: str | None = None


class DocumentInfo(BaseModel):
    id: str
    title: str | None = None
    source: str | None = None
    jurisdiction: str | None = None
    province: str | None = None
    city: str | None = None
    county: str | None = None
    level: str | None = None
    issuer: str | None = None
    doc_number: str | None = None
    date: str | None = None
    doc_type: str | None = None
    status: str | None = None
    law_level: str | None = None
    jurisdiction_inferred: bool = False
    # what decided the region: issuer | table | title | addressee | text | given (corpus.jurisdiction)
    jurisdiction_evidence: str | None = None
    index_number: str | None = None  # 索引号 (政府信息公开 table)
    subject: str | None = None  # 主题分类
    validity: str | None = None  # 有效性 / 时效性: 有效, 失效, 废止 …
    # validity (issue 30): dates the text states, the indexed document that repeals it, and its status at
    # the request's as_of (search.validity_status): 现行有效 / 已失效 / 已废止 / 尚未施行 / 未知
    written_date: str | None = None  # 成文日期
    effective_date: str | None = None  # 施行
    expires_on: str | None = None  # the last day in force
    repealed_by: RepealLink | None = None
    validity_status: str | None = None


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
    # what relevance reads (search.relevance), each from the question and this clause alone:
    lexical_norm: float = 0.0  # BM25 over what the question could attain (every term at saturation)
    coverage: float = 0.0  # share of the question's own words (by IDF) this clause contains
    concepts: float = 0.0  # the same through the lexicons (民营医院 ≈ 社会办医疗机构, physician ≈ 医师)
    # the dense feedback (search.feedback): what it added to lexical_score before fusion, and its words
    feedback_score: float = 0.0
    feedback_terms: list[str] = Field(default_factory=list)
    head_score: float | None = None  # the learned head order's score, for a hit on the re-ordered first page
    fused_rank: int | None = None  # its place on that page by tier and fused score before (1-based)
    # an English question's first hits read in the clauses' CC-CEDICT glosses (search.gloss_order): this clause's
    # BM25 over its glosses, and its rank by it among them (1-based)
    gloss_score: float | None = None
    gloss_rank: int | None = None
    rerank_score: float | None = None  # the cross-encoder's score, when the hit was reranked
    first_stage_rank: int | None = None  # its place before reranking (1-based)


class RelatedLink(BaseModel):
    """A related provision: a clause the hit cites or that cites it (search.citations)."""

    clause_id: str | None = Field(description="None when the reference names a whole document (文号)")
    doc_id: str
    title: str | None = None
    label: str = Field(description="the reference as written: 《中华人民共和国专利法》第五十八条")


class SearchHit(BaseModel):
    clause_id: str
    text: str
    heading_path: list[str]
    kind: str
    part: int
    part_count: int
    responsible_units: list[str] = Field(default_factory=list)
    score: float
    relevance: float = Field(
        description="probability that the clause answers the question (search.relevance)"
    )
    strong: bool = Field(description="relevance at or above the calibrated floor")
    highlights: list[Highlight]
    explanation: Explanation
    document: DocumentInfo
    cites: list[RelatedLink] = Field(default_factory=list, description="provisions this clause cites")
    cited_by: list[RelatedLink] = Field(default_factory=list, description="clauses that cite this one")


class Group(BaseModel):
    jurisdiction: str
    best_score: float
    count: int = Field(description="strong matches from this jurisdiction among the candidates")
    hits: list[SearchHit] = Field(description="the best per_group of them (weak ones when none is strong)")


class SearchResponse(BaseModel):
    query: str
    took_ms: float
    total: int = Field(
        description="matching clauses: candidates at or above the relevance floor, one per clause"
    )
    candidates: int = Field(0, description="size of the candidate pool the ranking looked at")
    floor: float = Field(0.0, description="the relevance floor in force")
    hits: list[SearchHit]
    groups: list[Group] | None = None
    jurisdictions: list[str] = Field(
        default_factory=list, description="the jurisdiction filter as read (辽宁 → 辽宁省)"
    )
    excluded_undated: int = Field(0, description="documents left out only because they carry no date")
    notices: list[str] = Field(
        default_factory=list, description="what the caller should know about this answer (Chinese)"
    )
    notice_codes: list[str] = Field(
        default_factory=list, description="the machine code of each notice, in the same order"
    )

    _codes = model_validator(mode="before")(_notice_codes)


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
    cites: list[RelatedLink] = Field(default_factory=list, description="provisions this clause cites")
    cited_by: list[RelatedLink] = Field(default_factory=list, description="clauses that cite this one")


DOCUMENT_PAGE = 200  # clauses in a page of GET /api/documents/{id} unless ``limit`` says otherwise
MAX_DOCUMENT_PAGE = 1000
MAX_PAGE_TEXT_CHARS = 1_000_000  # a page's text is cut here (``text_truncated``)


class DocumentPage(BaseModel):
    """Which clauses of a document a view holds: ``offset`` and ``limit`` as asked, ``total`` clauses."""

    offset: int = Field(
        default=0, ge=0, le=1_000_000_000, description="index of the first clause of the page"
    )
    limit: int = Field(default=DOCUMENT_PAGE, ge=1, le=MAX_DOCUMENT_PAGE, description="clauses per page")
    as_of: DateFilter = Field(default=None, description="the date the document's validity_status is read at")

    @field_validator("as_of", mode="before")
    @classmethod
    def _as_of(cls, v: Any) -> Any:
        return read_date(v)


class DocumentView(BaseModel):
    """One page of a document: its clauses ``offset`` … ``offset + limit`` of ``total``, and the text
    they cover (``text_start`` is where ``text`` begins in the whole cleaned text, so a clause's
    ``start``/``end`` index ``text`` after subtracting it). The first page's text starts at 0, the last
    page's runs to the end; a document of one page is given whole."""

    document: DocumentInfo
    metadata: dict[str, Any]
    text: str
    text_start: int = 0
    text_length: int = 0  # of the whole cleaned text, in characters
    text_truncated: bool = False  # the page's text was cut at MAX_PAGE_TEXT_CHARS
    clauses: list[ClauseOut]
    total: int = 0  # clauses in the document
    offset: int = 0
    limit: int = DOCUMENT_PAGE


class ClauseView(BaseModel):
    clause: ClauseOut
    document: DocumentInfo
    previous: ClauseOut | None
    next: ClauseOut | None
