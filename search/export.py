"""A view's clauses as a table for a researcher's report (issue 30): CSV (UTF-8 with BOM, so Excel reads the
Chinese right) or XLSX (openpyxl), one row per clause, in the order the view shows them.

Columns: 标题, 文号, 发文机关, 地区, 成文日期, 施行日期, 有效期至, 效力状态, 条款位置, 条款, 相关度, 链接. The
link opens the clause in the page (``/?doc=…&clause=…``, after ``base_url`` when given). Works without a
server: ``export_view(searcher, "search", request, "csv")``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from annotated_types import Ge, Le
from pydantic import BeforeValidator, Field

from search.compare_models import CompareRequest, CompareResponse
from search.models import MAX_TOP_K, Count, DocumentInfo, Question, SearchRequest, SearchResponse, _integral
from search.timeline_models import TimelineRequest, TimelineResponse

COLUMNS = [
    "标题",
    "文号",
    "发文机关",
    "地区",
    "成文日期",
    "施行日期",
    "有效期至",
    "效力状态",
    "条款位置",
    "条款",
    "相关度",
    "链接",
]
View = Literal["search", "compare", "timeline"]
Format = Literal["csv", "xlsx"]
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_SHEET = {"search": "检索结果", "compare": "跨地区比较", "timeline": "时间线"}


def link(doc_id: str, clause_id: str, base_url: str = "") -> str:
    """The page address that opens ``clause_id`` in its document."""
    return base_url.rstrip("/") + "/?" + urlencode({"doc": doc_id, "clause": clause_id})


def _row(d: DocumentInfo, heading_path: list[str], text: str, relevance: float | None, url: str) -> list[Any]:
    return [
        d.title or "",
        d.doc_number or "",
        d.issuer or "",
        (d.jurisdiction or "").replace("/", " › "),
        d.written_date or d.date or "",
        d.effective_date or "",
        d.expires_on or "",
        d.validity_status or "",
        " › ".join(heading_path),
        text,
        round(relevance, 4) if relevance is not None else "",
        url,
    ]


def rows(
    response: SearchResponse | CompareResponse | TimelineResponse, base_url: str = ""
) -> list[list[Any]]:
    """The table of a view's answer: its hits (a grouped search: every group's, once), a comparison's
    matched clauses by jurisdiction, a timeline's entries by jurisdiction and date."""
    out: list[list[Any]] = []
    if isinstance(response, SearchResponse):
        seen: set[str] = set()
        hits = [*response.hits, *(h for g in response.groups or [] for h in g.hits)]
        for h in hits:
            if h.clause_id not in seen:
                seen.add(h.clause_id)
                url = link(h.document.id, h.clause_id, base_url)
                out.append(_row(h.document, h.heading_path, h.text, h.relevance, url))
    elif isinstance(response, CompareResponse):
        for j in response.jurisdictions:
            for c in j.clauses:
                out.append(
                    _row(
                        c.document,
                        c.heading_path,
                        c.text,
                        c.relevance,
                        link(c.document.id, c.clause_id, base_url),
                    )
                )
    else:
        for j in response.jurisdictions:
            for e in j.entries:
                out.append(
                    _row(
                        e.document,
                        e.heading_path,
                        e.text,
                        e.relevance,
                        link(e.document.id, e.clause_id, base_url),
                    )
                )
    return out


def to_csv(table: Iterable[list[Any]]) -> bytes:
    """UTF-8 with a BOM: Excel opens it with the Chinese intact."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(COLUMNS)
    w.writerows([_inert(v) for v in r] for r in table)
    return buf.getvalue().encode("utf-8-sig")


# a cell a spreadsheet would run as a formula (=HYPERLINK(…), +1, -1+2, @SUM): a document's text is data
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _inert(v: Any) -> Any:  # noqa: ANN401 - a cell value
    """A CSV cell that starts like a formula gets a leading ' (OWASP's advice for CSV injection); Excel
    shows the text and does not run it."""
    return "'" + v if isinstance(v, str) and v.startswith(_FORMULA_START) else v


def to_xlsx(table: Iterable[list[Any]], sheet: str = "检索结果") -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(COLUMNS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r in table:
        ws.append([_cell(v) for v in r])
        for cell in ws[ws.max_row]:
            if cell.data_type == "f":  # openpyxl takes a text starting with "=" for a formula: it is text
                cell.data_type = "s"
    widths = {
        "A": 40,
        "B": 22,
        "C": 24,
        "D": 18,
        "E": 12,
        "F": 12,
        "G": 12,
        "H": 10,
        "I": 30,
        "J": 80,
        "K": 8,
        "L": 40,
    }
    for col, width in widths.items():
        ws.column_dimensions[col].width = width
    for row in ws.iter_rows(min_row=2, min_col=10, max_col=10):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


_ILLEGAL = {c: None for c in range(32) if c not in (9, 10, 13)}


def _cell(v: Any) -> Any:  # noqa: ANN401 - a cell value
    """XLSX refuses control characters other than tab and line breaks: they are dropped."""
    return v.translate(_ILLEGAL) if isinstance(v, str) else v


def render(response: Any, fmt: Format, view: View, base_url: str = "") -> bytes:  # noqa: ANN401
    table = rows(response, base_url)
    return to_csv(table) if fmt == "csv" else to_xlsx(table, _SHEET[view])


class ExportRequest(Question):
    """``GET /api/export``: which view, which format, and the view's own parameters (the search filters,
    ``top_k``/``group_by``/``per_group`` for a search, ``per_jurisdiction`` for a comparison or timeline)."""

    view: View = Field(description="search, compare or timeline")
    format: Format = Field(description="csv (UTF-8 with BOM) or xlsx")
    top_k: Count = Field(default=100, ge=1, le=MAX_TOP_K, description="search: hits exported")
    group_by: Literal["jurisdiction"] | None = None
    per_group: Count = Field(default=3, ge=1, le=20)
    per_jurisdiction: Annotated[int, Ge(1), Le(10), BeforeValidator(_integral)] | None = Field(
        default=None, description="compare / timeline: clauses per jurisdiction (default: the view's)"
    )

    def view_request(self) -> SearchRequest | CompareRequest | TimelineRequest:
        """The request of the view itself, with the same filters."""
        common = self.model_dump(include=set(Question.model_fields))
        if self.view == "search":
            return SearchRequest(**common, top_k=self.top_k, group_by=self.group_by, per_group=self.per_group)
        per = {"per_jurisdiction": self.per_jurisdiction} if self.per_jurisdiction else {}
        return (CompareRequest if self.view == "compare" else TimelineRequest)(**common, **per)


def export_view(searcher: Any, view: View, request: Any, fmt: Format, base_url: str = "") -> bytes:  # noqa: ANN401
    """Run ``view`` (search / compare / timeline) for ``request`` on ``searcher`` and render it."""
    answer = {"search": searcher.search, "compare": searcher.compare, "timeline": searcher.timeline}[view](
        request
    )
    return render(answer, fmt, view, base_url)


def filename(view: View, fmt: Format) -> str:
    return f"policy-search-{view}.{fmt}"


__all__ = [
    "COLUMNS",
    "MEDIA",
    "ExportRequest",
    "export_view",
    "filename",
    "link",
    "render",
    "rows",
    "to_csv",
    "to_xlsx",
]
