"""Validity at index and search time (issue 30): repeals resolved over the whole store (incremental builds
included), statuses at ``as_of``, the ``in_force_only`` filter, the timeline and the exports.

The corpus (tests/fixtures/timeline) is 湖州's 公积金 loan ceiling over the years — 40 万元 (2019) → 50 万元
(2022, repealing 2019's by 文号) → 60 万元 (2024, repealing 2022's by a bare 文号) — a 德清 county window
(2023) and a draft that claims to repeal 2024's (a draft repeals nothing).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest

from corpus.pipeline import process_paths
from index.builder import build_index, reindex_into
from index.generations import IndexLayout
from index.repeals import resolve
from index.store import STORE_FILE, ClauseStore
from search.compare_models import CompareRequest
from search.export import COLUMNS, export_view, rows, to_xlsx
from search.models import DocumentPage, SearchRequest
from search.timeline_models import TimelineRequest
from search.validity_status import status_of

CORPUS = Path(__file__).parent / "fixtures" / "timeline"
Q = "住房公积金最高贷款额度"


@pytest.fixture(scope="module")
def docs():
    return {d.id: d for d in process_paths([CORPUS]).documents}


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory, docs, embedder, tokenizer) -> Path:
    out = tmp_path_factory.mktemp("timeline") / "index"
    build_index(docs.values(), out, embedder, tokenizer=tokenizer)
    return out


@pytest.fixture(scope="module")
def tl_searcher(index_dir, embedder, tokenizer):
    from search.hybrid import HybridSearcher

    s = HybridSearcher.open(index_dir, embedder, tokenizer=tokenizer)
    yield s
    s.close()


def _meta(index: Path) -> dict[str, dict]:
    store = ClauseStore(IndexLayout(index).current() / STORE_FILE)
    try:
        return dict(zip(store.doc_ids, store.doc_meta))
    finally:
        store.close()


def test_repeals_resolved_when_the_index_is_built(index_dir: Path) -> None:
    meta = _meta(index_dir)
    assert meta["hz2019.txt"]["repealed_by"]["id"] == "hz2022.txt"  # by 文号 and title
    assert meta["hz2022.txt"]["repealed_by"] == {
        "id": "hz2024.txt",
        "title": "湖州市住房公积金管理委员会关于优化住房公积金贷款政策的通知",
        "doc_number": "湖房金委〔2024〕2号",
        "date": "2024-03-01",
        "effective_date": "2024-03-15",
    }
    assert "repealed_by" not in meta["hz2024.txt"]  # the draft that names it repeals nothing
    assert "repealed_by" not in meta["dq2023.txt"]


def test_incremental_builds_mark_and_unmark(tmp_path: Path, docs, embedder, tokenizer) -> None:
    """A repealing document added later marks one indexed before it; removing it unmarks it."""
    index = tmp_path / "index"
    older = [docs["hz2019.txt"], docs["hz2022.txt"]]
    reindex_into(index, older, embedder, tokenizer=tokenizer)
    assert "repealed_by" not in _meta(index)["hz2022.txt"]
    result = reindex_into(index, [*older, docs["hz2024.txt"]], embedder, tokenizer=tokenizer)
    assert result.mode == "incremental" and result.added == ["hz2024.txt"]
    assert _meta(index)["hz2022.txt"]["repealed_by"]["id"] == "hz2024.txt"
    reindex_into(index, older, embedder, tokenizer=tokenizer)
    meta = _meta(index)
    assert "repealed_by" not in meta["hz2022.txt"]
    assert meta["hz2019.txt"]["repealed_by"]["id"] == "hz2022.txt"


def test_resolution_rules() -> None:
    def doc(title, jur, date, number=None, repeals=(), status="final"):
        return {
            "title": title,
            "jurisdiction": jur,
            "date": date,
            "doc_number": number,
            "repeals": list(repeals),
            "status": status,
        }

    same = "关于调整住房公积金政策的通知"
    found = resolve(
        [
            ("a", doc(same, "浙江省/湖州市", "2020-01-01")),
            ("b", doc(same, "江苏省/常州市", "2021-01-01")),  # same title, another city
            (
                "c",
                doc("湖州新规", "浙江省/湖州市", "2022-01-01", repeals=[{"doc_number": None, "title": same}]),
            ),
            # its own title, an older version: the newer one is not repealed by itself
            ("d", doc("厦门市商品房预售管理规定", "福建省/厦门市", "2014-01-01", "厦门市人民政府令第155号")),
            (
                "e",
                doc(
                    "厦门市商品房预售管理规定",
                    "福建省/厦门市",
                    "2022-01-20",
                    repeals=[{"doc_number": "厦门市人民政府令第155号", "title": "厦门市商品房预售管理规定"}],
                ),
            ),
            # a document dated after the one that names it is not the one it repeals
            ("f", doc("g", "浙江省", "2025-01-01", "浙政办发〔2018〕62号")),
            (
                "g",
                doc(
                    "h",
                    "浙江省",
                    "2022-01-01",
                    repeals=[{"doc_number": "浙政办发〔2018〕62号", "title": None}],
                ),
            ),
        ]
    )
    assert {k: v[0] for k, v in found.items()} == {"a": "c", "d": "e"}


@pytest.mark.parametrize(
    ("meta", "as_of", "want"),
    [
        ({"effective_date": "2024-06-01", "expires_on": "2029-05-31"}, "2025-01-01", "现行有效"),
        ({"effective_date": "2024-06-01"}, "2024-05-31", "尚未施行"),
        ({"effective_date": "2019-06-01", "expires_on": "2022-05-31"}, "2022-06-01", "已失效"),
        (
            {"effective_date": "2019-06-01", "repealed_by": {"id": "x", "effective_date": "2022-06-01"}},
            "2022-05-31",
            "现行有效",
        ),
        (
            {"effective_date": "2019-06-01", "repealed_by": {"id": "x", "effective_date": "2022-06-01"}},
            "2022-06-01",
            "已废止",
        ),
        ({"date": "2020-01-01"}, "2021-01-01", "未知"),
        ({"date": "2020-01-01", "validity": "有效"}, "2021-01-01", "现行有效"),
        ({"date": "2020-01-01", "validity": "失效"}, "2026-01-01", "已失效"),  # the cell speaks for today
        ({"date": "2020-01-01", "validity": "失效"}, "2021-01-01", "未知"),  # … not for the past
        ({"effective_date": "2026-01-01", "status": "draft"}, "2027-01-01", "未知"),
        ({"date": "2020-01-01", "expires_on": "2020-12-31"}, "2020-06-01", "现行有效"),
    ],
)
def test_status_of(meta: dict, as_of: str, want: str) -> None:
    assert status_of(meta, dt.date.fromisoformat(as_of), now=dt.date(2025, 6, 1)) == want


def _statuses(hits) -> dict[str, str]:
    return {h.document.id: h.document.validity_status for h in hits}


def test_statuses_at_as_of_and_the_in_force_filter(tl_searcher) -> None:
    got = _statuses(tl_searcher.search(SearchRequest(q=Q, as_of="2023-01-01", top_k=20)).hits)
    assert got["hz2019.txt"] == "已废止"
    assert got["hz2022.txt"] == "现行有效"
    assert got["hz2024.txt"] == "尚未施行"
    assert got["dq2023.txt"] == "现行有效"
    assert got["hz2025draft.txt"] == "未知"
    kept = tl_searcher.search(SearchRequest(q=Q, as_of="2023-01-01", in_force_only=True, top_k=20))
    assert set(_statuses(kept.hits)) == {"hz2022.txt", "dq2023.txt"}
    later = _statuses(tl_searcher.search(SearchRequest(q=Q, as_of="2024-06-01", in_force_only=True)).hits)
    assert set(later) == {"hz2024.txt"}  # 2022's repealed, 德清's window over
    # without as_of: today, and every hit carries a status
    assert all(s for s in _statuses(tl_searcher.search(SearchRequest(q=Q)).hits).values())


def test_compare_and_document_view_carry_the_status(tl_searcher) -> None:
    cmp = tl_searcher.compare(CompareRequest(q=Q, as_of="2023-01-01"))
    shown = {c.document.id: c.document.validity_status for j in cmp.jurisdictions for c in j.clauses}
    assert shown and shown.get("hz2022.txt", "现行有效") == "现行有效"
    assert all(shown.values())
    view = tl_searcher.document("hz2019.txt", DocumentPage(as_of="2020-01-01"))
    assert view.document.validity_status == "现行有效"
    assert view.document.repealed_by.id == "hz2022.txt"
    assert (
        tl_searcher.document("hz2019.txt", DocumentPage(as_of="2023-01-01")).document.validity_status
        == "已废止"
    )


def test_timeline(tl_searcher) -> None:
    t = tl_searcher.timeline(TimelineRequest(q=Q, as_of="2023-01-01"))
    assert t.as_of == "2023-01-01"
    by = {j.jurisdiction: j for j in t.jurisdictions}
    hz = by["浙江省/湖州市"]
    dates = [e.date for e in hz.entries]
    assert dates == sorted(dates)
    assert {e.document.id for e in hz.entries} >= {"hz2019.txt", "hz2022.txt", "hz2024.txt"}
    first = next(e for e in hz.entries if e.document.id == "hz2019.txt")
    assert (first.document.doc_number, first.validity_status) == ("湖房金委〔2019〕3号", "已废止")
    assert (first.in_force_from, first.in_force_until) == ("2019-06-01", "2022-05-31")
    # "由40万元提高至50万元" sets 50 万元; 双缴存 and 单缴存 ceilings are two series, one value per document each
    by_measure = {s.measure: [p.value for p in s.points] for s in hz.series if s.unit == "万元"}
    assert by_measure["双缴存职工家庭住房公积金最高贷款额度"] == [40.0, 50.0, 60.0, 80.0]
    assert by_measure["单缴存职工家庭最高贷款额度"] == [30.0, 40.0, 45.0]
    ceiling = next(s for s in hz.series if s.measure == "双缴存职工家庭住房公积金最高贷款额度")
    draft = [p for p in ceiling.points if p.value == 80.0]
    assert [p.validity_status for p in draft] == ["未知"]  # the 征求意见稿: in force at no date
    without = tl_searcher.timeline(TimelineRequest(q=Q, as_of="2023-01-01", include_drafts=False))
    hz = next(j for j in without.jurisdictions if j.jurisdiction == "浙江省/湖州市")
    assert 80.0 not in [p.value for s in hz.series for p in s.points]
    assert list(by).index("浙江省/湖州市") < list(by).index("浙江省/湖州市/德清县")


def test_export_csv_and_xlsx(tl_searcher) -> None:
    req = SearchRequest(q=Q, as_of="2023-01-01", top_k=5)
    data = export_view(tl_searcher, "search", req, "csv", "http://127.0.0.1:8000")
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel reads the Chinese right
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert table[0] == COLUMNS
    hits = tl_searcher.search(req).hits
    assert len(table) == 1 + len(hits)
    row = dict(zip(COLUMNS, table[1]))
    assert row["标题"] == hits[0].document.title and row["效力状态"] == hits[0].document.validity_status
    assert row["链接"].startswith("http://127.0.0.1:8000/?doc=")
    from openpyxl import load_workbook

    for view, request in (
        ("compare", CompareRequest(q=Q, as_of="2023-01-01")),
        ("timeline", TimelineRequest(q=Q)),
    ):
        book = load_workbook(io.BytesIO(export_view(tl_searcher, view, request, "xlsx")))
        sheet = book.active
        assert [c.value for c in sheet[1]] == COLUMNS
        assert sheet.max_row > 1
    # a control character in a clause does not break the workbook
    bad = [["标题\x07", "", "", "", "", "", "", "", "", "条款\x0b文字", 0.5, ""]]
    assert load_workbook(io.BytesIO(to_xlsx(bad))).active["J2"].value == "条款文字"
    assert (
        rows(tl_searcher.timeline(TimelineRequest(q=Q, jurisdiction=["德清"])))[0][3]
        == "浙江省 › 湖州市 › 德清县"
    )


# -- the HTTP API ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def client(tl_searcher):
    from fastapi.testclient import TestClient

    from api.app import create_app
    from config.settings import Settings

    from .conftest import LOCAL, Borrowed

    with TestClient(
        create_app(Settings(), searcher_factory=lambda: Borrowed(tl_searcher)), base_url=LOCAL
    ) as c:
        yield c


def test_api_timeline(client) -> None:
    r = client.get("/api/timeline", params={"q": Q, "jurisdiction": "湖州", "as_of": "2023-01-01"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["as_of"] == "2023-01-01"
    entry = body["jurisdictions"][0]["entries"][0]
    for key in ("date", "document", "clause_id", "text", "figures", "validity_status"):
        assert key in entry
    assert {"id", "title", "doc_number"} <= set(entry["document"])
    assert {j["jurisdiction"] for j in body["jurisdictions"]} <= {"浙江省/湖州市", "浙江省/湖州市/德清县"}
    post = client.post("/api/timeline", json={"q": Q, "jurisdiction": ["湖州"], "as_of": "2023-01-01"})
    assert post.status_code == 200 and post.json()["jurisdictions"] == body["jurisdictions"]
    assert client.post("/api/timeline", json={"q": Q, "per_jurisdiction": "5"}).status_code == 422


def test_api_search_in_force_and_as_of(client) -> None:
    r = client.get(
        "/api/search", params={"q": Q, "in_force_only": "true", "as_of": "2023-01-01", "top_k": 20}
    )
    assert r.status_code == 200
    docs = {h["document"]["id"]: h["document"]["validity_status"] for h in r.json()["hits"]}
    assert set(docs) == {"hz2022.txt", "dq2023.txt"} and set(docs.values()) == {"现行有效"}
    bad = client.get("/api/search", params={"q": Q, "as_of": "2023-13-01"})
    assert bad.status_code == 422 and bad.json()["code"] == "bad_date"
    doc = client.get("/api/documents/hz2019.txt", params={"as_of": "2020-01-01"}).json()["document"]
    assert doc["validity_status"] == "现行有效" and doc["repealed_by"]["id"] == "hz2022.txt"


@pytest.mark.parametrize("view", ["search", "compare", "timeline"])
def test_api_export(client, view: str) -> None:
    r = client.get("/api/export", params={"view": view, "format": "csv", "q": Q, "as_of": "2023-01-01"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert f'filename="policy-search-{view}.csv"' in r.headers["content-disposition"]
    assert r.content.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert table[0] == COLUMNS and len(table) > 1
    assert table[1][-1].startswith("http://127.0.0.1/?doc=")
    x = client.get("/api/export", params={"view": view, "format": "xlsx", "q": Q, "in_force_only": "true"})
    assert x.status_code == 200 and x.content[:2] == b"PK"


def test_api_export_refuses_what_it_cannot_do(client) -> None:
    for params in (
        {"view": "map", "format": "csv", "q": Q},
        {"view": "search", "format": "pdf", "q": Q},
        {"view": "search", "format": "csv"},
    ):
        r = client.get("/api/export", params=params)
        assert r.status_code == 422 and r.json()["code"] == "invalid_request", params


# -- the command line ---------------------------------------------------------------------------------
def test_cli_badges_filter_timeline_and_exports(tmp_path, capsys, monkeypatch) -> None:
    from openpyxl import load_workbook

    from policy_search.cli import main

    monkeypatch.setenv("POLICY_SEARCH_DATA_DIR", str(tmp_path / "data"))
    assert main(["inspect", str(CORPUS / "hz2022.txt")]) == 0
    assert "施行 2022-06-01 · 有效期至 2025-05-31 · 废止：湖房金委〔2019〕3号" in capsys.readouterr().out
    assert main(["reindex", str(CORPUS), "--quiet"]) == 0
    capsys.readouterr()
    out_csv = tmp_path / "hits.csv"
    assert main(["search", Q, "--as-of", "2023-01-01", "--top-k", "20", "--csv", str(out_csv)]) == 0
    out = capsys.readouterr().out
    assert "【已废止】" in out and "【现行有效】" in out and "【尚未施行】" in out
    assert out_csv.read_bytes().startswith(b"\xef\xbb\xbf")
    assert main(["search", Q, "--as-of", "2023-01-01", "--in-force", "--top-k", "20"]) == 0
    out = capsys.readouterr().out
    assert "【现行有效】" in out and "【已废止】" not in out and "【尚未施行】" not in out
    xlsx = tmp_path / "timeline.xlsx"
    assert (
        main(["timeline", Q, "--jurisdiction", "湖州市", "--as-of", "2023-01-01", "--xlsx", str(xlsx)]) == 0
    )
    printed = capsys.readouterr()
    assert "40万元（2019） → 50万元（2022） → 60万元（2024）" in printed.out
    assert "已导出" in printed.err
    assert [c.value for c in load_workbook(xlsx).active[1]] == COLUMNS
    assert main(["timeline", Q, "--as-of", "2023-02-30"]) == 2
    assert "as_of" in capsys.readouterr().err


@pytest.mark.parametrize("text", ['=HYPERLINK("http://evil.example","通知")', "+1+2", "-3+4", "@SUM(A1)"])
def test_a_clause_that_looks_like_a_formula_is_exported_as_text(text: str) -> None:
    """A document's text is data: neither the CSV nor the XLSX may hand a spreadsheet a formula to run."""
    import csv
    import io

    from openpyxl import load_workbook

    from search.export import to_csv

    row = ["标题", "", "", "", "", "", "", "", "", text, 0.9, ""]
    sheet = load_workbook(io.BytesIO(to_xlsx([row]))).active
    cell = sheet.cell(row=2, column=COLUMNS.index("条款") + 1)
    assert cell.data_type == "s" and cell.value == text  # the text kept as it is, as text
    [_, got] = list(csv.reader(io.StringIO(to_csv([row]).decode("utf-8-sig"))))
    assert got[COLUMNS.index("条款")] == "'" + text and got[0] == "标题"


def test_the_place_the_question_names_leads_the_timeline(tl_searcher) -> None:
    """ "德清…": its notice says the place's clauses come first, and the timeline's order says so too (the
    county before its city, which would lead by level)."""
    t = tl_searcher.timeline(TimelineRequest(q="德清县住房公积金最高贷款额度", as_of="2023-01-01"))
    jurs = [j.jurisdiction for j in t.jurisdictions]
    assert len(jurs) >= 2 and jurs[0] == "浙江省/湖州市/德清县", jurs
    plain = [
        j.jurisdiction for j in tl_searcher.timeline(TimelineRequest(q=Q, as_of="2023-01-01")).jurisdictions
    ]
    assert plain.index("浙江省/湖州市") < plain.index("浙江省/湖州市/德清县")  # by level, without a place


@pytest.mark.parametrize(
    ("clause", "want"),
    [
        (
            "最高贷款额度由本人60万元、家庭100万元，调整为本人70万元、家庭120万元。",
            [(70, "最高贷款额度 … 本人"), (120, "最高贷款额度 … 家庭")],
        ),
        (
            "双缴存职工家庭住房公积金最高贷款额度由40万元提高至50万元，单缴存职工家庭由30万元提高至40万元。",
            [(50, "双缴存职工家庭住房公积金最高贷款额度"), (40, "单缴存职工家庭")],
        ),
        ("贷款额度从30万元调整为40万元", [(40, "贷款额度")]),
        ("首付比例不低于20%。", [(20, "首付比例")]),
    ],
)
def test_a_change_sets_its_new_values_under_the_measure_it_changes(clause: str, want: list) -> None:
    from search.timeline import _new_values

    assert [(f.value, f.measure) for f in _new_values(clause)] == want


@pytest.mark.parametrize(
    ("meta", "span"),
    [
        (
            {"effective_date": "2020-03-01", "repealed_by": {"effective_date": "2023-07-01"}},
            ("2020-03-01", "2023-06-30"),
        ),
        ({"date": "2020-03-01", "expires_on": "2022-12-31"}, ("2020-03-01", "2022-12-31")),
        # a repealer's date no calendar has, stored by an index built before such dates were refused
        ({"date": "2020-03-01", "repealed_by": {"date": "2023-02-30"}}, ("2020-03-01", "2023-02-30")),
    ],
)
def test_in_force_span(meta: dict, span: tuple) -> None:
    from search.timeline import in_force_span

    assert in_force_span(meta) == span
